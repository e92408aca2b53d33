"""The order and offer machines: their transition tables, run by ``service.lifecycle.engine``.

Every status change of an order or an offer goes through ``change_order_status`` /
``change_offer_status`` (or the slot helpers in ``service.lifecycle.slots``, which own the
accepted counter). Both are the engine's one compare-and-set (``WHERE status = :expected``),
which writes exactly one event row in the same transaction; a refused change writes nothing.

Decisions (SPEC §4 leaves them open):

* ``published → in_progress`` and ``expired → in_progress``: an under-staffed (or expired) order
  still takes place with the volunteers who accepted; the activity day starts it.
* ``accepted → completed``: the community may confirm a volunteer who served but never checked in
  (补录); ``checked_in → no_show``: the community confirms attendance, and may correct a
  check-in made by mistake (the volunteer never served) — the event log keeps who did it.
* ``expired → offered`` / ``withdrawn → offered``: a re-dispatch or a re-opened slot may ask the
  same volunteer again (one offer row per order and volunteer, so the row is reused);
  ``withdrawn → accepted``: a volunteer who withdrew from an open order may take it again.
  ``declined`` is final: a volunteer who said no is not asked again for that order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.lifecycle.engine import (
    SYSTEM_ROLE,
    Machine,
    change_status,
    record_event,
    role_of,
    sync_loaded,
)
from service.messages import text
from service.models import Offer, Order
from service.vocab import OFFER_STATUS_LABELS, ORDER_STATUS_LABELS, OfferStatus, OrderStatus

__all__ = [
    "OFFER",
    "OFFER_TRANSITIONS",
    "ORDER",
    "ORDER_TRANSITIONS",
    "SYSTEM_ROLE",
    "change_offer_status",
    "change_order_status",
    "create_offer",
    "record_event",
    "role_of",
    "sync_loaded",
]

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
    (F.checked_in, F.no_show): "社区确认未到场（签到有误）",
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

ORDER = Machine(
    entity="order",
    model=Order,
    noun="活动",
    statuses=OrderStatus,
    labels=ORDER_STATUS_LABELS,
    transitions=ORDER_TRANSITIONS,
    why={status: text(key) for status, key in _ORDER_WHY.items()},
    reason_column="status_reason",
    order_column="id",
)
OFFER = Machine(
    entity="offer",
    model=Offer,
    noun="邀请",
    statuses=OfferStatus,
    labels=OFFER_STATUS_LABELS,
    transitions=OFFER_TRANSITIONS,
    why={status: text(key) for status, key in _OFFER_WHY.items()},
    order_column="order_id",
)


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
    previous = await change_status(
        session, ctx, ORDER, entity_id=order_id, to=to, reason=reason, values=values, role=role
    )
    return OrderStatus(previous)


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
    previous = await change_status(
        session, ctx, OFFER, entity_id=offer_id, to=to, reason=reason, values=values, role=role
    )
    return OfferStatus(previous)
