"""The accepted-volunteer counter of an order: claiming and releasing a slot.

The counter and the ``published ⇄ staffed`` transitions it causes live here, next to the state
machine, so the one guarded statement that prevents overbooking also writes the event when it
fills the order. The CHECK ``accepted_count <= slots`` and UNIQUE(order_id, volunteer_id) on
offers are the database's backstops.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.errors import Conflict, NotFound
from service.lifecycle import repository
from service.lifecycle.machine import (
    ORDER_TRANSITIONS,
    change_order_status,
    record_event,
    sync_loaded,
)
from service.messages import text
from service.models import Order
from service.vocab import ORDER_STATUS_LABELS, OrderStatus

_orders = Order.__table__
_c = _orders.c


@dataclass(frozen=True)
class SlotClaim:
    """The counter after a successful claim, and whether this claim filled the order."""

    accepted_count: int
    slots: int
    filled: bool


async def claim_slot(session: AsyncSession, ctx: ActionContext, *, order_id: int) -> SlotClaim:
    """Take one slot of a published order or refuse with a clear 409 (full, cancelled, …)."""
    if ctx.settings.unsafe_disable_slot_guard:
        return await _claim_without_guard(session, ctx, order_id=order_id)
    row = await repository.claim_slot(session=session, order_id=order_id, now=ctx.now)
    if row is None:
        raise await claim_refusal(session, order_id)
    filled = row.status == OrderStatus.staffed.value
    sync_loaded(
        session, Order, order_id, {"accepted_count": row.accepted_count, "status": row.status}
    )
    if filled:
        await record_event(
            session,
            ctx,
            entity="order",
            entity_id=order_id,
            order_id=order_id,
            from_status=OrderStatus.published,
            to_status=OrderStatus.staffed,
            reason=ORDER_TRANSITIONS[(OrderStatus.published, OrderStatus.staffed)],
        )
    return SlotClaim(accepted_count=row.accepted_count, slots=row.slots, filled=filled)


async def _claim_without_guard(
    session: AsyncSession, ctx: ActionContext, *, order_id: int
) -> SlotClaim:
    """TEST ONLY: read, decide in Python, write back — the lost update the guard prevents."""
    row = await repository.slot_counts(session=session, order_id=order_id)
    if row is None or row.status != OrderStatus.published.value or row.accepted_count >= row.slots:
        raise await claim_refusal(session, order_id)
    count = row.accepted_count + 1
    filled = count >= row.slots
    await repository.write_slot_count_unguarded(
        session=session,
        order_id=order_id,
        count=count,
        status=OrderStatus.staffed.value if filled else row.status,
        now=ctx.now,
    )
    return SlotClaim(accepted_count=count, slots=row.slots, filled=filled)


async def release_slot(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, reason: str | None = None
) -> bool:
    """Give one slot back; a staffed order re-opens (``staffed → published``). True if re-opened."""
    status = await repository.order_status_for_update(session=session, order_id=order_id)
    if status is None:
        raise NotFound(text("refusal.order.not_found"))
    remaining = await repository.release_slot(session=session, order_id=order_id, now=ctx.now)
    if remaining is None:
        raise Conflict(text("refusal.offer.no_slot_to_release"), code="no_slot_to_release")
    sync_loaded(session, Order, order_id, {"accepted_count": remaining})
    if status == OrderStatus.staffed.value:
        await change_order_status(
            session,
            ctx,
            order_id=order_id,
            to=OrderStatus.published,
            reason=reason or "有志愿者退出，重新开放名额",
            values={"staffed_at": None},
        )
        return True
    return False


async def claim_refusal(session: AsyncSession, order_id: int) -> Conflict | NotFound:
    """Why a claim fails (or would fail), in words the volunteer understands."""
    row = await repository.slot_counts(session=session, order_id=order_id)
    if row is None:
        return NotFound(text("refusal.order.not_found"))
    status = OrderStatus(row.status)
    if status == OrderStatus.cancelled:
        return Conflict(text("refusal.accept.cancelled"), code="order_cancelled")
    if status == OrderStatus.expired:
        return Conflict(text("refusal.accept.expired"), code="order_expired")
    if status == OrderStatus.staffed or row.accepted_count >= row.slots:
        return Conflict(
            text("refusal.accept.full", slots=row.slots),
            code="order_full",
        )
    return Conflict(
        text("refusal.accept.not_open", status=ORDER_STATUS_LABELS[status]),
        code="order_not_open",
    )
