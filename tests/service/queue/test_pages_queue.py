"""The coordinator's queue pages: what is stuck and why, each fix with the candidates it gains
(equal to what the dispatch code counts for the changed order), confirming and applying a fix,
past items, refusals inline, scope — in Chinese and English, whole pages and htmx fragments."""

from __future__ import annotations

import html
import re
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.dispatch.candidates import draft_of, ranked_candidates
from service.dispatch.preview import preview
from service.localtime import to_local
from service.models import Offer, Order
from service.vocab import OfferStatus, OrderStatus, Role

HX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


def card(page: str, order_id: int) -> str:
    """The queue card of one order, as text (tags dropped, entities decoded)."""
    match = re.search(rf'id="queue-item-{order_id}".*?</article>', page, re.S)
    assert match, f"no card for order {order_id}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))))


def card_html(page: str, order_id: int) -> str:
    return re.search(rf'id="queue-item-{order_id}".*?</article>', page, re.S).group(0)


def fixes_offered(card_markup: str) -> set[str]:
    """The fixes a card offers: its fix buttons (GET forms) and the cancel link."""
    return set(re.findall(r'name="fix" value="(\w+)"', card_markup)) | set(
        re.findall(r"fix=(\w+)", card_markup)
    )


def gain_after(text: str, label: str) -> int:
    """The "多 N 位候选人" number that follows ``label`` in a card's text."""
    match = re.search(re.escape(label) + r" 多 (\d+) 位候选人", text)
    assert match, f"no gain after {label!r} in: {text}"
    return int(match.group(1))


async def _order(session, order_id) -> Order:
    await session.rollback()  # a fresh snapshot
    return await session.get(Order, order_id, populate_existing=True)


async def _asked(session, order_id) -> set[int]:
    rows = await session.scalars(sa.select(Offer.volunteer_id).where(Offer.order_id == order_id))
    return set(rows)


async def _counted_by_dispatch(session, settings, clock, order_id, **change) -> int:
    """What the dispatch code (the cascade's ranking) finds for the order changed hypothetically,
    leaving out everyone already asked — computed here, independently of the page."""
    order = await _order(session, order_id)
    draft = replace(await draft_of(session, order), **change)
    found = await ranked_candidates(
        session, draft, settings=settings, now=clock.now(), k=1000,
        exclude=await _asked(session, order_id),
    )  # fmt: skip
    return len(found)


# ---------------------------------------------------------------- the queue


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
async def test_the_queue_says_what_where_when_why_and_how_long(world, login, headers):
    async with await login(world.users["street"], **headers) as http:
        response = await http.get("/desk/queue")
    assert response.status_code == 200
    page = response.text
    assert ("<html" in page) == (headers != HX)
    widen = card(page, world.ids["widen"])
    assert "老年人防范电信诈骗讲座" in widen and "朝阳街社区 · 向阳街道" in widen
    assert "11月26日（周四）10:00" in widen  # local time of the start
    assert "还缺 1 人（共 1 个名额）" in widen and "已等待 5 小时" in widen
    assert "邀请过的志愿者都没接（婉拒 1 位，超时未回复 0 位）" in widen
    assert "服务半径放宽 5 公里后有 3 名候选志愿者" in widen  # the cascade's suggestion
    declined = card(page, world.ids["declined"])
    assert "志愿队「朝阳街反诈宣讲队」婉拒了这个活动" in declined
    assert "队长说：那周队员都在外地培训" in declined
    past = card(page, world.ids["past"])
    assert "接单截止（11月21日（周六）10:00）时还缺 1 人" in past and "已等待 2 天 0 小时" in past
    assert "白石社区反诈讲座" not in page  # another street's order
    assert f'id="queue-item-{world.ids["fine"]}"' not in page  # not stuck
    # Orders still in time come first, those whose time has passed in their own section.
    assert page.index("还来得及重新派单") < page.index("活动时间已过，需要改期或取消")


