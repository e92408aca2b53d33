"""一键派单 as a service: which orders a plan takes, the optimal batch against greedy, the
pairs explained, applying once (offers, events, notifications), applying twice, what changed
in between, and scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from service.batch import applying, planning
from service.batch.refusals import BatchRefusal
from service.models import Area, DispatchPlan, Event, Notification, Offer, Order, Volunteer
from service.vocab import OfferStatus, OrderStatus, VolunteerStatus


async def _plan(session, ctx, world, area="street", **period) -> DispatchPlan:
    plan = await planning.make_plan(
        session, ctx, area=await session.get(Area, world.ids[area]), **period
    )
    await session.commit()
    return plan


def _pairs(plan) -> dict[int, list[int]]:
    return {o["order_id"]: [p["volunteer_id"] for p in o["pairs"]] for o in plan.orders}


async def _offers(session, order_id) -> dict[int, Offer]:
    await session.rollback()
    rows = await session.scalars(sa.select(Offer).where(Offer.order_id == order_id))
    return {o.volunteer_id: o for o in rows}


async def test_plan_takes_the_published_open_and_targeted_orders_of_the_area_and_period(
    session, world, ctx_of
):
    plan = await _plan(session, ctx_of(), world)
    considered = {o["order_id"] for o in plan.orders}
    ids = world.ids
    assert considered == {ids["morning_a"], ids["morning_b"], ids["afternoon"]}
    assert plan.status == "planned" and plan.area_id == ids["street"]
    assert plan.period_to - plan.period_from == timedelta(days=13)


async def test_the_batch_fills_what_greedy_leaves_empty(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    ids = world.ids
    pairs = _pairs(plan)
    assert pairs[ids["morning_a"]] == [ids["only_a"]]
    assert pairs[ids["morning_b"]] == [ids["near"]]
    batch, greedy = plan.totals["batch"], plan.totals["greedy"]
    assert batch["filled"] == batch["slots"] == 4
    assert greedy["filled"] == 3  # near → morning_a first, morning_b left empty
    assert batch["filled"] >= greedy["filled"]
    solver = plan.totals["solver"]
    assert solver["upper_bound_filled"] == 4 and solver["gap_filled"] == 0
    assert solver["proven_optimal"] is True


async def test_a_volunteer_asked_before_is_not_planned_again(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    afternoon = _pairs(plan)[world.ids["afternoon"]]
    assert world.ids["asked"] not in afternoon
    assert len(afternoon) == 2


async def test_each_pair_is_explained_with_a_distance_band_never_a_distance(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    entry = next(o for o in plan.orders if o["order_id"] == world.ids["morning_b"])
    (pair,) = entry["pairs"]
    assert pair["band"] == "1 km 以内"
    assert "防范电信诈骗" in pair["explanation"] and "1 km 以内" in pair["explanation"]
    codes = [p["code"] for p in pair["parts"]]
    assert codes == ["skill", "distance", "fairness", "reliability", "locality"]
    distance = next(p for p in pair["parts"] if p["code"] == "distance")
    assert "distance_km" not in distance["detail"]


async def test_totals_count_first_timers_travel_and_spread(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    batch = plan.totals["batch"]
    chosen = {v for vs in _pairs(plan).values() for v in vs}
    assert batch["volunteers"] == len(chosen) >= 3
    assert batch["first_timers"] == len(chosen - {world.ids["veteran"]})
    assert 0 < batch["travel_km"] < 10
    assert 0 <= batch["gini"] < 1 and 0 < batch["top10_share"] <= 1


async def test_nothing_to_plan_saves_an_empty_plan(session, world, ctx_of):
    plan = await _plan(session, ctx_of("street2"), world, area="street2",
                       first=date(2026, 12, 20), last=date(2026, 12, 21))  # fmt: skip
    assert plan.orders == [] and plan.totals["batch"]["slots"] == 0


async def test_an_area_outside_the_scope_is_refused(session, world, ctx_of):
    with pytest.raises(BatchRefusal) as refused:
        await planning.make_plan(
            session, ctx_of("street2"), area=await session.get(Area, world.ids["street"])
        )
    assert refused.value.status_code == 403


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [(date(2026, 12, 5), date(2026, 12, 1), "day_to"), (date(2026, 12, 1), date(2027, 3, 1), "day_to"),
     (date(2026, 10, 1), date(2026, 10, 5), "day_to")],
)  # fmt: skip
async def test_a_wrong_period_is_refused(session, world, ctx_of, first, last, field):
    with pytest.raises(BatchRefusal) as refused:
        await _plan(session, ctx_of(), world, first=first, last=last)
    assert refused.value.status_code == 422 and refused.value.field == field


async def test_applying_sends_the_planned_invitations_once(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    applied = (await applying.apply_plan(session, ctx_of(), plan_id=plan.id)).plan
    await session.commit()
    assert applied.status == "applied" and applied.report["sent"] == 4
    assert applied.report["skipped"] == 0
    offers = await _offers(session, world.ids["morning_b"])
    offer = offers[world.ids["near"]]
    assert offer.status == OfferStatus.offered and offer.expires_at is not None
    assert offer.score_parts[-1]["code"] == "explanation"
    event = await session.scalar(
        sa.select(Event).where(Event.entity == "offer", Event.entity_id == offer.id)
    )
    assert event.reason.startswith("一键派单：") and event.to_status == "offered"
    note = await session.scalar(
        sa.select(Notification).where(Notification.user_id == world.users["near"].id)
    )
    assert note.kind == "offer_new" and note.payload["offer_id"] == offer.id

    again = await applying.apply_plan(session, ctx_of(), plan_id=plan.id)
    await session.commit()
    assert again.repeated and again.plan.report["repeat_attempts"] == 1
    total = await session.scalar(sa.select(sa.func.count()).select_from(Offer))
    assert total == 5  # the four sent and the declined one: nobody twice


async def test_a_second_plan_of_the_same_orders_sends_nothing_new(session, world, ctx_of):
    first = await _plan(session, ctx_of(), world)
    second = await _plan(session, ctx_of(), world)
    await applying.apply_plan(session, ctx_of(), plan_id=first.id)
    await session.commit()
    report = (await applying.apply_plan(session, ctx_of(), plan_id=second.id)).plan.report
    await session.commit()
    assert report["sent"] == 0
    codes = {s["code"] for o in report["orders"] for s in o["skipped"]}
    assert codes == {applying.SKIP_ASKED}


async def test_changes_since_planning_are_checked_and_reported(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    ids = world.ids
    near = await session.get(Volunteer, ids["near"])
    near.status = VolunteerStatus.paused
    morning_a = await session.get(Order, ids["morning_a"])
    morning_a.status = OrderStatus.cancelled
    await session.commit()
    report = (await applying.apply_plan(session, ctx_of(), plan_id=plan.id)).plan.report
    await session.commit()
    by_order = {o["order_id"]: o for o in report["orders"]}
    assert [s["code"] for s in by_order[ids["morning_a"]]["skipped"]] == ["order_closed"]
    assert by_order[ids["morning_a"]]["changed"] is True
    assert [s["code"] for s in by_order[ids["morning_b"]]["skipped"]] == ["volunteer_inactive"]
    after = by_order[ids["afternoon"]]
    assert after["changed"] is False
    assert after["sent"] == [ids["spare"]]
    assert [s["code"] for s in after["skipped"]] == ["volunteer_inactive"]
    assert report["sent"] == 1


async def test_fewer_places_since_planning_send_fewer_invitations(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    afternoon = await session.get(Order, world.ids["afternoon"])
    afternoon.slots = 1
    await session.commit()
    report = (await applying.apply_plan(session, ctx_of(), plan_id=plan.id)).plan.report
    await session.commit()
    after = next(o for o in report["orders"] if o["order_id"] == world.ids["afternoon"])
    assert after["changed"] is True and after["sent"] == [world.ids["near"]]
    assert [s["code"] for s in after["skipped"]] == ["no_free_place"]
    offers = await _offers(session, world.ids["afternoon"])
    assert sorted(offers) == sorted([world.ids["near"], world.ids["asked"]])


async def test_another_areas_plan_cannot_be_applied(session, world, ctx_of):
    plan = await _plan(session, ctx_of(), world)
    with pytest.raises(BatchRefusal) as refused:
        await applying.apply_plan(session, ctx_of("street2"), plan_id=plan.id)
    assert refused.value.status_code == 404


async def test_the_district_coordinator_plans_every_street(session, world, ctx_of):
    plan = await _plan(session, ctx_of("district"), world, area="district")
    assert world.ids["foreign"] in {o["order_id"] for o in plan.orders}


async def test_pairs_are_said_as_the_preview_says_them(session, world, ctx_of, settings, clock):
    """The bulk wording equals ``public_score``/``public_explanation`` of the matching core's
    own candidate for the same volunteer and order."""
    from matching.ranking import score_candidate
    from service.dispatch.candidates import draft_of, match_params, order_request
    from service.dispatch.disclosure import public_explanation, public_score
    from service.dispatch.repository import skill_names
    from service.dispatch.snapshots import snapshots_by_id

    plan = await _plan(session, ctx_of(), world)
    params = match_params(settings)
    checked = 0
    for entry in plan.orders:
        order = await session.get(Order, entry["order_id"])
        draft = await draft_of(session, order)
        request = await order_request(session, draft)
        names = await skill_names(session=session, skill_ids=draft.skill_ids)
        for pair in entry["pairs"]:
            (snapshot,) = await snapshots_by_id(session, [pair["volunteer_id"]], now=clock.now())
            candidate = score_candidate(snapshot, request, params, clock.now())
            shown = public_score(candidate, params)
            assert pair["score"] == shown.score
            assert pair["parts"] == shown.parts
            assert pair["explanation"] == public_explanation(candidate, names)
            checked += 1
    assert checked == 4
