"""The 数据导出 page and its downloads: files reopened (csv, openpyxl) and checked against rows
worked out by hand from the world; scope (a street coordinator never gets another street's
rows); bad input said next to its field, never a 500; the Chinese file name (RFC 5987)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import date, datetime
from urllib.parse import quote

import openpyxl
import pytest

from tests.service.exports.conftest import local

NOVEMBER = {"day_from": "2026-11-01", "day_to": "2026-11-30"}
STREET_NOVEMBER = ("first_morning", "mid", "last_night")  # 向阳街道's, by hand (not drafts)
DISTRICT_NOVEMBER = ("first_morning", "mid", "last_night", "foreign")


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def _download(client, world, *, area="street", **fields):
    query = {"kind": "orders", "format": "csv", **NOVEMBER, **fields}
    if area:
        query["area"] = str(world.ids.get(area, area))  # a name of the world, or as typed
    return await client.get("/desk/exports/download", params=query)


def _csv_rows(response) -> list[list[str]]:
    assert response.content.startswith("\ufeff".encode())  # Excel needs the BOM for Chinese
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _xlsx_rows(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


def _expected_hours(world, orders) -> dict[int, tuple[int, float]]:
    """volunteer id → (activities, hours) over the records of ``orders``, by hand."""
    totals: dict[int, tuple[int, float]] = {}
    for who, order, hours in world.records:
        if order in orders:
            count, total = totals.get(world.ids[who], (0, 0.0))
            totals[world.ids[who]] = (count + 1, total + hours)
    return totals


async def test_the_form_offers_the_areas_in_scope(login, world):
    client = await login(world.users["street"].id)
    page = await client.get("/desk/exports")
    assert page.status_code == 200
    assert "向阳街道" in page.text and "白石街道" not in page.text
    assert 'name="day_from"' in page.text and 'value="xlsx"' in page.text
    assert f"area={world.ids['street']}" in page.text  # the quick links, for their own street
    english = await client.get("/desk/exports", headers={"Accept-Language": "en"})
    assert "Data export" in english.text
    fragment = await client.get("/desk/exports", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert 'name="day_from"' in fragment.text


async def test_orders_csv_has_one_row_per_order_of_the_street_and_period(login, world):
    client = await login(world.users["street"].id)
    response = await _download(client, world)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    header, *rows = _csv_rows(response)
    assert header[:5] == ["活动编号", "活动名称", "社区", "街道", "主题"]
    assert [int(row[0]) for row in rows] == sorted(world.ids[k] for k in STREET_NOVEMBER)
    by_id = {int(row[0]): dict(zip(header, row, strict=True)) for row in rows}
    first = by_id[world.ids["first_morning"]]
    assert first["开始时间"] == "2026-11-01 07:00"  # local time, though 10-31 in UTC
    assert (first["社区"], first["街道"], first["主题"], first["所需技能"]) == (
        "朝阳街社区", "向阳街道", "应急", "心肺复苏",
    )  # fmt: skip
    assert (first["状态"], first["需要人数"], first["已接单人数"]) == ("已完成", "2", "2")
    assert first["预计参加人数"] == "40" and first["满员时间"] == "2026-10-22 18:05"
    mid = by_id[world.ids["mid"]]
    assert mid["活动名称"] == '\'=HYPERLINK("x")反诈讲座'  # defused, never a formula
    assert mid["主题"] == "反诈、应急" and mid["服务对象"] == "青少年"
    assert by_id[world.ids["last_night"]]["开始时间"] == "2026-11-30 23:30"


async def test_orders_xlsx_reopens_with_dates_as_dates_and_text_as_text(login, world):
    client = await login(world.users["district"].id)
    response = await _download(client, world, area="district", format="xlsx")
    assert response.status_code == 200
    header, *rows = _xlsx_rows(response)
    assert [row[0] for row in rows] == sorted(world.ids[k] for k in DISTRICT_NOVEMBER)
    first = dict(zip(header, rows[0], strict=True))
    assert first["开始时间"] == datetime(2026, 11, 1, 7, 0)
    mid = next(dict(zip(header, r, strict=True)) for r in rows if r[0] == world.ids["mid"])
    assert mid["活动名称"] == '=HYPERLINK("x")反诈讲座'  # stored as text, not as a formula
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    cell = next(c for c in sheet["B"] if c.value == mid["活动名称"])
    assert cell.data_type == "s" and cell.quotePrefix
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_hours_per_volunteer_match_the_records_by_hand(login, world, fmt):
    client = await login(world.users["street"].id)
    response = await _download(client, world, kind="hours", format=fmt)
    assert response.status_code == 200
    header, *rows = _csv_rows(response) if fmt == "csv" else _xlsx_rows(response)
    assert list(header[:3]) == ["志愿者编号", "姓名", "手机号（隐藏中间四位）"]
    got = {int(r[0]): (int(r[4]), float(r[5])) for r in rows}
    assert got == _expected_hours(world, STREET_NOVEMBER)
    wang = next(r for r in rows if int(r[0]) == world.ids["wang"])
    assert (wang[1], wang[2], wang[3]) == ("王小明", "139****5678", "朝阳街社区")
    first_day = wang[6] if fmt == "csv" else wang[6].date()
    assert str(first_day) == "2026-11-01"
    assert not any("13912345678" in str(cell) for row in rows for cell in row)


async def test_the_district_gets_every_street_and_admin_gets_all_areas(login, world):
    district = await login(world.users["district"].id)
    rows = _csv_rows(await _download(district, world, area="district", kind="hours"))[1:]
    assert {int(r[0]): (int(r[4]), float(r[5])) for r in rows} == _expected_hours(
        world, DISTRICT_NOVEMBER
    )
    admin = await login(world.users["admin"].id)
    response = await _download(admin, world, area=None)
    assert response.status_code == 200
    assert quote("全部区域") in response.headers["content-disposition"]
    ids = {int(r[0]) for r in _csv_rows(response)[1:]}
    assert ids == {world.ids[k] for k in DISTRICT_NOVEMBER}


async def test_a_street_coordinator_cannot_export_another_street(login, world):
    client = await login(world.users["street"].id)
    for kind in ("orders", "hours"):
        response = await _download(client, world, area="street2", kind=kind)
        assert response.status_code == 403
        assert "这个区域不在您负责的范围内" in words(response.text)
        assert "text/html" in response.headers["content-type"]
    by_code = await client.get(
        "/desk/exports/download",
        params={"kind": "orders", "format": "csv", "area": world.areas["street2_area"].code,
                **NOVEMBER},
    )  # fmt: skip
    assert by_code.status_code == 403
    whole = await _download(client, world, area="district")  # above their street: refused too
    assert whole.status_code == 403
    everything = await _download(client, world, area=None)  # no area: not "all" for them
    assert everything.status_code == 422 and "请选择区域" in words(everything.text)
    own = _csv_rows(await _download(client, world))
    assert "白石" not in "".join(",".join(row) for row in own)


async def test_workers_and_volunteers_may_not_open_the_page(login, world):
    client = await login(world.users["worker"].id)
    assert (await client.get("/desk/exports")).status_code == 403
    assert (await _download(client, world)).status_code == 403


BAD_INPUT = [
    ({"day_from": "2026-11-31"}, "export-from-error", "日期格式不对"),
    ({"day_from": "yesterday"}, "export-from-error", "日期格式不对"),
    ({"day_to": ""}, "export-to-error", "请填写日期"),
    ({"day_from": "2026-12-01"}, "export-to-error", "结束日期不能早于开始日期"),
    ({"day_from": "2001-01-01"}, "export-to-error", "一次最多导出 1827 天"),
    ({"format": "pdf"}, "export-format-error", "请选择文件格式"),
    ({"kind": "passwords"}, "export-kind-error", "请选择要导出的内容"),
    ({"area": "1' OR 1=1"}, "export-area-error", "不在您负责的范围内"),
    ({"area": "999999"}, "export-area-error", "不在您负责的范围内"),
]


async def test_bad_input_is_said_next_to_its_field(login, world):
    client = await login(world.users["street"].id)
    for fields, field, said in BAD_INPUT:
        response = await _download(client, world, **fields)
        assert response.status_code in (403, 422), fields
        assert f'id="{field}"' in response.text and said in words(response.text), fields


async def test_a_nul_byte_or_an_overlong_value_is_refused_not_crashed(login, world):
    client = await login(world.users["street"].id)
    for fields in ({"area": "1\x00"}, {"day_from": "2026-11-01" * 10}):
        response = await _download(client, world, **fields)
        assert 400 <= response.status_code < 500


async def test_no_parameters_at_all_give_the_form_back(login, world):
    client = await login(world.users["street"].id)
    response = await client.get("/desk/exports/download")
    assert response.status_code == 422
    assert "请选择要导出的内容" in words(response.text)


async def test_the_file_name_names_the_area_and_period_in_chinese(login, world):
    client = await login(world.users["street"].id)
    response = await _download(client, world, format="xlsx")
    disposition = response.headers["content-disposition"]
    code = world.areas["street_area"].code
    assert f'filename="orders_{code}_2026-11-01_2026-11-30.xlsx"' in disposition
    chinese = "活动清单_向阳街道_2026-11-01至2026-11-30.xlsx"
    assert f"filename*=UTF-8''{quote(chinese)}" in disposition
    assert response.headers["cache-control"] == "no-store"


def test_local_helper_is_utc_plus_eight():
    assert local("2026-11-01 07:00").date() == date(2026, 10, 31)