async def test_the_queue_in_english(world, login):
    async with await login(world.users["street"], **EN) as http:
        response = await http.get("/desk/queue")
    assert response.status_code == 200 and 'lang="en"' in response.text
    widen = card(response.text, world.ids["widen"])
    assert "Stuck orders" in response.text
    assert "Widen the distance from 5 km to 10 km Candidates gained: 3" in widen
    assert "Why it is stuck" in widen and "declined 1, did not answer 0" in widen
    assert "Thu 11/26 10:00" in widen
    past = card(response.text, world.ids["past"])
    assert "The activity time has passed" in past
    declined = card(response.text, world.ids["declined"])
    assert "The team “朝阳街反诈宣讲队” declined this activity." in declined
    assert "The leader said: 那周队员都在外地培训" in declined  # the leader's own words


async def test_a_district_coordinator_sees_every_street(world, login):
    async with await login(world.users["district"]) as http:
        page = (await http.get("/desk/queue")).text
    assert "白石社区反诈讲座" in page and "老年人防范电信诈骗讲座" in page


# ---------------------------------------------------------------- gains, counted honestly


async def test_widening_gains_what_the_dispatch_code_counts(world, login, session, settings, clock):
    async with await login(world.users["street"]) as http:
        text = card((await http.get("/desk/queue")).text, world.ids["widen"])
    shown_10 = gain_after(text, "服务距离从 5 公里扩大到 10 公里")
    shown_15 = gain_after(text, "服务距离从 5 公里扩大到 15 公里")
    oid = world.ids["widen"]
    assert shown_10 == await _counted_by_dispatch(session, settings, clock, oid, max_distance_km=10)
    assert shown_15 == await _counted_by_dispatch(session, settings, clock, oid, max_distance_km=15)
    # And by hand: three live 7 km away, two more 12 km away; the one who declined never counts.
    assert (shown_10, shown_15) == (3, 5)
    assert "现在可邀请 0 位" in text
    # Open dispatch reaches nobody new: the only volunteer in reach already said no.
    assert "开放给所有符合条件的志愿者自己接单 没有新增候选人" in text


async def test_a_new_date_gains_what_the_preview_counts(world, login, session, settings, clock):
    async with await login(world.users["street"]) as http:
        page = (await http.get("/desk/queue")).text
    text = card(page, world.ids["past"])
    # Saturday has the weekend volunteer too, so it is suggested with two candidates.
    saturday = gain_after(text, "改到 11月28日（周六）09:00")
    assert saturday == 2
    order = await _order(session, world.ids["past"])
    start = (
        to_local(clock.now(), settings.timezone)
        .replace(day=28, hour=9)
        .astimezone(clock.now().tzinfo)
    )
    moved = replace(
        await draft_of(session, order),
        starts_at=start,
        ends_at=start + (order.ends_at - order.starts_at),
    )
    coordinator = Actor(user_id=world.users["street"].id, grants=(RoleGrant(Role.coordinator),))
    ctx = ActionContext(actor=coordinator, now=clock.now(), settings=settings)
    assert (await preview(session, ctx, moved)).count == saturday  # nobody was asked for it
    # The three days with the most: both Saturdays in the next two weeks, then the soonest day
    # with the volunteer 2 km away; one time per day, shown in date order.
    shown = re.findall(r"改到 (\d+月\d+日)（周.）\d\d:\d\d 多 (\d+) 位候选人", text)
    assert shown == [("11月24日", "1"), ("11月28日", "2"), ("12月5日", "2")]


async def test_a_team_shows_its_free_members_within_the_area(world, login):
    async with await login(world.users["street"]) as http:
        page = (await http.get("/desk/queue")).text
    widen = card(page, world.ids["widen"])
    assert "派给志愿队「朝阳街反诈宣讲队」 3 位队员有空（需要 1 人）" in widen
    assert "白石科普志愿队" not in widen  # based in another street
    # The team that declined is not offered again.
    assert "派给志愿队「朝阳街反诈宣讲队」" not in card(page, world.ids["declined"])
    async with await login(world.users["district"]) as http:
        page = (await http.get("/desk/queue")).text
    assert "派给志愿队「白石科普志愿队」 2 位队员有空" in card(page, world.ids["widen"])


