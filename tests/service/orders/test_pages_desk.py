"""Today's desk (GET /desk) and my orders (GET /desk/orders)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from service.vocab import OrderStatus
from tests.factories import make_order
from tests.service.orders.desk_world import EN, HX, build_desk_world


@pytest.fixture
async def world(app, settings, session, clock):
    return await build_desk_world(app, settings, session, clock)


def _section(html: str, heading_id: str) -> str:
    """The desk section introduced by the heading with ``heading_id``."""
    start = html.index(f'id="{heading_id}"')
    return html[start : html.index("</section>", start)]


# ---------------------------------------------------------------- today's desk


async def test_todays_desk_lists_what_needs_a_hand_with_one_action_each(world):
    async with world.client() as http:
        page = await http.get("/desk")
    assert page.status_code == 200
    html = page.text
    assert "<h1>今日工作台</h1>" in html and "11月23日（周一）" in html and "朝阳街社区" in html
    assert 'href="/desk/orders/new"' in html and "新建活动" in html
    demands = _section(html, "demands-heading")
    assert "有 1 条新点单等待处理。" in demands and 'href="/desk/demands"' in demands
    drafts = _section(html, "section-drafts")
    assert "智能手机使用课" in drafts and "检查并派单" in drafts
    assert f'href="/desk/orders/{world.order_id("draft")}#actions"' in drafts
    open_places = _section(html, "section-open")
    assert "社区急救知识讲座" in open_places and "已接单 1 / 2 人" in open_places
    assert "防范电信诈骗讲座" in drafts  # a draft in open mode is a draft all the same
    rate = _section(html, "section-rate")
    assert "老年人合理用药讲座" in rate
    assert f'href="/desk/orders/{world.order_id("done")}/rate"' in rate
    # Another community's order never shows up.
    assert "南大街消防演练" not in html


async def test_todays_desk_buckets_do_not_overlap(world, session, clock):
    # An activity today with open places shows under "today", not also under "open".
    community_id = world.orders["lecture"].community_id
    from service.models import Area

    community = await session.get(Area, community_id)
    await make_order(
        session,
        community=community,
        title="今天下午的讲座",
        starts_at=clock.now() + timedelta(hours=4),
        status=OrderStatus.published,
        slots=2,
    )
    await make_order(
        session,
        community=community,
        title="快截止的活动",
        starts_at=clock.now() + timedelta(days=1, hours=2),
        status=OrderStatus.published,
        slots=2,
    )
    await make_order(
        session,
        community=community,
        title="昨天结束的活动",
        starts_at=clock.now() - timedelta(days=1),
        status=OrderStatus.staffed,
        slots=1,
        accepted_count=1,
    )
    await session.commit()
    async with world.client() as http:
        html = (await http.get("/desk")).text
    assert html.count(">今天下午的讲座</a>") == 1 and "今天下午的讲座" in _section(
        html, "section-today"
    )
    assert "快截止的活动" in _section(html, "section-expiring")
    confirm = _section(html, "section-confirm")
    assert "昨天结束的活动" in confirm and "确认完成" in confirm and "/complete" in confirm


async def test_todays_desk_in_english_and_as_a_fragment(world):
    async with world.client(**EN) as http:
        page = await http.get("/desk")
        fragment = await http.get("/desk", headers=HX)
    assert page.status_code == 200 and "<h1>Today</h1>" in page.text
    assert "Mon 11/23" in page.text and "1 new request(s) are waiting for you." in page.text
    assert "Drafts not dispatched yet" in page.text and "Check and dispatch" in page.text
    assert "草稿，还没有派单" not in page.text
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Check and dispatch" in fragment.text


async def test_the_desk_is_for_staff_only(world):
    async with world.client("li") as http:
        assert (await http.get("/desk")).status_code == 403
        assert (await http.get("/desk/orders")).status_code == 403
    async with world.client("stranger") as http:
        page = await http.get("/desk")
    assert page.status_code == 200 and "社区急救知识讲座" not in page.text


# ---------------------------------------------------------------- my orders


async def test_my_orders_shows_the_communitys_orders_with_status_counts(world):
    async with world.client() as http:
        page = await http.get("/desk/orders")
    assert page.status_code == 200
    html = page.text
    tabs = html.split('class="status-tabs"', 1)[1].split("</nav>", 1)[0]
    assert "全部 4" in tabs and "草稿 2" in tabs and "已派单 1" in tabs and "已完成 1" in tabs
    assert 'aria-current="page">全部 4' in tabs
    for title in ("智能手机使用课", "社区急救知识讲座", "防范电信诈骗讲座", "老年人合理用药讲座"):
        assert title in html
    assert "南大街消防演练" not in html
    assert f'href="/desk/orders/{world.order_id("lecture")}"' in html
    # Upcoming first (soonest first), the past after them.
    order = [html.index(t) for t in ("社区急救知识讲座", "智能手机使用课", "防范电信诈骗讲座")]
    assert order == sorted(order) and html.index("老年人合理用药讲座") > order[-1]


async def test_my_orders_filters_by_status_text_and_dates(world):
    async with world.client() as http:
        drafts = await http.get("/desk/orders", params={"status": "draft"})
        text = await http.get("/desk/orders", params={"q": "急救"})
        dates = await http.get("/desk/orders", params={"from": "2026-11-26", "to": "2026-11-28"})
    assert "智能手机使用课" in drafts.text and "社区急救知识讲座" not in _rows(drafts.text)
    assert 'aria-current="page">草稿 2' in drafts.text
    assert _titles(text.text) == ["社区急救知识讲座"]
    assert "急救" in text.text and 'value="急救"' in text.text
    assert _titles(dates.text) == ["社区急救知识讲座", "智能手机使用课"]


def _rows(html: str) -> str:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""


def _titles(html: str) -> list[str]:
    return re.findall(r'<td data-label="[^"]*"><a href="/desk/orders/\d+">([^<]+)</a>', _rows(html))


async def test_a_bad_date_is_shown_next_to_its_field_with_422(world):
    async with world.client() as http:
        refused = await http.get("/desk/orders", params={"from": "2026-13-40", "to": ""})
        backwards = await http.get(
            "/desk/orders", params={"from": "2026-12-02", "to": "2026-12-01"}
        )
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="filter-from-error"' in refused.text
    assert "请按 年-月-日 填写日期" in refused.text and 'value="2026-13-40"' in refused.text
    assert backwards.status_code == 422 and "结束日期不能早于开始日期。" in backwards.text


async def test_my_orders_paginates(world, session, clock):
    from service.models import Area

    community = await session.get(Area, world.orders["lecture"].community_id)
    for n in range(20):
        await make_order(
            session,
            community=community,
            title=f"系列课第{n + 1:02d}讲",
            starts_at=clock.now() + timedelta(days=10 + n),
        )
    await session.commit()
    async with world.client() as http:
        first = await http.get("/desk/orders")
        second = await http.get("/desk/orders", params={"page": 2})
    assert "第 1–20 个，共 24 个活动" in first.text and 'href="/desk/orders?page=2"' in first.text
    assert "第 21–24 个，共 24 个活动" in second.text and 'rel="prev"' in second.text
    assert len(_titles(first.text)) == 20 and len(_titles(second.text)) == 4


async def test_my_orders_in_english_and_as_a_fragment(world):
    async with world.client(**EN) as http:
        page = await http.get("/desk/orders")
        fragment = await http.get("/desk/orders", headers=HX)
    assert "<h1>My activities</h1>" in page.text and "All 4" in page.text
    assert "Draft 2" in page.text and "Next step" in page.text
    assert fragment.status_code == 200 and "<html" not in fragment.text and "All 4" in fragment.text


async def test_the_streets_coordinator_sees_the_area_and_which_community(world):
    async with world.client("coordinator") as http:
        page = await http.get("/desk/orders")
    assert "南大街消防演练" in page.text and "社区急救知识讲座" in page.text
    assert "南大街社区" in page.text  # several communities: each row says which
    async with world.client("far_coordinator") as http:
        page = await http.get("/desk/orders")
    assert "社区急救知识讲座" not in page.text and "没有符合条件的活动。" in page.text
