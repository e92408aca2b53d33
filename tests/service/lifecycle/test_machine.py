"""Every (from, to) pair of every status machine: legal ones change and log once, others refuse."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.errors import Conflict, NotFound
from service.lifecycle.accounts import USER, VOLUNTEER
from service.lifecycle.delivery import NOTIFICATION
from service.lifecycle.demands import DEMAND
from service.lifecycle.engine import Machine, change_status
from service.lifecycle.machine import (
    OFFER,
    OFFER_TRANSITIONS,
    ORDER,
    ORDER_TRANSITIONS,
    change_offer_status,
    change_order_status,
    record_event,
)
from service.models import Demand, Event, Notification, Offer, Order
from service.vocab import OfferStatus, OrderStatus, Role, TargetGroup
from tests.factories import make_area_tree, make_order, make_user, make_volunteer


def _ctx(settings, clock, user_id: int, community_id: int) -> ActionContext:
    actor = Actor(user_id=user_id, grants=(RoleGrant(Role.worker, area_id=community_id),))
    return ActionContext(actor=actor, now=clock.now(), settings=settings, request_id="req-machine")


async def _events_of(session, entity: str, entity_id: int) -> list[Event]:
    rows = await session.scalars(
        sa.select(Event).where(Event.entity == entity, Event.entity_id == entity_id)
    )
    return list(rows)


def test_tables_only_name_known_statuses_and_no_self_loops():
    for table, vocabulary in ((ORDER_TRANSITIONS, OrderStatus), (OFFER_TRANSITIONS, OfferStatus)):
        for (current, to), description in table.items():
            assert current in vocabulary and to in vocabulary
            assert current != to
            assert description  # a Chinese description of the action


def test_every_order_status_is_reachable_from_draft():
    reached, frontier = {OrderStatus.draft}, [OrderStatus.draft]
    while frontier:
        current = frontier.pop()
        for start, to in ORDER_TRANSITIONS:
            if start == current and to not in reached:
                reached.add(to)
                frontier.append(to)
    assert reached == set(OrderStatus)


async def test_every_order_pair_changes_exactly_when_the_table_allows(session, settings, clock):
    _, _, community = await make_area_tree(session)
    user = await make_user(session, roles=((Role.worker, community.id, None),))
    ctx = _ctx(settings, clock, user.id, community.id)
    mismatches = []
    for current, to in itertools.product(OrderStatus, OrderStatus):
        order = await make_order(
            session, community=community, starts_at=clock.now() + timedelta(days=3), status=current
        )
        legal = (current, to) in ORDER_TRANSITIONS
        try:
            previous = await change_order_status(
                session, ctx, order_id=order.id, to=to, reason="表驱动测试"
            )
            outcome = "changed" if previous == current else f"returned {previous}"
        except Conflict as refusal:
            outcome = "refused"
            assert "不能变更为" in refusal.detail
        status = await session.scalar(sa.select(Order.status).where(Order.id == order.id))
        events = await _events_of(session, "order", order.id)
        expected = "changed" if legal else "refused"
        if outcome != expected or status != (to if legal else current):
            mismatches.append((current, to, outcome, status))
        if legal:
            [event] = events
            assert (event.from_status, event.to_status) == (current, to)
            assert event.actor_user_id == user.id and event.actor_role == "worker"
            assert event.request_id == "req-machine" and event.reason == "表驱动测试"
            assert event.at == clock.now() and event.order_id == order.id
        elif events:
            mismatches.append((current, to, "event written on refusal", len(events)))
    await session.commit()
    assert mismatches == []


async def test_every_offer_pair_changes_exactly_when_the_table_allows(session, settings, clock):
    _, _, community = await make_area_tree(session)
    user = await make_user(session, roles=((Role.worker, community.id, None),))
    ctx = _ctx(settings, clock, user.id, community.id)
    volunteer = await make_volunteer(session, home_area=community)
    mismatches = []
    for current, to in itertools.product(OfferStatus, OfferStatus):
        order = await make_order(
            session,
            community=community,
            starts_at=clock.now() + timedelta(days=3),
            status=OrderStatus.published,
        )
        offer = Offer(order_id=order.id, volunteer_id=volunteer.id, status=current)
        session.add(offer)
        await session.flush()
        legal = (current, to) in OFFER_TRANSITIONS
        try:
            await change_offer_status(session, ctx, offer_id=offer.id, to=to)
            outcome = "changed"
        except Conflict:
            outcome = "refused"
        status = await session.scalar(sa.select(Offer.status).where(Offer.id == offer.id))
        events = await _events_of(session, "offer", offer.id)
        if outcome != ("changed" if legal else "refused") or status != (to if legal else current):
            mismatches.append((current, to, outcome, status))
        if legal:
            [event] = events
            assert (event.from_status, event.to_status, event.order_id) == (current, to, order.id)
        elif events:
            mismatches.append((current, to, "event written on refusal", len(events)))
    await session.commit()
    assert mismatches == []


async def test_a_stale_expected_status_is_refused_without_an_event(session, settings, clock):
    """The compare-and-set: someone else changed the row between our read and our write."""
    _, _, community = await make_area_tree(session)
    user = await make_user(session, roles=((Role.worker, community.id, None),))
    ctx = _ctx(settings, clock, user.id, community.id)
    order = await make_order(
        session, community=community, starts_at=clock.now() + timedelta(days=1)
    )
    await session.commit()

    # Our caller read "draft", but a concurrent request cancelled the order meanwhile.
    await session.execute(
        sa.update(Order.__table__)
        .where(Order.__table__.c.id == order.id)
        .values(status=OrderStatus.cancelled.value)
    )
    with pytest.raises(Conflict) as refused:
        await change_status(
            session, ctx, ORDER, entity_id=order.id, to=OrderStatus.published, expected="draft"
        )
    assert "刚刚被他人更改" in refused.value.detail
    assert await _events_of(session, "order", order.id) == []
    await session.rollback()


async def test_record_event_logs_a_creation_with_no_previous_status(session, settings, clock):
    _, _, community = await make_area_tree(session)
    order = await make_order(session, community=community, starts_at=clock.now())
    ctx = ActionContext(actor=Actor(), now=clock.now(), settings=settings)
    event = await record_event(
        session,
        ctx,
        entity="order",
        entity_id=order.id,
        order_id=order.id,
        from_status=None,
        to_status=OrderStatus.draft,
    )
    await session.commit()
    assert event.from_status is None and event.to_status == "draft"
    assert event.actor_role == "system" and event.actor_user_id is None


def test_the_tables_contain_the_lifecycle_of_spec_section_4():
    S, F = OrderStatus, OfferStatus
    required_orders = {
        (S.draft, S.published),
        (S.published, S.staffed),
        (S.staffed, S.published),
        (S.staffed, S.in_progress),
        (S.in_progress, S.completed),
        (S.completed, S.evaluated),
        (S.published, S.expired),
        (S.published, S.cancelled),
        (S.staffed, S.cancelled),
        (S.expired, S.published),
    }
    required_offers = {
        (F.offered, F.accepted),
        (F.offered, F.declined),
        (F.offered, F.expired),
        (F.offered, F.withdrawn),
        (F.accepted, F.checked_in),
        (F.checked_in, F.completed),
        (F.accepted, F.no_show),
        (F.accepted, F.withdrawn),
    }
    assert required_orders <= set(ORDER_TRANSITIONS)
    assert required_offers <= set(OFFER_TRANSITIONS)
    # Terminal and near-terminal states that must never move back.
    assert not any(start in (S.cancelled, S.evaluated) for start, _ in ORDER_TRANSITIONS)
    assert (S.in_progress, S.cancelled) not in ORDER_TRANSITIONS  # cancellation is before start
    assert not any(start in (F.declined, F.completed, F.no_show) for start, _ in OFFER_TRANSITIONS)


# ---------------------------------------------------------------- every machine, one engine

MACHINES = [ORDER, OFFER, DEMAND, USER, VOLUNTEER, NOTIFICATION]


def _chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


async def _row_in(session, machine: Machine, status: str, *, community, clock) -> int:
    """A fresh row of ``machine``'s table, put straight into ``status`` (test setup only)."""
    if machine is ORDER or machine is OFFER:
        order = await make_order(
            session, community=community, starts_at=clock.now() + timedelta(days=3)
        )
        if machine is ORDER:
            row_id = order.id
        else:
            volunteer = await make_volunteer(session, home_area=community)
            offer = Offer(order_id=order.id, volunteer_id=volunteer.id, status="offered")
            session.add(offer)
            await session.flush()
            row_id = offer.id
    elif machine is DEMAND:
        demand = Demand(
            community_id=community.id, topic="防诈骗讲座", target_group=TargetGroup.elderly
        )
        session.add(demand)
        await session.flush()
        row_id = demand.id
    elif machine is USER:
        row_id = (await make_user(session)).id
    elif machine is VOLUNTEER:
        row_id = (await make_volunteer(session, home_area=community)).id
    else:
        user = await make_user(session)
        notification = Notification(user_id=user.id, kind="test", title="测试消息")
        session.add(notification)
        await session.flush()
        row_id = notification.id
    table = machine.table
    await session.execute(sa.update(table).where(table.c.id == row_id).values(status=status))
    return row_id


