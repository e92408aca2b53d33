"""The one state machine of orders and offers: transition tables, compare-and-set, event log.

Every status change of an order or an offer goes through ``change_order_status`` /
``change_offer_status`` (or the slot helpers in ``service.lifecycle.slots``, which own the
accepted counter). Each change is a compare-and-set (``WHERE status = :expected``) and writes
exactly one event row in the same transaction; a refused change writes nothing.

Decisions (SPEC §4 leaves them open):

* ``published → in_progress`` and ``expired → in_progress``: an under-staffed (or expired) order
  still takes place with the volunteers who accepted; the activity day starts it.
* ``accepted → completed``: the community may confirm a volunteer who served but never checked in
  (补录); ``checked_in → no_show`` is refused — someone who checked in was there.
* ``expired → offered`` / ``withdrawn → offered``: a re-dispatch or a re-opened slot may ask the
  same volunteer again (one offer row per order and volunteer, so the row is reused);
  ``withdrawn → accepted``: a volunteer who withdrew from an open order may take it again.
  ``declined`` is final: a volunteer who said no is not asked again for that order.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from service.actor import Actor
from service.context import ActionContext
from service.errors import Conflict, NotFound
from service.messages import text
from service.models import Event, Offer, Order
from service.vocab import OFFER_STATUS_LABELS, ORDER_STATUS_LABELS, OfferStatus, OrderStatus, Role

S = OrderStatus
F = OfferStatus

ORDER_TRANSITIONS: dict[tuple[OrderStatus, OrderStatus], str] = {
    (S.draft, S.published): "发布派单",
    (S.draft, S.cancelled): "取消草稿",
    (S.published, S.staffed): "名额已满",
    (S.published, S.expired): "接单截止仍有空缺，转协调员处理",
    (S.published, S.cancelled): "社区取消活动",
    (S.published, S.in_progress): "未满员，按时开始",
    (S.staffed, S.published): "有志愿者退出，重新开放名额",
    (S.staffed, S.in_progress): "活动开始",
    (S.staffed, S.cancelled): "社区取消活动",
    (S.in_progress, S.completed): "活动结束，社区确认完成",
    (S.completed, S.evaluated): "评单完成",
    (S.expired, S.published): "协调员重新派单",
    (S.expired, S.in_progress): "已过期，由已接单的志愿者按时开展",
    (S.expired, S.cancelled): "取消已过期的活动",
}

OFFER_TRANSITIONS: dict[tuple[OfferStatus, OfferStatus], str] = {
    (F.offered, F.accepted): "接单",
    (F.offered, F.declined): "婉拒邀请",
    (F.offered, F.expired): "超时未回复",
    (F.offered, F.withdrawn): "撤回邀请（活动取消或名额已满）",
    (F.accepted, F.withdrawn): "退出（活动开始前）或活动取消",
    (F.accepted, F.checked_in): "签到",
    (F.accepted, F.no_show): "未到场",
    (F.accepted, F.completed): "社区确认到场（未签到补录）",
    (F.checked_in, F.completed): "签退，服务完成",
    (F.expired, F.offered): "重新邀请",
    (F.withdrawn, F.offered): "名额重新开放，再次邀请",
    (F.withdrawn, F.accepted): "重新接单",
}

# Why a refused transition is refused, for the common cases people actually hit (message keys).
_ORDER_WHY: dict[OrderStatus, str] = {
    S.cancelled: "refusal.order.is_cancelled",
    S.evaluated: "refusal.order.is_evaluated",
    S.completed: "refusal.order.is_completed",
    S.in_progress: "refusal.order.is_in_progress",
}
_OFFER_WHY: dict[OfferStatus, str] = {
    F.declined: "refusal.offer.is_declined",
    F.completed: "refusal.offer.is_completed",
    F.no_show: "refusal.offer.is_no_show",
}

# The role written into the event log when an actor holds several: the most specific authority.
_ROLE_PRECEDENCE = (
    Role.admin,
    Role.coordinator,
    Role.worker,
    Role.team_leader,
    Role.volunteer,
    Role.resident,
)
SYSTEM_ROLE = "system"


def is_legal_order_change(current: OrderStatus, to: OrderStatus) -> bool:
    return (current, to) in ORDER_TRANSITIONS


def is_legal_offer_change(current: OfferStatus, to: OfferStatus) -> bool:
    return (current, to) in OFFER_TRANSITIONS


def role_of(actor: Actor) -> str:
    """The role recorded for ``actor``: ``system`` for background work, else its highest role."""
    if actor.is_anonymous:
        return SYSTEM_ROLE
    for role in _ROLE_PRECEDENCE:
        if role in actor.roles:
            return role.value
    return Role.resident.value


def illegal_order_message(current: OrderStatus, to: OrderStatus) -> str:
    """A Chinese sentence saying why ``current → to`` is refused."""
    base = text(
        "refusal.order.illegal_transition",
        current=ORDER_STATUS_LABELS[current],
        target=ORDER_STATUS_LABELS[to],
    )
    return base + text(_ORDER_WHY[current]) if current in _ORDER_WHY else base


def illegal_offer_message(current: OfferStatus, to: OfferStatus) -> str:
    """A Chinese sentence saying why ``current → to`` is refused."""
    base = text(
        "refusal.offer.illegal_transition",
        current=OFFER_STATUS_LABELS[current],
        target=OFFER_STATUS_LABELS[to],
    )
    return base + text(_OFFER_WHY[current]) if current in _OFFER_WHY else base


async def record_event(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    entity: str,
    entity_id: int,
    order_id: int | None,
    from_status: str | None,
    to_status: str,
    reason: str | None = None,
    role: str | None = None,
) -> Event:
    """Append one event row (creation events, demands, and every transition below)."""
    event = Event(
        at=ctx.now,
        entity=entity,
        entity_id=entity_id,
        order_id=order_id,
        from_status=str(from_status) if from_status is not None else None,
        to_status=str(to_status),
        actor_user_id=ctx.actor.user_id,
        actor_role=role or role_of(ctx.actor),
        reason=reason[:500] if reason else None,
        request_id=ctx.request_id[:64] if ctx.request_id else None,
    )
    session.add(event)
    await session.flush()
    return event


async def create_offer(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    order_id: int,
    volunteer_id: int,
    status: OfferStatus,
    reason: str,
    **columns: Any,
) -> Offer:
    """Insert a new offer row (an invitation or a direct acceptance) and its creation event."""
    offer = Offer(
        order_id=order_id,
        volunteer_id=volunteer_id,
        status=status,
        offered_at=ctx.now,
        updated_at=ctx.now,
        **columns,
    )
    session.add(offer)
    await session.flush()
    await record_event(
        session,
        ctx,
        entity="offer",
        entity_id=offer.id,
        order_id=order_id,
        from_status=None,
        to_status=status,
        reason=reason,
    )
    return offer


def sync_loaded(session: AsyncSession, model: type, row_id: int, values: dict[str, Any]) -> None:
    """Keep an already-loaded ORM object in step with a Core UPDATE (no lazy reload in async)."""
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


async def current_order_status(session: AsyncSession, order_id: int, *, lock: bool) -> OrderStatus:
    """The order's status; ``lock`` takes the row lock (PostgreSQL) so the CAS cannot lose."""
    statement = sa.select(Order.status).where(Order.id == order_id)
    if lock:
        statement = statement.with_for_update()
    status = await session.scalar(statement)
    if status is None:
        raise NotFound(text("refusal.order.not_found"))
    return OrderStatus(status)


