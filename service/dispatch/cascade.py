"""Cascade dispatch: keep a targeted order's outstanding offers topped up, or queue it.

Called with the order row already locked (the caller's transaction): publish, decline, withdraw,
and the worker's expiry sweep all lock the order before touching its offers, so two processes
never top up the same order at once and lock order is always order → offers.
"""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.params import MatchParams
from matching.types import Candidate
from service.auth import repository as auth_repo
from service.context import ActionContext
from service.dispatch.candidates import (
    draft_of,
    explain,
    match_params,
    ranked_candidates,
    suggestion_for,
)
from service.dispatch.disclosure import public_score
from service.lifecycle.machine import change_offer_status, create_offer, sync_loaded
from service.localtime import local_text
from service.messages import text
from service.models import Order
from service.notifications.outbox import notify, notify_workers
from service.orders import repository as orders_repo
from service.vocab import DispatchMode, OfferStatus, OrderStatus


def _jsonable(value):
    # numpy scalars and tuples inside score details become plain JSON.
    return json.loads(
        json.dumps(value, default=lambda v: v.item() if hasattr(v, "item") else str(v))
    )


def score_parts_of(candidate: Candidate, explanation: str, params: MatchParams) -> list[dict]:
    """The stored form of a candidate's score: its public parts (a distance band, rounded
    values; others read it), then the one-line explanation."""
    parts = public_score(candidate, params).parts
    return _jsonable([*parts, {"code": "explanation", "text": explanation}])


async def pull_outstanding_offers(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, reason: str
) -> int:
    """Withdraw every still-open offer of an order (it filled up, or was cancelled/expired)."""
    ids = await orders_repo.offer_ids_with_status(
        session=session, order_id=order_id, statuses=(OfferStatus.offered,)
    )
    for offer_id in ids:
        await change_offer_status(
            session, ctx, offer_id=offer_id, to=OfferStatus.withdrawn, reason=reason
        )
    return len(ids)


async def top_up_offers(session: AsyncSession, ctx: ActionContext, *, order: Order) -> int:
    """Offer a targeted order to the next best candidates; queue it when nobody is left."""
    if order.dispatch_mode != DispatchMode.targeted or order.status != OrderStatus.published:
        return 0
    if order.starts_at <= ctx.now:
        return 0
    remaining = order.slots - order.accepted_count
    if remaining <= 0:
        return 0
    offers = await orders_repo.offers_of(session=session, order_id=order.id)
    outstanding = sum(1 for offer in offers if offer.status == OfferStatus.offered)
    wanted = max(remaining, ctx.settings.targeted_offer_count) - outstanding
    if wanted <= 0:
        return 0
    draft = await draft_of(session, order)
    asked = {offer.volunteer_id for offer in offers}
    candidates = await ranked_candidates(
        session, draft, settings=ctx.settings, now=ctx.now, k=wanted, exclude=asked, recheck=True
    )
    if not candidates:
        if outstanding == 0:
            await send_to_queue(session, ctx, order=order, exclude=asked)
        return 0
    expires_at = ctx.now + timedelta(minutes=ctx.settings.offer_expiry_minutes)
    if order.accept_deadline is not None:
        expires_at = min(expires_at, order.accept_deadline)
    expires_at = min(expires_at, order.starts_at)
    rank = max((offer.rank or 0 for offer in offers), default=0)
    users = await auth_repo.user_ids_of_volunteers(
        session=session, volunteer_ids=[c.volunteer_id for c in candidates]
    )
    params = match_params(ctx.settings)
    for candidate, explanation in await explain(session, draft, candidates):
        rank += 1
        offer = await create_offer(
            session,
            ctx,
            order_id=order.id,
            volunteer_id=candidate.volunteer_id,
            status=OfferStatus.offered,
            reason=f"第 {rank} 顺位邀请：{explanation}",
            score=public_score(candidate, params).score,
            score_parts=score_parts_of(candidate, explanation, params),
            rank=rank,
            expires_at=expires_at,
        )
        await notify(
            session,
            user_id=users[candidate.volunteer_id],
            kind="offer_new",
            title=text("notification.offer_new.title", order_title=order.title),
            body=text(
                "notification.offer_new.body",
                expires_at=local_text(expires_at, ctx.settings.timezone),
            ),
            payload={"order_id": order.id, "offer_id": offer.id},
            now=ctx.now,
        )
    if order.needs_attention_at is not None:
        await _set_attention(session, order, None, None)
    return len(candidates)


async def send_to_queue(
    session: AsyncSession, ctx: ActionContext, *, order: Order, exclude, why: str | None = None
) -> None:
    """Nobody left to ask (or the team said no): the coordinator's queue, with a suggestion.

    ``why`` (e.g. the team's reason) leads the suggestion text and the workers' notification.
    Queuing an order already in the queue changes nothing and tells nobody twice.
    """
    if order.needs_attention_at is not None:
        return
    draft = await draft_of(session, order)
    suggestion = await suggestion_for(
        session, draft, settings=ctx.settings, now=ctx.now, exclude=exclude
    )
    if why:
        combined = text("suggestion.with_reason", reason=why, suggestion=suggestion["text"])
        suggestion = {**suggestion, "reason": why, "text": combined}
    await _set_attention(session, order, ctx.now, suggestion)
    title = text(
        "notification.order_needs_attention.team_declined.title"
        if why
        else "notification.order_needs_attention.no_candidates.title",
        order_title=order.title,
    )
    await notify_workers(
        session,
        community_id=order.community_id,
        kind="order_needs_attention",
        title=title,
        body=suggestion["text"],
        payload={"order_id": order.id},
        now=ctx.now,
    )


async def clear_attention(session: AsyncSession, order: Order) -> None:
    """Take an order out of the coordinator's queue (someone took it up after all)."""
    if order.needs_attention_at is not None:
        await _set_attention(session, order, None, None)


async def _set_attention(session: AsyncSession, order: Order, at, suggestion) -> None:
    # Not a status change: the queue flag sits beside the status, so no event is written.
    await orders_repo.set_attention(
        session=session, order_id=order.id, at=at, suggestion=suggestion
    )
    sync_loaded(session, Order, order.id, {"needs_attention_at": at, "suggestion": suggestion})