async def test_a_past_item_offers_only_new_dates_or_cancelling(world, login):
    async with await login(world.users["street"]) as http:
        page = (await http.get("/desk/queue")).text
    past_html = card_html(page, world.ids["past"])
    assert "活动时间已过，需要重新定一个日期（或者取消这个活动）。" in past_html
    assert fixes_offered(past_html) == {"move", "cancel"}
    # Still in time: every fix that gains someone (open dispatch gains nobody here, no link).
    assert fixes_offered(card_html(page, world.ids["widen"])) == {
        "widen", "team", "move", "cancel",
    }  # fmt: skip


# ---------------------------------------------------------------- confirming and applying


@pytest.mark.parametrize("headers", [{}, HX, EN], ids=["page", "htmx", "en"])
async def test_confirming_shows_the_change_and_writes_nothing(world, login, session, headers):
    oid = world.ids["widen"]
    async with await login(world.users["street"], **headers) as http:
        response = await http.get(f"/desk/queue/{oid}/confirm", params={"fix": "widen", "km": 10})
    assert response.status_code == 200
    assert ("<html" in response.text) == (headers != HX)
    if headers == EN:
        assert "Widen the distance from 5 km to 10 km, then dispatch again." in response.text
        assert "Confirm: widen to 10 km and dispatch again" in response.text
    else:
        assert "把服务距离从 5 公里扩大到 10 公里，然后重新派单。" in response.text
        assert "预计可邀请 3 位候选人" in response.text and "多 3 位候选人" in response.text
        assert "确认扩大到 10 公里并重新派单" in response.text
    order = await _order(session, oid)
    assert order.max_distance_km == 5 and order.needs_attention_at is not None


async def test_applying_a_wider_distance_redispatches_and_leaves_the_queue(world, login, session):
    oid = world.ids["widen"]
    async with await login(world.users["street"]) as http:
        done = await http.post(f"/desk/queue/{oid}/apply", data={"fix": "widen", "km": "10"})
        assert done.status_code == 303 and done.headers["location"] == f"/desk/queue/{oid}/result"
        result = await http.get(done.headers["location"])
        queue = (await http.get("/desk/queue")).text
    order = await _order(session, oid)
    assert order.max_distance_km == 10 and order.status == OrderStatus.published
    assert order.needs_attention_at is None
    offers = await session.scalars(
        sa.select(Offer).where(Offer.order_id == oid, Offer.status == OfferStatus.offered)
    )
    assert len(list(offers)) == 3  # the three gained, asked at once by the cascade
    assert result.status_code == 200
    assert "已重新派单：已向 3 位志愿者发出邀请，等他们回复。" in result.text
    assert "它已离开待处理队列。" in result.text and "10 公里以内" in result.text
    assert f'id="queue-item-{oid}"' not in queue


async def test_applying_through_htmx_redirects_with_hx_redirect(world, login, session):
    oid = world.ids["widen"]
    async with await login(world.users["street"], **HX) as http:
        done = await http.post(f"/desk/queue/{oid}/apply", data={"fix": "open"})
    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"/desk/queue/{oid}/result"
    order = await _order(session, oid)
    assert order.dispatch_mode == "open" and order.needs_attention_at is None


async def test_moving_a_past_item_to_a_suggested_day(world, login, session, settings):
    oid = world.ids["past"]
    async with await login(world.users["street"]) as http:
        done = await http.post(
            f"/desk/queue/{oid}/apply", data={"fix": "move", "day": "2026-11-28", "at": "09:00"}
        )
        result = await http.get(f"/desk/queue/{oid}/result")
    assert done.status_code == 303
    order = await _order(session, oid)
    assert to_local(order.starts_at, settings.timezone).strftime("%m-%d %H:%M") == "11-28 09:00"
    assert order.ends_at - order.starts_at == timedelta(hours=2)
    assert order.status == OrderStatus.published and order.needs_attention_at is None
    assert "已向 2 位志愿者发出邀请" in result.text


