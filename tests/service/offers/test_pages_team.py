"""The team leader's pages (队伍接单): every page whole and as an htmx fragment, in Chinese and
English; choosing who goes with each member's situation shown first; refusals inline with the
service's status; declining with a reason the coordinator sees; the schedule; scope.

The world (tests/service/offers/team_desk_world.py): team 1 led by 王海 with 李明, 赵敏 (free),
陈刚 (busy within the travel buffer), 孙丽 (paused), 周强 (blackout day), 吴芳 (weekends only);
the first order needs 2 people on Thursday 14:00–16:00, the second 2 on Saturday.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.models import Event, Notification, Offer
from service.vocab import OfferStatus, OrderStatus
from tests.service.auth.helpers import client_for
from tests.service.offers.team_desk_world import build_team_desk_world, order_row

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}
FREE = ("王海", "李明", "赵敏")
BLOCKED = ("陈刚", "孙丽", "周强", "吴芳")


@pytest.fixture
async def world(session, clock):
    return await build_team_desk_world(session, clock.now())


@pytest.fixture
async def leader(world, login):
    return await login(world.users["王海"])


def _main(page) -> str:
    """The page's own content (the layout's navigation and footer left out)."""
    text = page.text
    if "<main" in text:
        text = text[text.index("<main") : text.index("</main>")]
    return text


def _checkbox(page, volunteer_id: int) -> str | None:
    found = re.search(rf'<input type="checkbox"[^>]*value="{volunteer_id}"[^>]*>', page.text)
    return found.group(0) if found else None


def _accept_url(world, name="first") -> str:
    return f"/desk/team/offers/{world.orders[name]}/accept"


def _ids(world, *names) -> dict[str, list[str]]:
    return {"member_ids": [str(world.volunteers[name]) for name in names]}


# ---------------------------------------------------------------- landing and the offers list


async def test_a_team_leader_lands_on_team_offers_with_their_navigation(world, leader):
    start = await leader.get("/start")
    assert start.status_code == 303 and start.headers["location"] == "/desk/team"
    page = await leader.get("/desk/team")
    assert re.search(r'href="/desk/team" aria-current="page">队伍接单</a>', page.text)
    assert 'href="/desk/team/schedule">队伍日程</a>' in page.text


async def test_the_offers_list_shows_the_teams_waiting_orders_most_urgent_first(world, leader):
    page = await leader.get("/desk/team")
    assert page.status_code == 200
    main = _main(page)
    first, second = main.index("社区急救与安全用药"), main.index("周末心肺复苏体验课")
    assert first < second  # answer by Wednesday before answer by Saturday
    assert "东山社区急救课" not in main and "不是派给志愿队的活动" not in main
    assert "11月26日 周四 14:00" in main and "–16:00" in main
    assert "海岸社区 · 社区活动室" in main
    assert "合理用药、心肺复苏" in main  # the skills needed
    assert "共 2 人，已派 0 人，还差 2 人" in main
    assert "11月25日 周三 14:00（还剩 2 天）" in main  # the deadline, and how soon
    assert f'href="/desk/team/offers/{world.orders["first"]}"' in main
    assert "<html" in page.text and "<h1>队伍接单</h1>" in main
    assert "等您答复（2 个）" in main and "declined-heading" not in main


async def test_the_offers_list_as_a_fragment_and_in_english(world, leader):
    fragment = await leader.get("/desk/team", headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1>队伍接单</h1>" in fragment.text
    english = await leader.get("/desk/team", headers=EN)
    main = _main(english)
    assert "<h1>Team offers</h1>" in main
    assert "Thu 26 Nov 14:00" in main
    assert "2 in all, 0 assigned, 2 still needed" in main
    assert "Open and choose members" in main
    assert "队伍接单" not in main and "还差" not in main
    both = await leader.get("/desk/team", headers={**HTMX, **EN})
    assert "<html" not in both.text and "<h1>Team offers</h1>" in both.text


async def test_a_leader_with_nothing_waiting_is_told_so(world, leader, session):
    for name in ("first", "second"):  # both taken already
        order = await order_row(session, world.orders[name])
        order.status, order.accepted_count = OrderStatus.staffed, order.slots
        await session.commit()
    page = await leader.get("/desk/team")
    assert "目前没有等您答复的派单" in page.text
    assert "社区急救与安全用药" not in page.text


# ---------------------------------------------------------------- one offer: who can go


async def test_the_offer_shows_every_members_situation_before_choosing(world, leader):
    page = await leader.get(f"/desk/team/offers/{world.orders['first']}")
    assert page.status_code == 200
    main = _main(page)
    assert "<h1>社区急救与安全用药</h1>" in main
    assert "这个时段有空的队员（3 人）" in main
    for name in FREE:
        box = _checkbox(page, world.volunteers[name])
        assert box is not None and "disabled" not in box, name
        assert f'<label for="member-{world.volunteers[name]}">' in main  # every box labelled
    for name in BLOCKED:  # no box to tick, and the reason in words
        assert _checkbox(page, world.volunteers[name]) is None, name
        assert name in main
    assert "这个时段不能派的队员（4 人）" in main
    assert "时间冲突：已接「老年人防跌倒讲座」（11月26日 周四 11:45–13:45）" in main
    assert "两个活动之间要留 30 分钟路上时间" in main
    assert "已暂停接单" in main
    assert "11月26日 周四已设为不能服务的日子" in main
    assert "不在可服务时间：周四不服务" in main
    assert "王海</strong>（本人）" in main
    assert "本次用得上的技能：合理用药" in main  # 赵敏
    assert "还差 2 人。勾选要去的队员，大家合起来要会：合理用药、心肺复苏。" in main
    assert 'name="csrf_token"' in main
    assert f'href="/desk/team/offers/{world.orders["first"]}/decline"' in main


async def test_the_offer_as_a_fragment_and_in_english(world, leader):
    url = f"/desk/team/offers/{world.orders['first']}"
    fragment = await leader.get(url, headers=HTMX)
    assert "<html" not in fragment.text and "<h1>社区急救与安全用药</h1>" in fragment.text
    english = await leader.get(url, headers=EN)
    main = _main(english)
    assert "Members free at this time (3)" in main
    assert "Members who cannot go at this time (4)" in main
    assert "Time conflict: already going to “老年人防跌倒讲座” (Thu 26 Nov 11:45–13:45)" in main
    assert "Has paused taking activities" in main
    assert "Thu 26 Nov is marked as a day they cannot serve" in main
    assert "Not in their available hours: not available on Thu" in main
    assert "Accept and send the ticked members" in main
    assert "这个时段" not in main and "不能派" not in main
    both = await leader.get(url, headers={**HTMX, **EN})
    assert "<html" not in both.text and "Choose who goes" in both.text


async def test_what_the_page_says_is_what_team_accept_decides(world, leader, session):
    """Each member the page shows as unable to go is refused by the service, one by one; the
    free ones are accepted together."""
    for name in BLOCKED:  # with 赵敏, so the skills are covered and only the member is at issue
        refused = await leader.post(_accept_url(world), data=_ids(world, "赵敏", name))
        assert refused.status_code == 409, (name, refused.text[:200])
        alert = re.search(r'role="alert">([^<]*)<', refused.text).group(1)
        assert f"「{name}」" in alert, (name, alert)
    accepted = await leader.post(_accept_url(world), data=_ids(world, "李明", "赵敏"))
    assert accepted.status_code == 303


# ---------------------------------------------------------------- accepting


async def test_accepting_names_the_members_and_the_order_is_staffed(world, leader, session):
    response = await leader.post(_accept_url(world), data=_ids(world, "李明", "赵敏"))
    assert response.status_code == 303
    target = f"/desk/team/offers/{world.orders['first']}?done=accepted"
    assert response.headers["location"] == target
    order = await order_row(session, world.orders["first"])
    assert (order.status, order.accepted_count) == (OrderStatus.staffed, 2)
    offers = (
        await session.scalars(sa.select(Offer).where(Offer.order_id == world.orders["first"]))
    ).all()
    assert {(o.volunteer_id, o.status, o.team_id) for o in offers} == {
        (world.volunteers["李明"], OfferStatus.accepted, world.teams["team"]),
        (world.volunteers["赵敏"], OfferStatus.accepted, world.teams["team"]),
    }
    page = await leader.get(target)
    main = _main(page)
    assert "已接单。出队队员会收到通知：李明、赵敏。" in main
    assert "已派出的队员" in main and "名额已满，不需要再派人。" in main
    assert 'name="member_ids"' not in main  # nothing left to choose


async def test_accepting_with_htmx_answers_with_hx_redirect(world, leader):
    response = await leader.post(_accept_url(world), data=_ids(world, "李明", "赵敏"), headers=HTMX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].endswith("?done=accepted")


async def test_more_members_than_open_places_are_refused_inline(world, leader, session):
    response = await leader.post(_accept_url(world), data=_ids(world, *FREE))
    assert response.status_code == 409
    main = _main(response)
    assert 'role="alert">该活动只剩 2 个名额，您指定了 3 名新队员。' in main
    for name in FREE:  # what was ticked stays ticked, marked, and pointing at the reason
        box = _checkbox(response, world.volunteers[name])
        assert " checked" in box and 'aria-invalid="true"' in box and "accept-refusal" in box
    order = await order_row(session, world.orders["first"])
    assert (order.status, order.accepted_count) == (OrderStatus.published, 0)  # nothing changed
    fragment = await leader.post(_accept_url(world), data=_ids(world, *FREE), headers=HTMX)
    assert fragment.status_code == 409 and "<html" not in fragment.text
    assert "该活动只剩 2 个名额" in fragment.text
    english = await leader.post(_accept_url(world), data=_ids(world, *FREE), headers=EN)
    assert english.status_code == 409
    assert "This activity has only 2 places left, but you chose 3 new members." in english.text


async def test_a_conflicting_member_is_refused_inline_with_the_reason(world, leader, session):
    """A page opened before 陈刚 took the other activity still offers him: the service refuses,
    the page says why, keeps the other choice, and now lists him as unable to go."""
    response = await leader.post(_accept_url(world), data=_ids(world, "赵敏", "陈刚"))
    assert response.status_code == 409
    main = _main(response)
    assert "时间冲突：队员「陈刚」已接「老年人防跌倒讲座」" in main
    assert " checked" in _checkbox(response, world.volunteers["赵敏"])
    assert "（刚才勾选了，但不能派）" in main
    assert (await order_row(session, world.orders["first"])).accepted_count == 0


async def test_members_who_miss_a_needed_skill_are_refused_inline(world, leader, session):
    response = await leader.post(_accept_url(world), data=_ids(world, "王海", "李明"))
    assert response.status_code == 409
    assert "所选队员未覆盖活动所需技能：合理用药。" in _main(response)
    for name in ("王海", "李明"):
        assert 'aria-invalid="true"' in _checkbox(response, world.volunteers[name])
    assert (await order_row(session, world.orders["first"])).accepted_count == 0


async def test_a_member_of_another_team_is_refused_inline(world, leader, session):
    response = await leader.post(_accept_url(world), data=_ids(world, "李明", "冯军"))
    assert response.status_code == 422
    assert "该志愿者不是本队队员" in _main(response)
    assert "冯军" not in response.text  # a leader does not learn who an outsider is
    assert " checked" in _checkbox(response, world.volunteers["李明"])
    assert (await order_row(session, world.orders["first"])).accepted_count == 0


async def test_choosing_nobody_is_refused_next_to_the_list(world, leader):
    response = await leader.post(_accept_url(world), data={})
    assert response.status_code == 422
    assert 'id="accept-refusal" class="notice error" role="alert">请至少勾选一名队员。' in (
        response.text
    )
    english = await leader.post(_accept_url(world), data={}, headers=EN)
    assert "Please tick at least one team member." in english.text


# ---------------------------------------------------------------- declining


async def test_the_decline_form_asks_for_a_reason(world, leader):
    url = f"/desk/team/offers/{world.orders['first']}/decline"
    page = await leader.get(url)
    assert page.status_code == 200
    main = _main(page)
    assert "<h1>婉拒这个活动</h1>" in main
    assert '<label for="reason">婉拒原因（必填）</label>' in main
    assert "确认婉拒" in main and "不婉拒，返回选派队员" in main
    fragment = await leader.get(url, headers=HTMX)
    assert "<html" not in fragment.text and "<h1>婉拒这个活动</h1>" in fragment.text
    english = await leader.get(url, headers=EN)
    assert "Reason for declining (required)" in english.text
    assert "Yes, decline this activity" in english.text


async def test_declining_without_a_reason_is_refused_next_to_the_field(world, leader, session):
    url = f"/desk/team/offers/{world.orders['first']}/decline"
    response = await leader.post(url, data={"reason": "   "})
    assert response.status_code == 422
    main = _main(response)
    assert 'aria-invalid="true"' in main and "reason-error" in main
    assert '<span id="reason-error" class="field-error">请写明婉拒的原因。</span>' in main
    assert (await order_row(session, world.orders["first"])).needs_attention_at is None
    too_long = await leader.post(url, data={"reason": "很长" * 300}, headers=EN)
    assert too_long.status_code == 422
    assert "The reason can be at most 500 characters" in too_long.text
    assert "很长很长" in too_long.text  # what was typed is kept


async def test_a_decline_reaches_the_coordinators_queue_with_its_reason(
    world, leader, login, session
):
    url = f"/desk/team/offers/{world.orders['first']}/decline"
    response = await leader.post(url, data={"reason": "队员当天都在参加集训"})
    assert (
        response.status_code == 303 and response.headers["location"] == "/desk/team?done=declined"
    )
    order = await order_row(session, world.orders["first"])
    assert order.status == OrderStatus.published and order.needs_attention_at is not None
    assert "队员当天都在参加集训" in order.suggestion["reason"]
    logged = await session.scalar(
        sa.select(Event.reason).where(Event.order_id == order.id).order_by(Event.id.desc())
    )
    assert "队员当天都在参加集训" in logged  # kept in the order's event log
    told = await session.scalar(
        sa.select(Notification.body).where(
            Notification.user_id == world.users["张老师"],
            Notification.kind == "order_needs_attention",
        )
    )
    assert "队员当天都在参加集训" in told
    worker = await login(world.users["张老师"])
    queue = await worker.get("/api/v1/coordinator/queue")
    item = next(i for i in queue.json()["items"] if i["id"] == order.id)
    assert "队员当天都在参加集训" in item["suggestion"]["text"]
    listed = _main(await leader.get("/desk/team?done=declined"))
    assert "已婉拒。活动已转给协调员重新安排" in listed
    waiting, declined = listed.split('id="declined-heading"')
    assert "等您答复（1 个）" in waiting and "周末心肺复苏体验课" in waiting
    assert "社区急救与安全用药" not in waiting  # answered: listed apart, still answerable
    assert "已婉拒，等协调员处理（1 个）</h2>" in declined and "社区急救与安全用药" in declined


async def test_declining_with_htmx_answers_with_hx_redirect(world, leader):
    response = await leader.post(
        f"/desk/team/offers/{world.orders['first']}/decline",
        data={"reason": "人手不够"},
        headers=HTMX,
    )
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/desk/team")


async def test_a_staffed_order_cannot_be_declined(world, leader, session):
    await leader.post(_accept_url(world), data=_ids(world, "李明", "赵敏"))
    url = f"/desk/team/offers/{world.orders['first']}/decline"
    page = await leader.get(url)
    assert "这个活动已不再等待答复，不能婉拒。" in page.text and "确认婉拒" not in page.text
    response = await leader.post(url, data={"reason": "临时有变"})
    assert response.status_code == 409
    assert "该活动当前不在待接单状态，无需婉拒。" in _main(response)


# ---------------------------------------------------------------- the schedule


async def test_the_schedule_lists_accepted_activities_by_day_with_who_goes(world, leader):
    empty = await leader.get("/desk/team/schedule")
    assert empty.status_code == 200 and "还没有已接的活动" in empty.text
    await leader.post(_accept_url(world), data=_ids(world, "李明", "赵敏"))
    await leader.post(_accept_url(world, "second"), data=_ids(world, "王海"))
    page = await leader.get("/desk/team/schedule")
    main = _main(page)
    thursday, saturday = main.index("11月26日 周四"), main.index("11月28日 周六")
    assert thursday < saturday
    assert "社区急救与安全用药" in main and "周末心肺复苏体验课" in main
    assert re.search(r"<li>李明</li>\s*<li>赵敏</li>|<li>李明</li><li>赵敏</li>", main)
    assert "14:00</time>–16:00" in main
    assert "老年人防跌倒讲座" not in main  # 陈刚's own activity, not the team's
    fragment = await leader.get("/desk/team/schedule", headers=HTMX)
    assert "<html" not in fragment.text and "<h1>队伍日程</h1>" in fragment.text
    english = await leader.get("/desk/team/schedule", headers=EN)
    assert "<h1>Team schedule</h1>" in english.text and "Sat 28 Nov" in english.text
    assert "Members going" in english.text


# ---------------------------------------------------------------- scope


async def test_another_teams_offer_is_not_found_and_nothing_is_shown(world, leader, session):
    for name in ("foreign", "targeted", "busy"):
        order_id = world.orders[name]
        for response in (
            await leader.get(f"/desk/team/offers/{order_id}"),
            await leader.get(f"/desk/team/offers/{order_id}/decline"),
            await leader.post(f"/desk/team/offers/{order_id}/accept", data=_ids(world, "李明")),
            await leader.post(f"/desk/team/offers/{order_id}/decline", data={"reason": "不去"}),
        ):
            assert response.status_code == 404, (name, response.request.url)
            assert "东山社区急救课" not in response.text
            assert "老年人防跌倒讲座" not in response.text
    order = await order_row(session, world.orders["foreign"])
    assert order.accepted_count == 0 and order.needs_attention_at is None
    assert (await leader.get("/desk/team/offers/999999")).status_code == 404


async def test_the_other_teams_leader_sees_only_their_own(world, login):
    other = await login(world.users["郑伟"])
    page = await other.get("/desk/team")
    assert "东山社区急救课" in page.text and "社区急救与安全用药" not in page.text
    assert (await other.get(f"/desk/team/offers/{world.orders['first']}")).status_code == 404


async def test_people_who_lead_no_team_are_kept_out(world, login, app):
    for who in ("李明", "张老师"):  # a member, a community worker
        client = await login(world.users[who])
        for path in (
            "/desk/team",
            "/desk/team/schedule",
            f"/desk/team/offers/{world.orders['first']}",
        ):
            assert (await client.get(path)).status_code == 403, (who, path)
    async with client_for(app) as anonymous:
        response = await anonymous.get("/desk/team")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