async def _status_and_events(session, machine: Machine, row_id: int) -> tuple[str, list[Event]]:
    table = machine.table
    status = await session.scalar(sa.select(table.c.status).where(table.c.id == row_id))
    return status, await _events_of(session, machine.entity, row_id)


def test_every_machine_names_known_statuses_in_chinese_without_self_loops():
    for machine in MACHINES:
        assert machine.transitions, machine.entity
        for (current, to), description in machine.transitions.items():
            assert current in machine.statuses and to in machine.statuses
            assert current != to
            assert _chinese(description)
        for current, to in itertools.product(machine.statuses, machine.statuses):
            assert _chinese(machine.refusal(current, to))
        assert set(machine.labels) == set(machine.statuses)


@pytest.mark.parametrize("machine", MACHINES, ids=lambda machine: machine.entity)
async def test_every_pair_of_every_machine_changes_exactly_when_the_table_allows(
    session, settings, clock, machine
):
    _, _, community = await make_area_tree(session)
    user = await make_user(session, roles=((Role.worker, community.id, None),))
    ctx = _ctx(settings, clock, user.id, community.id)
    mismatches = []
    for current, to in itertools.product(machine.statuses, machine.statuses):
        row_id = await _row_in(session, machine, current, community=community, clock=clock)
        legal = (current, to) in machine.transitions
        try:
            previous = await change_status(session, ctx, machine, entity_id=row_id, to=to)
            outcome = "changed" if previous == current else f"returned {previous}"
        except Conflict as refusal:
            outcome = "refused"
            assert refusal.code == "illegal_transition" and _chinese(refusal.detail)
            assert refusal.detail == machine.refusal(current, to)
        status, events = await _status_and_events(session, machine, row_id)
        if outcome != ("changed" if legal else "refused") or status != (to if legal else current):
            mismatches.append((current, to, outcome, status))
        elif legal:
            [event] = events
            assert (event.from_status, event.to_status) == (current, to)
            assert event.reason == machine.transitions[(current, to)]
            assert event.actor_user_id == user.id and event.request_id == "req-machine"
        elif events:
            mismatches.append((current, to, "event written on refusal", len(events)))
    await session.commit()
    assert mismatches == []