async def change_order_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    order_id: int,
    to: OrderStatus,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    role: str | None = None,
) -> OrderStatus:
    """Move an order to ``to`` if the table allows it; returns the previous status."""
    # Lock first: a concurrent change waits for us (bounded by lock_timeout) instead of racing.
    current = await current_order_status(session, order_id, lock=True)
    if not is_legal_order_change(current, to):
        raise Conflict(
            illegal_order_message(current, to),
            code="illegal_transition",
            from_status=current.value,
            to_status=to.value,
        )
    changes: dict[str, Any] = {"status": to.value, "updated_at": ctx.now, **(values or {})}
    if reason is not None:
        changes["status_reason"] = reason[:500]
    result = await session.execute(
        sa.update(Order.__table__)
        .where(Order.__table__.c.id == order_id, Order.__table__.c.status == current.value)
        .values(**changes)
    )
    if result.rowcount != 1:
        raise Conflict(text("refusal.order.status_changed"), code="status_changed")
    sync_loaded(session, Order, order_id, changes)
    await record_event(
        session,
        ctx,
        entity="order",
        entity_id=order_id,
        order_id=order_id,
        from_status=current,
        to_status=to,
        reason=reason,
        role=role,
    )
    return current


async def change_offer_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    offer_id: int,
    to: OfferStatus,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    role: str | None = None,
) -> OfferStatus:
    """Move an offer to ``to`` if the table allows it; returns the previous status."""
    row = (
        await session.execute(
            sa.select(Offer.status, Offer.order_id).where(Offer.id == offer_id).with_for_update()
        )
    ).first()
    if row is None:
        raise NotFound(text("refusal.offer.not_found"))
    current, order_id = OfferStatus(row.status), row.order_id
    if not is_legal_offer_change(current, to):
        raise Conflict(
            illegal_offer_message(current, to),
            code="illegal_transition",
            from_status=current.value,
            to_status=to.value,
        )
    changes: dict[str, Any] = {"status": to.value, "updated_at": ctx.now, **(values or {})}
    table = Offer.__table__
    result = await session.execute(
        sa.update(table)
        .where(table.c.id == offer_id, table.c.status == current.value)
        .values(**changes)
    )
    if result.rowcount != 1:
        raise Conflict(text("refusal.offer.status_changed"), code="status_changed")
    sync_loaded(session, Offer, offer_id, changes)
    await record_event(
        session,
        ctx,
        entity="offer",
        entity_id=offer_id,
        order_id=order_id,
        from_status=current,
        to_status=to,
        reason=reason,
        role=role,
    )
    return current
