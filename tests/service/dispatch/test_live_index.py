"""The live candidate index: the same candidates as the exact row-by-row rules, kept fresh.

Random worlds (seeded, both databases): every volunteer's exact snapshot read row by row and
judged by ``check_eligibility`` one pair at a time must give exactly the index's eligible set,
its count and its top candidates — before and after a round of random changes committed
through another session (the change log must bring each one in).
"""

from __future__ import annotations

import asyncio
import random
from datetime import date, timedelta

import httpx
import pytest
import sqlalchemy as sa

from matching.eligibility import check_eligibility
from matching.ranking import rank_candidates
from service.dispatch import live_index as live_module
from service.dispatch.candidates import (
    OrderDraft,
    match_params,
    order_request,
    ranked_candidates,
)
from service.dispatch.live_index import LiveIndex, live_index_for, prune_change_log
from service.dispatch.snapshots import snapshots_by_id
from service.models import (
    AvailabilityWindow,
    BlackoutDate,
    Offer,
    ServiceRecord,
    Volunteer,
    VolunteerChange,
    VolunteerSkill,
)
from service.vocab import OfferStatus, OrderStatus, VolunteerStatus
from tests.conftest import TEST_NOW
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    make_area,
    make_area_tree,
    make_order,
    make_skill,
    make_volunteer,
)

N_VOLUNTEERS = 60
N_ORDERS = 10


def _live(session, settings) -> LiveIndex:
    return live_index_for(
        session.bind, match_params(settings), settings.candidate_index_rebuild_minutes
    )


async def _world(session, rng: random.Random):
    """Areas, skills and volunteers with random homes, radii, skills, hours, blackout days,
    commitments, recent service and statuses."""
    _, street, community = await make_area_tree(session)
    other = await make_area(session, parent=street, lat=ZHIFU_LAT + 0.05)
    skills = [await make_skill(session, name=f"技能{i}") for i in range(4)]
    held = await make_order(
        session,
        community=community,
        starts_at=TEST_NOW + timedelta(days=2, hours=1),
        status=OrderStatus.published,
        slots=50,
    )
    volunteers = []
    for _ in range(N_VOLUNTEERS):
        v = await make_volunteer(
            session,
            home_area=rng.choice([community, other]),
            skills=rng.sample(skills, rng.randint(1, 3)),
            lat=ZHIFU_LAT + rng.uniform(-0.12, 0.12),
            lng=ZHIFU_LNG + rng.uniform(-0.15, 0.15),
            radius_km=rng.choice([1.0, 3.0, 5.0, 8.0, 15.0]),
            all_week=rng.random() < 0.5,
        )
        volunteers.append(v)
        for _ in range(rng.randint(0, 3)):
            start = rng.randrange(0, 20) * 60
            session.add(
                AvailabilityWindow(
                    volunteer_id=v.id,
                    weekday=rng.randrange(7),
                    start_minute=start,
                    end_minute=min(start + rng.choice([120, 240, 480]), 1440),
                )
            )
        if rng.random() < 0.2:
            session.add(BlackoutDate(volunteer_id=v.id, day=_day(rng)))
        if rng.random() < 0.15:
            session.add(Offer(order_id=held.id, volunteer_id=v.id, status=OfferStatus.accepted))
        if rng.random() < 0.3:
            session.add(
                ServiceRecord(
                    order_id=held.id,
                    volunteer_id=v.id,
                    hours=rng.choice([1.0, 2.5, 6.0]),
                    started_at=TEST_NOW - timedelta(days=rng.randint(1, 40)),
                    ended_at=TEST_NOW - timedelta(days=1),
                )
            )
        if rng.random() < 0.1:
            v.status = VolunteerStatus.paused
        v.completed_count = rng.randint(0, 9)
        if rng.random() < 0.5:
            v.rating_avg, v.rating_count = rng.choice([3.5, 4.2, 5.0]), rng.randint(1, 6)
    await session.commit()
    return community, skills, volunteers


def _day(rng: random.Random) -> date:
    return (TEST_NOW + timedelta(days=rng.randint(0, 6))).date()


def _drafts(rng: random.Random, community, skills) -> list[OrderDraft]:
    drafts = []
    for i in range(N_ORDERS):
        starts = TEST_NOW + timedelta(days=rng.randint(0, 6), hours=rng.randint(0, 12))
        drafts.append(
            OrderDraft(
                id=1000 + i,
                lat=ZHIFU_LAT + rng.uniform(-0.05, 0.05),
                lng=ZHIFU_LNG + rng.uniform(-0.05, 0.05),
                starts_at=starts,
                ends_at=starts + timedelta(hours=rng.choice([1, 2, 3])),
                skill_ids=frozenset(s.id for s in rng.sample(skills, rng.randint(1, 2))),
                slots=rng.randint(1, 4),
                max_distance_km=rng.choice([2.0, 5.0, 10.0, 20.0]),
                community_id=community.id,
            )
        )
    return drafts