async def test_a_past_item_refuses_anything_but_a_new_date_inline(world, login, session):
    oid = world.ids["past"]
    async with await login(world.users["street"]) as http:
        refused = await http.post(f"/desk/queue/{oid}/apply", data={"fix": "widen", "km": "10"})
        confirm = await http.get(f"/desk/queue/{oid}/confirm", params={"fix": "open"})
    assert refused.status_code == 409
    assert "活动时间已过，只能改到新的日期，或者取消活动。" in refused.text
    assert 'role="alert"' in refused.text and "确认扩大到" not in refused.text
    assert confirm.status_code == 409 and "只能改到新的日期" in confirm.text
    order = await _order(session, oid)
    assert order.max_distance_km == 5 and order.status == OrderStatus.expired


async def test_cancelling_needs_a_reason_and_keeps_what_was_typed(world, login, session):
    oid = world.ids["past"]
    async with await login(world.users["street"], **EN) as http:
        asked = await http.get(f"/desk/queue/{oid}/confirm", params={"fix": "cancel"})
        empty = await http.post(f"/desk/queue/{oid}/apply", data={"fix": "cancel", "reason": " "})
    assert asked.status_code == 200 and "Reason for cancelling" in asked.text
    assert empty.status_code == 422 and 'aria-invalid="true"' in empty.text
    assert "Please give a reason" in empty.text
    async with await login(world.users["street"]) as http:
        done = await http.post(
            f"/desk/queue/{oid}/apply", data={"fix": "cancel", "reason": "场地装修，改到明年"}
        )
        result = await http.get(f"/desk/queue/{oid}/result")
    assert done.status_code == 303 and "活动已取消" in result.text
    order = await _order(session, oid)
    assert order.status == OrderStatus.cancelled and order.status_reason == "场地装修，改到明年"


async def test_a_refusal_keeps_what_was_typed(world, login, session):
    """The order service refuses a move beyond the planning horizon; the page says so inline."""
    oid = world.ids["widen"]
    async with await login(world.users["street"]) as http:
        far = await http.post(
            f"/desk/queue/{oid}/apply", data={"fix": "move", "day": "2029-01-05", "at": "09:30"}
        )
    assert far.status_code == 422 and 'role="alert"' in far.text
    assert 'value="2029-01-05"' in far.text and 'value="09:30"' in far.text
    assert (await _order(session, oid)).starts_at.year == 2026


async def test_sending_to_a_team_and_a_team_that_cannot(world, login, session):
    oid = world.ids["widen"]
    async with await login(world.users["street"]) as http:
        asked = await http.get(
            f"/desk/queue/{oid}/confirm", params={"fix": "team", "team_id": world.ids["team2"]}
        )
        assert asked.status_code == 409 and "这支志愿队现在凑不齐人手" in asked.text
        assert "确认派给这支志愿队" not in asked.text  # nothing to confirm
        foreign_team = await http.post(
            f"/desk/queue/{oid}/apply", data={"fix": "team", "team_id": world.ids["team2"]}
        )
        assert foreign_team.status_code == 409 and "这支志愿队现在凑不齐人手" in foreign_team.text
        done = await http.post(
            f"/desk/queue/{oid}/apply", data={"fix": "team", "team_id": world.ids["team"]}
        )
        result = await http.get(f"/desk/queue/{oid}/result")
    assert done.status_code == 303
    order = await _order(session, oid)
    assert order.dispatch_mode == "team" and order.team_id == world.ids["team"]
    assert "已派给志愿队「朝阳街反诈宣讲队」，等队长安排队员。" in result.text


async def test_an_item_already_handled_says_so(world, login, session):
    oid = world.ids["fine"]
    async with await login(world.users["street"]) as http:
        response = await http.post(f"/desk/queue/{oid}/apply", data={"fix": "open"})
        item = await http.get(f"/desk/queue/{oid}")
    assert response.status_code == 409 and "现在不在待处理队列里" in response.text
    assert item.status_code == 200 and "这个活动现在不在待处理队列里" in item.text
    assert (await _order(session, oid)).dispatch_mode == "targeted"


