"""The order form (新建活动) and its live candidate preview, in both languages."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.models import Demand, Offer, Order, OrderSkill
from service.vocab import DemandStatus, OrderStatus
from tests.service.demands.desk_world import ENGLISH, HTMX, build, client_of

NEW = "/desk/orders/new"
PREVIEW = "/desk/orders/new/preview"
# A Monday a week after the tests' "now" (2026-11-23), in Shanghai time.
DAY = "2026-11-30"


@pytest.fixture
async def world(session, clock):
    return await build(session, clock.now())


@pytest.fixture
async def worker(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.worker, clock.now()) as client:
        yield client


def form(world, **changes) -> dict:
    """What the form sends when filled in for the venue, a CPR class next Monday morning."""
    values = {
        "title": "社区急救知识讲座",
        "community_id": str(world.community.id),
        "target_group": "elderly",
        "description": "讲解心肺复苏和 AED 使用。",
        "date": DAY,
        "start_time": "09:00",
        "end_time": "11:00",
        "deadline": "",
        "venue": str(world.venue.id),
        "venue_name": "",
        "venue_address": "",
        "lat": "",
        "lng": "",
        "coord_system": "gcj02",
        "skill_ids": [str(world.cpr.id)],
        "slots": "2",
        "expected_attendance": "30",
        "max_distance_km": "10",
        "dispatch_mode": "targeted",
        "team_id": "",
    }
    values.update(changes)
    return values


async def _count(session, model, *where) -> int:
    await session.commit()
    return await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))


# ---------------------------------------------------------------- the form


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_the_empty_form_offers_pickers_not_ids(worker, world, headers):
    response = await worker.get(NEW, headers=headers)
    assert response.status_code == 200
    body = response.text
    assert ("<html" in body) is (not headers)
    assert "<h1>新建活动</h1>" in body
    # The worker's one community is chosen already, and its first venue.
    assert f'<option value="{world.community.id}" selected>测试社区</option>' in body
    assert f'<option value="{world.venue.id}" selected>社区活动室</option>' in body
    assert "别的社区" not in body
    # Skills grouped by domain; dispatch modes in words; no number box for an id.
    assert re.search(r"<legend>应急</legend>\s*<label class=\"skill-choice\">", body)
    assert f'name="skill_ids" value="{world.cpr.id}"' in body
    assert "定向邀请：先请最合适的几位志愿者" in body and "交给志愿队：由队长安排队员参加" in body
    assert not re.search(r'type="number"[^>]*name="(community_id|venue|team_id|skill_ids)"', body)
    assert 'hx-post="/desk/orders/new/preview"' in body and re.search(
        r"<form[^>]*\snovalidate\s", body
    )
    assert (
        'hx-trigger="load, change, input delay:500ms"' in body
        and 'hx-sync="this:queue last"' in body
    )
    assert "填写技能、地点和时间后显示候选人" in body


async def test_the_form_speaks_english(worker, world):
    response = await worker.get(NEW, headers=ENGLISH)
    body = response.text
    assert response.status_code == 200
    assert "<h1>New activity</h1>" in body and "Skills needed (choose one or more)" in body
    assert "Targeted: ask the best-matching volunteers first" in body
    assert "Create and dispatch" in body and "新建活动" not in body


async def test_adopting_fills_the_form_from_the_demand(worker, world):
    demand = world.demands["cpr"]
    response = await worker.get(NEW, params={"demand_id": demand.id})
    assert response.status_code == 200
    body = response.text
    assert "采纳点单，新建活动" in body and "居民的点单：「老年人急救知识讲座」" in body
    assert 'value="老年人急救知识讲座"' in body  # the title
    assert f'name="skill_ids" value="{world.cpr.id}" checked' in body
    assert '<option value="elderly" selected>' in body
    assert f'<input type="hidden" name="demand_id" value="{demand.id}">' in body


async def test_another_communitys_demand_cannot_be_adopted_or_seen(worker, world):
    response = await worker.get(NEW, params={"demand_id": world.demands["foreign"].id})
    assert response.status_code == 403 and "别社区的防诈骗讲座" not in response.text


@pytest.mark.parametrize("demand_id", ["999999", "x"])
async def test_an_unknown_demand_is_a_404(worker, world, demand_id):
    response = await worker.get(NEW, params={"demand_id": demand_id})
    assert response.status_code == 404


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_an_adopted_demand_is_a_409_with_its_order(worker, world, session, clock, headers):
    demand = world.demands["cpr"]
    created = await worker.post(
        NEW, data={**form(world), "demand_id": str(demand.id), "then": "draft"}
    )
    assert created.status_code == 303
    again = await worker.get(NEW, params={"demand_id": demand.id}, headers=headers)
    assert again.status_code == 409
    expected = "cannot be adopted again" if headers else "这条点单现在是「已采纳」，不能再次采纳"
    assert expected in again.text and created.headers["location"] in again.text
    twice = await worker.post(
        NEW, data={**form(world), "demand_id": str(demand.id), "then": "publish"}, headers=headers
    )
    assert twice.status_code == 409
    assert await _count(session, Order, Order.demand_id == demand.id) == 1


async def test_creating_from_a_demand_adopts_it_and_dispatches(worker, world, session):
    demand = world.demands["cpr"]
    response = await worker.post(
        NEW, data={**form(world), "demand_id": str(demand.id), "then": "publish"}
    )
    assert response.status_code == 303
    order = await session.scalar(sa.select(Order).where(Order.demand_id == demand.id))
    assert response.headers["location"] == f"/desk/orders/{order.id}"
    assert order.status == OrderStatus.published and order.slots == 2
    assert order.venue_id == world.venue.id and order.max_distance_km == 10
    # 09:00–11:00 in Shanghai is 01:00–03:00 UTC.
    assert (order.starts_at.hour, order.ends_at.hour) == (1, 3)
    skills = await session.scalars(
        sa.select(OrderSkill.skill_id).where(OrderSkill.order_id == order.id)
    )
    assert list(skills) == [world.cpr.id]
    adopted = await session.scalar(sa.select(Demand.status).where(Demand.id == demand.id))
    assert adopted == DemandStatus.adopted
    assert await _count(session, Offer, Offer.order_id == order.id) > 0  # targeted offers went out


async def test_saving_a_draft_with_htmx_redirects_to_the_order(worker, world, session):
    response = await worker.post(NEW, data={**form(world), "then": "draft"}, headers=HTMX)
    assert response.status_code == 204
    order = await session.scalar(sa.select(Order).order_by(Order.id.desc()).limit(1))
    assert response.headers["HX-Redirect"] == f"/desk/orders/{order.id}"
    assert order.status == OrderStatus.draft and order.demand_id is None


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_mistakes_are_shown_beside_their_fields_and_nothing_typed_is_lost(
    worker, world, session, headers
):
    data = form(world, title="我的讲座", skill_ids=[], end_time="08:00", slots="0")
    response = await worker.post(NEW, data=data, headers=headers)
    assert response.status_code == 422
    body = response.text
    expected = (
        ("Please choose at least one skill", "between 1 and 200", "must be after the start")
        if headers
        else (
            "请至少选择一项需要的技能",
            "需要的志愿者人数应在 1 到 200 之间",
            "结束时间须晚于开始时间",
        )
    )
    assert all(text in body for text in expected)
    assert 'value="我的讲座"' in body and 'value="08:00"' in body
    assert 'aria-invalid="true" aria-describedby="error-slots"' in body
    assert "Input should" not in body and "Field required" not in body  # no pydantic English
    assert await _count(session, Order) == 0


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_end_before_start_is_explained_at_the_end_time(worker, world, headers):
    response = await worker.post(NEW, data=form(world, end_time="08:00"), headers=headers)
    assert response.status_code == 422
    expected = "The end time must be after the start time" if headers else "结束时间须晚于开始时间"
    assert expected in response.text and 'aria-describedby="error-end_time"' in response.text


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_a_service_refusal_is_shown_beside_its_field(worker, world, session, headers):
    data = form(world, venue="new", venue_address="月球背面 8 号")
    response = await worker.post(NEW, data=data, headers=headers)
    assert response.status_code == 422
    assert 'aria-describedby="error-venue_address address-hint"' in response.text
    assert "月球背面 8 号" in response.text
    expected = "Cannot locate the address" if headers else "无法定位地址"
    assert expected in response.text
    assert await _count(session, Order) == 0


async def test_a_refused_dispatch_leaves_no_draft_behind(worker, world, session):
    # Team mode needs a team: the form says so before anything is saved.
    response = await worker.post(NEW, data=form(world, dispatch_mode="team", then="publish"))
    assert response.status_code == 422 and "请选出一支志愿队" in response.text
    # A deadline already past passes the form and the draft, but not publishing: the draft
    # created a moment before is not kept.
    late = await worker.post(NEW, data=form(world, deadline="2026-11-22T09:00", then="publish"))
    assert late.status_code == 409 and "截止" in late.text
    assert await _count(session, Order) == 0


async def test_another_community_in_the_form_is_refused(worker, world, session):
    response = await worker.post(NEW, data=form(world, community_id=str(world.other.id)))
    assert response.status_code == 403
    assert await _count(session, Order) == 0


async def test_a_volunteer_cannot_open_the_form(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.volunteer_user, clock.now()) as c:
        assert (await c.get(NEW)).status_code == 403
        assert (await c.post(PREVIEW, data=form(world))).status_code == 403


# ---------------------------------------------------------------- the preview


def _count_shown(body: str) -> int:
    return int(re.search(r'data-count="(\d+)"', body).group(1))


async def test_an_unfinished_form_waits_politely(worker, world):
    response = await worker.post(PREVIEW, data=form(world, skill_ids=[]), headers=HTMX)
    assert response.status_code == 200
    assert "填写技能、地点和时间后显示候选人" in response.text and "<html" not in response.text
    half_typed = await worker.post(PREVIEW, data=form(world, start_time="9"), headers=HTMX)
    assert half_typed.status_code == 200 and "填写技能、地点和时间后显示候选人" in half_typed.text


async def test_the_preview_counts_and_explains_in_words(worker, world):
    response = await worker.post(PREVIEW, data=form(world), headers=HTMX)
    assert response.status_code == 200
    body = response.text
    assert _count_shown(body) == 5
    assert "1 km 以内 · 心肺复苏 ✓ · 本月尚未服务 · 同社区" in body
    assert "1–3 km · 心肺复苏 ✓" in body and "5–10 km · 心肺复苏 ✓" in body
    assert re.search(r"139\*{4}\d{4}", body)  # phones masked as the API masks them
    assert not re.search(r"\d+\.\d+ ?km", body)  # never an exact distance
    assert "37.54" not in body and "121.4" not in body  # nor a home coordinate
    assert 'name="previewed"' in body


async def test_the_preview_speaks_english(worker, world):
    response = await worker.post(PREVIEW, data=form(world), headers={**HTMX, **ENGLISH})
    assert response.status_code == 200
    assert "within 1 km · 心肺复苏 ✓ · no activity this month yet · same community" in response.text
    assert "Candidate volunteers" in response.text and "候选志愿者" not in response.text


async def test_the_count_follows_the_distance_and_the_skill(worker, world):
    counts = {}
    for km in ("10", "3", "1"):
        response = await worker.post(PREVIEW, data=form(world, max_distance_km=km), headers=HTMX)
        counts[km] = _count_shown(response.text)
    assert counts == {"10": 5, "3": 3, "1": 2}
    chronic = await worker.post(
        PREVIEW, data=form(world, skill_ids=[str(world.chronic.id)]), headers=HTMX
    )
    assert _count_shown(chronic.text) == 1


async def test_nobody_fitting_comes_with_a_suggestion(worker, world):
    response = await worker.post(
        PREVIEW, data=form(world, skill_ids=[str(world.chronic.id)], max_distance_km="1"),
        headers=HTMX,
    )  # fmt: skip
    assert response.status_code == 200 and _count_shown(response.text) == 0
    assert "暂时没有同时符合技能、距离和时间的志愿者" in response.text
    assert "最远服务距离再放宽 5 公里，就有 1 名候选志愿者" in response.text


async def test_an_unchanged_form_is_not_previewed_twice(worker, world):
    first = await worker.post(PREVIEW, data=form(world), headers=HTMX)
    signature = re.search(r'name="previewed" value="(\w+)"', first.text).group(1)
    again = await worker.post(PREVIEW, data={**form(world), "previewed": signature}, headers=HTMX)
    assert again.status_code == 204
    changed = await worker.post(
        PREVIEW, data={**form(world, max_distance_km="3"), "previewed": signature}, headers=HTMX
    )
    assert changed.status_code == 200


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_preview_problems_are_shown_in_the_panel(worker, world, headers):
    wrong = await worker.post(
        PREVIEW, data=form(world, end_time="08:00"), headers={**HTMX, **headers}
    )
    assert wrong.status_code == 422
    assert ("end time must be after" if headers else "结束时间须晚于开始时间") in wrong.text
    far = await worker.post(
        PREVIEW, data=form(world, venue="new", lat="36.0", lng="120.0", coord_system="wgs84"),
        headers={**HTMX, **headers},
    )  # fmt: skip
    assert far.status_code == 403
    assert ("within this community" if headers else "只能预览本社区范围内的地点") in far.text


async def test_another_communitys_worker_cannot_preview_ours(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.other_worker, clock.now()) as c:
        response = await c.post(PREVIEW, data=form(world), headers=HTMX)
    assert response.status_code == 403
    assert "志愿者" not in re.sub(r"<h2[^>]*>.*?</h2>", "", response.text)  # no candidate shown
    assert "data-count" not in response.text


@pytest.mark.parametrize("settings_overrides", [{"preview_max_per_window": 2}])
@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_too_many_previews_are_refused_politely(worker, world, headers):
    for km in ("10", "3"):
        assert (await worker.post(PREVIEW, data=form(world, max_distance_km=km))).status_code == 200
    response = await worker.post(
        PREVIEW, data=form(world, max_distance_km="1"), headers={**HTMX, **headers}
    )
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    expected = "Too many previews just now" if headers else "刚才预览的次数太多了"
    assert expected in response.text and "data-count" not in response.text


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_a_time_already_past_is_refused_even_for_a_draft(worker, world, session, headers):
    # An hour ago (the clock reads Monday 10:00): such a draft could never be dispatched.
    before = await _count(session, Order)
    data = form(world, date="2026-11-23", start_time="09:00", end_time="11:00", then="draft")
    response = await worker.post(NEW, data=data, headers=headers)
    assert response.status_code == 422
    expected = "That time has already passed" if headers else "这个时间已经过去了"
    assert expected in response.text and 'aria-describedby="error-start_time' in response.text
    assert await _count(session, Order) == before