def _draft_here(community, skill) -> OrderDraft:
    """An order at the test volunteers' default home, for their skill, in two days."""
    starts = TEST_NOW + timedelta(days=2)
    return OrderDraft(
        id=999,
        lat=ZHIFU_LAT,
        lng=ZHIFU_LNG,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        skill_ids=frozenset({skill.id}),
        slots=1,
        max_distance_km=5.0,
        community_id=community.id,
    )


async def _assert_same_as_exact(session, settings, drafts, ids) -> None:
    params, now = match_params(settings), TEST_NOW
    index = await _live(session, settings).current(now)
    exact = await snapshots_by_id(session, ids, now=now)
    for draft in drafts:
        request = await order_request(session, draft)
        expected = sorted(v.id for v in exact if not check_eligibility(v, request, params, now))
        assert index.eligible_ids(request, params, now) == expected
        assert index.eligible_count(request, params, now) == len(expected)
        assert [i for i in ids if index.is_eligible(i, request, params, now)] == expected
        top = await ranked_candidates(session, draft, settings=settings, now=now, k=5)
        reference = rank_candidates(request, exact, 5, params, now)
        assert [(c.volunteer_id, c.score) for c in top] == [
            (c.volunteer_id, c.score) for c in reference
        ]
        count, best = index.count_and_top(request, 5, params, now)
        assert count == len(expected) and best == top


async def _random_changes(app, rng: random.Random, volunteers, skills) -> None:
    """Changes committed through another session, as another process would."""
    async with app.state.sessionmaker() as other:
        for v in rng.sample(volunteers, 20):
            kind = rng.randrange(6)
            if kind == 0:
                await other.execute(
                    sa.update(Volunteer)
                    .where(Volunteer.id == v.id)
                    .values(
                        status=rng.choice([VolunteerStatus.active, VolunteerStatus.paused]).value
                    )
                )
            elif kind == 1:
                await other.execute(
                    sa.update(Volunteer)
                    .where(Volunteer.id == v.id)
                    .values(radius_km=rng.choice([2.0, 20.0]), home_lat=ZHIFU_LAT)
                )
            elif kind == 2:
                await other.execute(
                    sa.delete(VolunteerSkill).where(VolunteerSkill.volunteer_id == v.id)
                )
                other.add(VolunteerSkill(volunteer_id=v.id, skill_id=rng.choice(skills).id))
            elif kind == 3:
                await other.execute(
                    sa.delete(AvailabilityWindow).where(AvailabilityWindow.volunteer_id == v.id)
                )
                other.add(
                    AvailabilityWindow(
                        volunteer_id=v.id, weekday=rng.randrange(7), start_minute=0, end_minute=1440
                    )
                )
            elif kind == 4:
                await other.execute(
                    sa.delete(BlackoutDate).where(BlackoutDate.volunteer_id == v.id)
                )
                other.add(BlackoutDate(volunteer_id=v.id, day=_day(rng)))
            else:
                await other.execute(
                    sa.update(Offer)
                    .where(Offer.volunteer_id == v.id)
                    .values(status=OfferStatus.withdrawn.value)
                )
            await other.flush()
        await other.commit()


@pytest.mark.parametrize("seed", range(3))
async def test_the_index_gives_the_exact_candidates_before_and_after_changes(
    app, session, settings, seed
):
    rng = random.Random(seed)
    community, skills, volunteers = await _world(session, rng)
    ids = [v.id for v in volunteers]
    drafts = _drafts(rng, community, skills)
    await _assert_same_as_exact(session, settings, drafts, ids)
    await _random_changes(app, rng, volunteers, skills)
    await session.commit()  # a fresh read, as a new request would make
    session.expire_all()
    await _assert_same_as_exact(session, settings, drafts, ids)


