"""The 数据看板 pages: scoping to the coordinator's area, the orders behind a figure, bad
filter input said in words (never a 500), and the 上报 workbook read back."""

from __future__ import annotations

import re
from io import BytesIO
from urllib.parse import unquote

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from service.demo.accounts import DEMO_LOGINS
from service.models import Area, Order, User
from tests.service.insight.expected import DONE, read_rows

EN = {"Accept-Language": "en"}


async def _id(session, model, **where):
    return await session.scalar(sa.select(model.id).filter_by(**where))


async def _district_coordinator(session) -> int:
    return await _id(session, User, phone=dict(DEMO_LOGINS)["coordinator"])


async def test_a_street_coordinator_sees_only_their_street(session, login, street_coordinators):
    own = await session.scalar(sa.select(Area).where(Area.name == "向阳街道"))
    other = await session.scalar(sa.select(Area).where(Area.name == "东山街道"))
    district = await _id(session, Area, name="芝罘区")
    async with await login(street_coordinators["向阳街道"]) as http:
        page = await http.get("/desk/insight", params={"period": "this_year"})
        assert page.status_code == 200 and "向阳街道" in page.text
        listed = await http.get("/desk/insight/orders", params={"period": "this_year"})
        for area_id in (other.id, district):
            refused = await http.get("/desk/insight", params={"area": area_id})
            assert refused.status_code == 403
            assert "这个地区不在您负责的范围内" in refused.text
            refused = await http.get("/desk/insight/report.xlsx", params={"area": area_id})
            assert refused.status_code == 403
    # Every order listed lies in the own street, and all of them are there.
    rows = await read_rows(session)
    under = {a.id for a in rows.areas.values() if a.path.startswith(own.path)}
    own_titles = {o.id for o in rows.orders if o.community_id in under
                  and o.starts_at.year == 2026}  # fmt: skip
    linked = {int(i) for i in re.findall(r'href="/desk/orders/(\d+)"', listed.text)}
    assert linked and linked <= own_titles
    assert f"共 {len(own_titles)} 场活动" in listed.text


async def test_every_figure_links_to_the_orders_it_counts(session, login):
    async with await login(await _district_coordinator(session)) as http:
        page = (await http.get("/desk/insight", params={"period": "this_year"})).text
        figures = {unquote(f) for f in re.findall(r"figure=([\w%:]+)", page)}
        assert {"demands", "published", "unfilled", "staffed", "expired", "noshow", "done",
                "hours", "rated", "campaign", "first", "unserved", "status:draft",
                "group:elderly"} <= figures  # fmt: skip
        for figure in sorted(figures):
            listed = await http.get("/desk/insight/orders",
                                    params={"period": "this_year", "figure": figure})  # fmt: skip
            assert listed.status_code == 200, figure
        done = await http.get(
            "/desk/insight/orders", params={"period": "this_year", "figure": "done"}
        )
    rows = await read_rows(session)
    held = [o for o in rows.orders if o.status in DONE and o.starts_at.year == 2026]
    assert f"共 {len(held)} 场活动" in done.text


@pytest.mark.parametrize(
    ("params", "status", "words"),
    [
        ({"period": "custom", "from": "2026-02-30", "to": "2026-03-01"}, 422, "年-月-日"),
        ({"from": "2026-12-01", "to": "2026-01-01"}, 422, "开始日期不能晚于结束日期"),
        ({"from": "2020-01-01", "to": "2026-01-01"}, 422, "时间段最长两年"),
        ({"period": "decade"}, 422, "请选择列出的时间段"),
        ({"area": "999999"}, 404, "找不到这个地区"),
        ({"area": "1 OR 1=1"}, 422, "找不到这个地区"),
        ({"topic": "abc"}, 422, "请选择列出的主题"),
        ({"group": "cats"}, 422, "请选择列出的服务人群"),
        ({"figure": "everything"}, 422, "没有这个指标"),
    ],
)
async def test_bad_filters_are_said_in_words(session, login, params, status, words):
    async with await login(await _district_coordinator(session)) as http:
        for path in ("/desk/insight", "/desk/insight/orders", "/desk/insight/report"):
            answer = await http.get(path, params=params)
            assert answer.status_code == status, (path, answer.text[-500:])
            assert words in answer.text
        english = await http.get("/desk/insight", params=params, headers=EN)
        assert 'role="alert"' in english.text and words not in english.text