@pytest.mark.parametrize("machine", MACHINES, ids=lambda machine: machine.entity)
async def test_a_lost_compare_and_set_is_refused_on_every_machine(
    session, settings, clock, machine
):
    """The caller read ``expected``, but the row has moved on: nothing changes, nothing is logged."""
    _, _, community = await make_area_tree(session)
    user = await make_user(session, roles=((Role.worker, community.id, None),))
    ctx = _ctx(settings, clock, user.id, community.id)
    for expected, to in machine.transitions:
        for actual in machine.statuses:
            if actual == expected:
                continue
            row_id = await _row_in(session, machine, actual, community=community, clock=clock)
            with pytest.raises(Conflict) as lost:
                await change_status(
                    session, ctx, machine, entity_id=row_id, to=to, expected=expected
                )
            assert lost.value.code == "status_changed" and _chinese(lost.value.detail)
            assert await _status_and_events(session, machine, row_id) == (actual, [])
    await session.rollback()


@pytest.mark.parametrize("machine", MACHINES, ids=lambda machine: machine.entity)
async def test_a_missing_row_is_not_found_on_every_machine(session, settings, clock, machine):
    ctx = ActionContext(actor=Actor(), now=clock.now(), settings=settings)
    _, to = next(iter(machine.transitions))
    with pytest.raises(NotFound) as missing:
        await change_status(session, ctx, machine, entity_id=987654, to=to)
    assert _chinese(missing.value.detail)