async def test_a_rolled_back_change_never_reaches_the_index(app, session, settings):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    volunteer = await make_volunteer(session, home_area=community, skills=[skill])
    await session.commit()
    draft = _draft_here(community, skill)
    live = _live(session, settings)
    request = await order_request(session, draft)
    before = (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW)
    assert before == [volunteer.id]
    async with app.state.sessionmaker() as other:
        await other.execute(
            sa.update(Volunteer).where(Volunteer.id == volunteer.id).values(status="paused")
        )
        # Not committed yet: another connection does not see it, nor does the index.
        assert (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW) == before
        await other.rollback()
    assert (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW) == before


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
async def test_a_change_committed_after_a_later_one_is_not_lost(app, session, settings):
    """PostgreSQL hands out log ids at insert time: id n may commit after n + 1 was read."""
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    early = await make_volunteer(session, home_area=community, skills=[skill])
    late = await make_volunteer(session, home_area=community, skills=[skill])
    await session.commit()
    draft = _draft_here(community, skill)
    live = _live(session, settings)
    request = await order_request(session, draft)

    async def eligible():
        return (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW)

    assert await eligible() == sorted([early.id, late.id])
    async with app.state.sessionmaker() as first, app.state.sessionmaker() as second:
        await first.execute(
            sa.update(Volunteer).where(Volunteer.id == early.id).values(status="paused")
        )
        await second.execute(
            sa.update(Volunteer).where(Volunteer.id == late.id).values(status="paused")
        )
        await second.commit()  # the higher log id commits first
        assert await eligible() == [early.id]
        await first.commit()
    assert await eligible() == []


async def test_a_log_pruned_past_the_index_makes_it_rebuild(app, session, settings, monkeypatch):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    volunteer = await make_volunteer(session, home_area=community, skills=[skill])
    await session.commit()
    live = _live(session, settings)
    draft = _draft_here(community, skill)
    request = await order_request(session, draft)
    assert (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW) == [volunteer.id]
    # Many changes later, the log keeps only the newest rows: the one pausing our volunteer
    # is among the pruned ones.
    await session.execute(
        sa.update(Volunteer).where(Volunteer.id == volunteer.id).values(status="paused")
    )
    for _ in range(5):
        session.add(VolunteerChange(volunteer_id=volunteer.id + 1000))
    await session.commit()
    monkeypatch.setattr(live_module, "PRUNE_KEEP", 3)
    assert await prune_change_log(session) > 0
    await session.commit()
    assert (await live.current(TEST_NOW)).eligible_ids(request, now=TEST_NOW) == []


async def test_healthz_says_how_far_the_index_is(client, session, settings):
    response = await client.get("/healthz")
    assert response.json()["candidate_index"]["state"] in {"idle", "building", "ready"}
    await _live(session, settings).current(TEST_NOW)
    body = (await client.get("/healthz")).json()["candidate_index"]
    assert body["state"] == "ready" and body["volunteers"] == 0


async def test_the_app_builds_the_index_at_start_up_and_healthz_says_so(
    database_url, session, clock
):
    from service.app import create_app
    from tests.factories import make_settings

    _, _, community = await make_area_tree(session)
    await make_volunteer(session, home_area=community, skills=[await make_skill(session)])
    await session.commit()
    app = create_app(make_settings(database_url, candidate_index_warm_start=True), clock=clock)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            states = []
            for _ in range(200):
                body = (await http.get("/healthz")).json()
                states.append(body["candidate_index"]["state"])
                if states[-1] == "ready":
                    break
                await asyncio.sleep(0.02)
    assert states[-1] == "ready" and body["candidate_index"]["volunteers"] == 1
    assert set(states) <= {"building", "ready"}


def test_gaps_are_remembered_and_forgotten(monkeypatch):
    live = LiveIndex.__new__(LiveIndex)
    live._version, live._gaps = 10, {}
    clock = [100.0]
    monkeypatch.setattr(live_module.time, "monotonic", lambda: clock[0])
    live._advance([11, 14])
    assert live._version == 14 and set(live._gaps) == {12, 13}
    live._advance([12])
    assert set(live._gaps) == {13}
    clock[0] += live_module.GAP_SECONDS + 1
    live._advance([15])
    assert live._gaps == {} and live._version == 15


async def test_healthz_says_when_the_build_failed(client, session, settings, monkeypatch):
    async def broken(session, *, now):
        raise RuntimeError("relation volunteer_changes does not exist")

    monkeypatch.setattr(live_module, "load_table", broken)
    live = _live(session, settings)
    with pytest.raises(RuntimeError):
        await live.current(TEST_NOW)
    body = (await client.get("/healthz")).json()["candidate_index"]
    assert body["state"] == "failed" and "volunteer_changes" in body["error"]
    monkeypatch.undo()
    await live.current(TEST_NOW)  # the next use tries again
    body = (await client.get("/healthz")).json()["candidate_index"]
    assert body["state"] == "ready" and "error" not in body