async def test_the_report_workbook_holds_the_figures(session, login, settings):
    async with await login(await _district_coordinator(session)) as http:
        answer = await http.get("/desk/insight/report.xlsx", params={"period": "this_year"})
        page = await http.get("/desk/insight/report", params={"period": "this_year"})
    assert answer.status_code == 200 and page.status_code == 200
    assert "attachment" in answer.headers["content-disposition"]
    book = load_workbook(BytesIO(answer.content))
    assert book.sheetnames[:3] == ["概况", "重点人群×主题·活动场次", "重点人群×主题·覆盖人次"]
    rows = await read_rows(session)
    year = [o for o in rows.orders if o.starts_at.year == 2026]
    published = [o for o in year if o.published_at and o.status != "cancelled"]
    summary = {r[0]: r[1] for r in book["概况"].iter_rows(min_row=3, values_only=True)}
    assert summary["派出活动"] == len(published)
    assert summary["已开展活动"] == sum(o.status in DONE for o in year)
    fill = sum(o.accepted_count for o in published) / sum(o.slots for o in published)
    assert summary["满员率"] == f"{fill * 100:.1f}%"
    # Held activities per key group × theme. An activity with two themes counts under each
    # theme, but the 合计 column and the grand total count activities, each once.
    matrix = list(book["重点人群×主题·活动场次"].iter_rows(min_row=3, values_only=True))
    held = [o for o in year if o.status in DONE]
    pairs = [(o.target_group, d) for o in held for d in rows.domains[o.id]]
    assert len(pairs) > len(held)  # the demo has activities of two themes: the rule matters
    assert matrix[-1][0] == "合计" and matrix[-1][-1] == len(held)
    assert matrix[3][0] == "老年人" and matrix[3][-1] == sum(
        o.target_group == "elderly" for o in held
    )
    assert sum(matrix[-1][1:-1]) == len(pairs)  # the theme columns: one count per (activity, theme)
    # 优秀科技志愿者: at least N activities and H hours in the year, counted by hand.
    per = {}
    for r in rows.records:
        if r.started_at.year == 2026:
            n, h = per.get(r.volunteer_id, (0, 0.0))
            per[r.volunteer_id] = (n + 1, h + r.hours)
    want = {v for v, (n, h) in per.items()
            if n >= settings.excellent_min_activities and h >= settings.excellent_min_hours}  # fmt: skip
    sheet = list(book["优秀科技志愿者"].iter_rows(min_row=3, values_only=True))
    assert {r[0] for r in sheet} == want and want
    assert all("*" in name for _, name, _, _ in sheet)  # names masked, as on desk pages
    assert "重点人群×主题·活动场次" in page.text and "优秀科技志愿者" in page.text


async def test_the_breakdowns_download_as_xlsx_and_csv(session, login):
    """The dashboard's tables as files: the street breakdown's activity counts against the
    demo's orders counted by hand, in the workbook and in the CSV alike."""
    async with await login(await _district_coordinator(session)) as http:
        book_answer = await http.get("/desk/insight/tables.xlsx", params={"period": "this_year"})
        csv_answer = await http.get("/desk/insight/tables.csv", params={"period": "this_year"})
        refused = await http.get("/desk/insight/tables.csv", params={"period": "nonsense"})
    assert book_answer.status_code == csv_answer.status_code == 200
    assert refused.status_code == 422 and "attachment" not in refused.headers.get(
        "content-disposition", ""
    )
    book = load_workbook(BytesIO(book_answer.content), read_only=True)
    assert book.sheetnames[:2] == ["按街道", "按社区"]
    sheet = [row for row in book["按街道"].iter_rows(values_only=True) if row and row[0]]
    lines = [line.split(",") for line in csv_answer.content.decode("utf-8-sig").splitlines()]
    # The CSV is the first sheet: same streets, same counts.
    assert [(str(row[0]), str(row[1])) for row in sheet] == [(ln[0], ln[1]) for ln in lines]
    rows = await read_rows(session)
    streets = {a.id: a.name for a in rows.areas.values() if a.level == "street"}
    header = [str(cell) for cell in sheet[0]]
    per_street = {row[0]: row for row in sheet[1:]}
    assert set(per_street) == set(streets.values())
    column = header.index("活动数")
    for street_id, name in streets.items():
        published = [
            o
            for o in rows.orders
            if o.starts_at.year == 2026
            and o.published_at
            and o.status != "cancelled"
            and rows.areas[o.community_id].parent_id == street_id
        ]
        assert per_street[name][column] == len(published), name


@pytest.fixture
def settings_overrides() -> dict:
    # Low enough that the demo's busiest volunteers qualify, so the list is not trivially empty.
    return {"excellent_min_activities": 2, "excellent_min_hours": 3.0}


async def test_only_coordinators_and_admins_open_the_dashboard(session, login):
    worker = await _id(session, User, phone=dict(DEMO_LOGINS)["worker"])
    admin = await _id(session, User, phone=dict(DEMO_LOGINS)["admin"])
    async with await login(worker) as http:
        assert (await http.get("/desk/insight")).status_code == 403
    async with await login(admin) as http:
        page = await http.get("/desk/insight")
        assert page.status_code == 200 and "芝罘区" in page.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 150
