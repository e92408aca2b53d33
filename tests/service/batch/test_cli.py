"""``kepu match plan`` / ``kepu match apply`` on the embedded database: the totals table (and
JSON), the plan saved, applying and applying again, refusals with exit code 2."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.db import create_engine, create_sessionmaker
from service.settings import get_settings
from tests.factories import make_settings
from tests.service.batch.conftest import build_batch_world


@pytest.fixture
def cli_world(database_url, monkeypatch):
    """The batch world around the real clock (the command reads the system clock)."""
    monkeypatch.setenv("KEPU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEPU_ENV", "test")
    get_settings.cache_clear()

    async def build():
        engine = create_engine(make_settings(database_url))
        try:
            async with create_sessionmaker(engine)() as session:
                return await build_batch_world(session, datetime.now(UTC))
        finally:
            await engine.dispose()

    yield asyncio.run(build())
    get_settings.cache_clear()


def test_plan_prints_the_totals_and_apply_sends_once(cli_world):
    planned = CliRunner().invoke(cli, ["match", "plan", "--area", str(cli_world.ids["street"])])
    assert planned.exit_code == 0, planned.output
    lines = planned.stdout.splitlines()
    plan_id = int(lines[0].removeprefix("plan "))
    filled = next(line for line in lines if line.startswith("filled places")).split()
    assert filled[-2:] == ["4", "3"]  # batch, greedy
    assert "proven optimal: yes" in planned.stdout
    assert "index of" in planned.stderr  # progress

    applied = CliRunner().invoke(cli, ["match", "apply", str(plan_id)])
    assert applied.exit_code == 0, applied.output
    assert "sent 4, skipped 0" in applied.stdout
    again = CliRunner().invoke(cli, ["match", "apply", str(plan_id)])
    assert "applied before: nothing sent now" in again.stdout


def test_plan_as_json_by_area_code(cli_world, database_url):
    async def code():
        engine = create_engine(make_settings(database_url))
        try:
            async with create_sessionmaker(engine)() as session:
                from service.models import Area

                return (await session.get(Area, cli_world.ids["street"])).code
        finally:
            await engine.dispose()

    result = CliRunner().invoke(cli, ["match", "plan", "--area", asyncio.run(code()), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["batch"]["filled"] == 4 and body["greedy"]["filled"] == 3
    assert body["solver"]["gap_filled"] == 0 and isinstance(body["plan_id"], int)


def test_an_unknown_area_and_plan_are_refused(cli_world):
    result = CliRunner().invoke(cli, ["match", "plan", "--area", "999999999999"])
    assert result.exit_code == 2 and "不在您负责的范围内" in result.stderr
    result = CliRunner().invoke(cli, ["match", "apply", "999999"])
    assert result.exit_code == 2 and "没有找到这个派单方案" in result.stderr
