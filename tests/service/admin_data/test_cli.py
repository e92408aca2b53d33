"""``kepu import volunteers FILE [--dry-run]``: the same checks and report as the page, a
table of problems and exit 1 on errors, nothing written by a dry run or a refused file."""

from __future__ import annotations

import asyncio

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.settings import get_settings
from tests.service.admin_data.conftest import csv_bytes, digest, good_rows


@pytest.fixture
def kepu(database_url, monkeypatch):
    """Run ``kepu …`` on the test's database, in a thread (the command runs its own loop)."""
    monkeypatch.setenv("KEPU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEPU_ENV", "test")
    get_settings.cache_clear()

    async def run(*args: str):
        return await asyncio.to_thread(CliRunner().invoke, cli, list(args))

    yield run
    get_settings.cache_clear()


async def test_dry_run_then_import_from_the_command_line(kepu, session, world, tmp_path):
    path = tmp_path / "名单.csv"
    path.write_bytes(csv_bytes(good_rows(8)))
    before = await digest(session)
    dry = await kepu("import", "volunteers", str(path), "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "8 行全部可以导入，什么都没有写入" in dry.stdout
    assert await digest(session) == before
    done = await kepu("import", "volunteers", str(path))
    assert done.exit_code == 0, done.output
    assert "已导入 8 名志愿者" in done.stdout
    assert (await digest(session))["volunteers"] == before["volunteers"] + 8


async def test_errors_print_a_table_and_exit_1_writing_nothing(kepu, session, world, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(csv_bytes([*good_rows(2), ["坏", "123", "朝阳街社区", "", "", ""]]))
    before = await digest(session)
    refused = await kepu("import", "volunteers", str(path))
    assert refused.exit_code == 1
    assert "1 行有问题，整个文件都没有导入" in refused.stdout
    assert "「123」不是有效的中国大陆手机号" in refused.stdout and "│ 4 " in refused.stdout
    assert await digest(session) == before
