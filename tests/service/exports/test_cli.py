"""``kepu export orders|hours``: the file written (reopened and checked), the area by code,
and bad arguments refused in Chinese with exit code 2, leaving no file behind."""

from __future__ import annotations

import asyncio
import csv

import openpyxl
import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.db import create_engine, create_sessionmaker
from service.settings import get_settings
from tests.factories import make_settings
from tests.service.exports.conftest import build_export_world

NOVEMBER = ["--from", "2026-11-01", "--to", "2026-11-30"]


@pytest.fixture
def cli_world(database_url, monkeypatch):
    monkeypatch.setenv("KEPU_DATABASE_URL", database_url)
    monkeypatch.setenv("KEPU_ENV", "test")
    get_settings.cache_clear()

    async def build():
        engine = create_engine(make_settings(database_url))
        try:
            async with create_sessionmaker(engine)() as session:
                return await build_export_world(session)
        finally:
            await engine.dispose()

    yield asyncio.run(build())
    get_settings.cache_clear()


def test_orders_of_a_street_by_code_as_xlsx(cli_world, tmp_path):
    out = tmp_path / "orders.xlsx"
    code = cli_world.areas["street_area"].code
    done = CliRunner().invoke(cli, ["export", "orders", *NOVEMBER, "--area", code, "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert f"{out}: 3 行" in done.stdout
    rows = list(openpyxl.load_workbook(out).active.values)[1:]
    expected = sorted(cli_world.ids[k] for k in ("first_morning", "mid", "last_night"))
    assert [row[0] for row in rows] == expected
    assert not list(tmp_path.glob(".*.part"))


def test_hours_of_all_areas_as_csv_with_the_format_from_the_option(cli_world, tmp_path):
    out = tmp_path / "hours.txt"
    args = ["export", "hours", *NOVEMBER, "--format", "csv", "-o", str(out), "-q"]
    done = CliRunner().invoke(cli, args)
    assert done.exit_code == 0, done.output
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    by_id = {int(r[0]): float(r[5]) for r in rows}
    ids = cli_world.ids
    assert by_id == {ids["wang"]: 3.5, ids["li"]: 5.0, ids["zhao"]: 4.0}  # by hand


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--from", "2026-11-31", "--to", "2026-11-30"], "--from：日期格式不对"),
        (["--from", "2026-12-01", "--to", "2026-11-30"], "--to：结束日期不能早于开始日期"),
        ([*NOVEMBER, "--format", "pdf"], "--format：请选择文件格式"),
        ([*NOVEMBER, "--area", "999999999999"], "--area：这个区域不在您负责的范围内"),
    ],
)
def test_bad_arguments_are_refused_in_chinese(cli_world, tmp_path, args, said):
    (tmp_path / "out").mkdir()
    out = tmp_path / "out" / "x.csv"
    done = CliRunner().invoke(cli, ["export", "orders", *args, "-o", str(out)])
    assert done.exit_code == 2
    assert f"导出失败：{said}" in done.stderr
    assert not list(out.parent.iterdir())  # no file, no partial file


def test_an_unknown_suffix_without_format_is_refused(cli_world, tmp_path):
    done = CliRunner().invoke(cli, ["export", "orders", *NOVEMBER, "-o", str(tmp_path / "x")])
    assert done.exit_code == 2 and "请选择文件格式" in done.stderr
