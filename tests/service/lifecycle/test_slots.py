"""The slot counter: claims stop at the slots, refusals say why, releases re-open the order."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.actor import Actor
from service.context import ActionContext
from service.errors import Conflict
from service.lifecycle.slots import claim_slot, release_slot
from service.models import Event, Order
from service.vocab import OrderStatus
from tests.factories import make_area_tree, make_order


@pytest.fixture
def ctx(settings, clock) -> ActionContext:
    return ActionContext(actor=Actor(), now=clock.now(), settings=settings, request_id="r")


async def _order(session, clock, **fields) -> Order:
    _, _, community = await make_area_tree(session)
    fields.setdefault("status", OrderStatus.published)
    return await make_order(
        session, community=community, starts_at=clock.now() + timedelta(days=2), **fields
    )


async def _staffing_events(session, order_id):
    rows = await session.execute(
        sa.select(Event.from_status, Event.to_status).where(
            Event.entity == "order", Event.entity_id == order_id
        )
    )
    return [tuple(row) for row in rows]


async def test_claims_fill_the_order_then_a_claim_on_a_full_order_is_refused(session, ctx, clock):
    order = await _order(session, clock, slots=2)
    first = await claim_slot(session, ctx, order_id=order.id)
    second = await claim_slot(session, ctx, order_id=order.id)
    assert (first.accepted_count, first.filled) == (1, False)
    assert (second.accepted_count, second.filled) == (2, True)
    with pytest.raises(Conflict) as refused:
        await claim_slot(session, ctx, order_id=order.id)
    assert refused.value.code == "order_full" and "已满" in refused.value.detail
    row = (await session.execute(sa.select(Order.status, Order.accepted_count))).one()
    assert tuple(row) == ("staffed", 2)
    assert await _staffing_events(session, order.id) == [("published", "staffed")]
    await session.rollback()


@pytest.mark.parametrize(
    ("status", "code", "words"),
    [
        (OrderStatus.cancelled, "order_cancelled", "已取消"),
        (OrderStatus.expired, "order_expired", "截止"),
        (OrderStatus.draft, "order_not_open", "草稿"),
    ],
)
async def test_claim_on_a_closed_order_says_why(session, ctx, clock, status, code, words):
    order = await _order(session, clock, status=status)
    with pytest.raises(Conflict) as refused:
        await claim_slot(session, ctx, order_id=order.id)
    assert refused.value.code == code and words in refused.value.detail
    await session.rollback()


async def test_release_reopens_a_staffed_order_and_logs_it(session, ctx, clock):
    order = await _order(session, clock, slots=1)
    await claim_slot(session, ctx, order_id=order.id)
    reopened = await release_slot(session, ctx, order_id=order.id, reason="志愿者退出")
    assert reopened is True
    row = (await session.execute(sa.select(Order.status, Order.accepted_count))).one()
    assert tuple(row) == ("published", 0)
    assert await _staffing_events(session, order.id) == [
        ("published", "staffed"),
        ("staffed", "published"),
    ]
    with pytest.raises(Conflict):
        await release_slot(session, ctx, order_id=order.id)
    await session.rollback()