async def test_a_wrong_distance_is_refused_next_to_the_choice(world, login):
    oid = world.ids["widen"]
    async with await login(world.users["street"]) as http:
        odd = await http.get(f"/desk/queue/{oid}/confirm", params={"fix": "widen", "km": "7"})
        nothing = await http.get(f"/desk/queue/{oid}/confirm")
    assert odd.status_code == 422 and "请选择比现在的 5 公里更远的、列出的服务距离" in odd.text
    assert nothing.status_code == 422 and "请选择一种处理办法" in nothing.text


# ---------------------------------------------------------------- the date picker


@pytest.mark.parametrize("headers", [{}, HX, EN], ids=["page", "htmx", "en"])
async def test_the_date_picker_counts_a_chosen_day(world, login, headers):
    oid = world.ids["past"]
    async with await login(world.users["street"], **headers) as http:
        saturday = await http.get(
            f"/desk/queue/{oid}/day", params={"day": "2026-12-05", "at": "10:00"}
        )
        monday = await http.get(
            f"/desk/queue/{oid}/day", params={"day": "2026-12-07", "at": "10:00"}
        )
        missing = await http.get(f"/desk/queue/{oid}/day", params={"day": "2026-12-07"})
        past = await http.get(f"/desk/queue/{oid}/day", params={"day": "2026-11-01", "at": "10:00"})
    assert saturday.status_code == monday.status_code == 200
    assert ("<html" in saturday.text) == (headers != HX)
    if headers == EN:
        assert "Candidates to ask: 2" in saturday.text and "Candidates to ask: 1" in monday.text
    else:
        assert "可邀请 2 位" in saturday.text and "多 2 位候选人" in saturday.text
        assert "可邀请 1 位" in monday.text
        assert "fix=move&amp;day=2026-12-05&amp;at=10%3A00" in saturday.text
    assert missing.status_code == 422 and past.status_code == 422


# ---------------------------------------------------------------- scope and access


async def test_another_streets_coordinator_sees_nothing_of_it(world, login, session):
    oid = world.ids["widen"]
    async with await login(world.users["street2"]) as http:
        queue = (await http.get("/desk/queue")).text
        pages = [
            await http.get(f"/desk/queue/{oid}"),
            await http.get(f"/desk/queue/{oid}/confirm", params={"fix": "widen", "km": 10}),
            await http.get(f"/desk/queue/{oid}/day", params={"day": "2026-12-05", "at": "10:00"}),
            await http.get(f"/desk/queue/{oid}/result"),
            await http.post(f"/desk/queue/{oid}/apply", data={"fix": "widen", "km": "10"}),
        ]
    assert "老年人防范电信诈骗讲座" not in queue and "白石社区反诈讲座" in queue
    for response in pages:
        assert response.status_code in (403, 404), response.request.url
        assert "老年人防范电信诈骗讲座" not in response.text
    assert (await _order(session, oid)).max_distance_km == 5


async def test_only_coordinators_open_the_queue(world, login, client):
    async with await login(world.users["worker"]) as http:
        assert (await http.get("/desk/queue")).status_code == 403
    anonymous = await client.get("/desk/queue")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    missing = await (await login(world.users["street"])).get("/desk/queue/999999")
    assert missing.status_code == 404


async def test_a_coordinator_lands_on_the_queue(world, login):
    async with await login(world.users["street"]) as http:
        start = await http.get("/start")
        queue = await http.get("/desk/queue")
    assert start.status_code == 303 and start.headers["location"] == "/desk/queue"
    assert 'href="/desk/queue" aria-current="page"' in queue.text  # in the navigation


async def test_the_notice_appears_when_the_queue_changes(world, login, session):
    async with await login(world.users["street"]) as http:
        page = (await http.get("/desk/queue")).text
        since = html.unescape(re.search(r"notice\?since=([^\"]+)\"", page).group(1))
        since = since.replace("%3A", ":").replace("%2B", "+")
        quiet = await http.get("/desk/queue/notice", params={"since": since}, headers=HX)
        await http.post(f"/desk/queue/{world.ids['widen']}/apply", data={"fix": "open"})
        moved = await http.get("/desk/queue/notice", params={"since": since}, headers=HX)
    assert quiet.status_code == 200 and "队列有变化" not in quiet.text
    assert moved.status_code == 200 and "队列有变化" in moved.text
