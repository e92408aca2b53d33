"""接单: accept, decline, withdraw, confirm — one slot claim each, never overbooked."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.dispatch.candidates import draft_of, eligibility_reasons
from service.dispatch.cascade import pull_outstanding_offers, top_up_offers
from service.errors import Conflict, Forbidden, NotFound
from service.lifecycle.machine import change_offer_status, create_offer
from service.lifecycle.slots import claim_slot, release_slot
from service.localtime import local_text
from service.messages import text
from service.models import Offer, Order
from service.notifications.outbox import notify, notify_workers
from service.offers import repository as repo
from service.orders import repository as orders_repo
from service.orders.service import managed_order
from service.vocab import DispatchMode, OfferStatus, OrderStatus

HOLDING = (OfferStatus.accepted, OfferStatus.checked_in)
_CLOSED_OFFER = {  # message keys
    OfferStatus.declined: "refusal.offer.declined",
    OfferStatus.expired: "refusal.offer.expired",
    OfferStatus.withdrawn: "refusal.offer.withdrawn",
}


def fresh_commitment(offer: Offer) -> dict:
    """Reset the reminder state when a reused offer row becomes an acceptance again.

    A row can be accepted, withdrawn and accepted again; the new commitment needs its own
    reminder and confirmation, not the ones left over from the first.
    """
    return {
        "confirmed_at": None,
        "reminded_at": None,
        "flags": [flag for flag in offer.flags or [] if flag != "unconfirmed"],
    }


def _volunteer_id(ctx: ActionContext) -> int:
    if ctx.actor.volunteer_id is None:
        raise Forbidden(text("refusal.accept.not_volunteer"))
    return ctx.actor.volunteer_id


async def _own_offer(session: AsyncSession, ctx: ActionContext, offer_id: int) -> Offer:
    offer = await repo.get_offer(session=session, offer_id=offer_id)
    if offer is None:
        raise NotFound(text("refusal.offer.not_found"))
    if offer.volunteer_id != ctx.actor.volunteer_id:
        raise Forbidden(text("refusal.offer.not_yours"))
    return offer


def ensure_still_open(order: Order, ctx: ActionContext) -> None:
    """Time rules the slot claim cannot see (it only knows status and counter)."""
    if order.starts_at <= ctx.now:
        raise Conflict(text("refusal.accept.started"), code="order_started")
    if order.accept_deadline is not None and order.accept_deadline <= ctx.now:
        raise Conflict(text("refusal.accept.expired"), code="order_expired")


async def ensure_no_overlap(
    session: AsyncSession,
    ctx: ActionContext,
    volunteer_id: int,
    order: Order,
    *,
    member: str | None = None,
) -> None:
    """Refuse (409, naming the held activity) when the volunteer is busy within the buffer.

    ``member`` names a team member the leader chose; without it the refusal says "you".

    Only sound under the volunteer's row lock (``repo.lock_volunteer``): it reads the other
    acceptances, which a concurrent accept of the same volunteer could otherwise add unseen.
    """
    buffer = timedelta(minutes=ctx.settings.travel_buffer_minutes)
    clash = await repo.overlapping_order(
        session=session, volunteer_id=volunteer_id, order=order, buffer=buffer
    )
    if clash is not None:
        held = {
            "held_title": clash.title,
            "held_starts_at": local_text(clash.starts_at, ctx.settings.timezone),
            "buffer_minutes": ctx.settings.travel_buffer_minutes,
        }
        raise Conflict(
            text("refusal.accept.member_time_overlap", member=member, **held)
            if member is not None
            else text("refusal.accept.time_overlap", **held),
            code="time_overlap",
        )


async def after_claim(session: AsyncSession, ctx: ActionContext, order_id: int, filled: bool):
    """A claim that filled the order withdraws the offers still waiting for an answer."""
    if filled:
        await pull_outstanding_offers(session, ctx, order_id=order_id, reason="名额已满")


async def accept_offer(session: AsyncSession, ctx: ActionContext, *, offer_id: int) -> Offer:
    """Accept an offer made to me; accepting again returns the same acceptance."""
    volunteer_id = _volunteer_id(ctx)
    await repo.lock_volunteer(session=session, volunteer_id=volunteer_id)
    offer = await _own_offer(session, ctx, offer_id)
    if offer.status in HOLDING:
        return offer
    if offer.status != OfferStatus.offered:
        raise Conflict(
            text(_CLOSED_OFFER.get(offer.status, "refusal.offer.closed")), code="offer_closed"
        )
    if offer.expires_at is not None and offer.expires_at <= ctx.now:
        raise Conflict(text(_CLOSED_OFFER[OfferStatus.expired]), code="offer_expired")
    order = await orders_repo.get_order(session=session, order_id=offer.order_id)
    ensure_still_open(order, ctx)
    await ensure_no_overlap(session, ctx, volunteer_id, order)
    # Lock order: volunteer → order (the claim) → offer, as everywhere else.
    claim = await claim_slot(session, ctx, order_id=order.id)
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.accepted,
        values={"responded_at": ctx.now, **fresh_commitment(offer)},
    )
    await after_claim(session, ctx, order.id, claim.filled)
    return offer


async def accept_open_order(session: AsyncSession, ctx: ActionContext, *, order_id: int) -> Offer:
    """Take an open order from the "near me" list (one acceptance per volunteer and order)."""
    volunteer_id = _volunteer_id(ctx)
    await repo.lock_volunteer(session=session, volunteer_id=volunteer_id)
    existing = await repo.offer_for(session=session, order_id=order_id, volunteer_id=volunteer_id)
    if existing is not None and existing.status in HOLDING:
        return existing
    if existing is not None and existing.status == OfferStatus.offered:
        return await accept_offer(session, ctx, offer_id=existing.id)
    order = await orders_repo.get_order(session=session, order_id=order_id)
    if order is None:
        raise NotFound(text("refusal.order.not_found"))
    if order.dispatch_mode != DispatchMode.open and order.status == OrderStatus.published:
        raise Conflict(text("refusal.accept.not_open_mode"), code="not_open_mode")
    if existing is not None and existing.status != OfferStatus.withdrawn:
        raise Conflict(
            text(_CLOSED_OFFER.get(existing.status, "refusal.accept.again")), code="offer_closed"
        )
    if order.status == OrderStatus.published:
        ensure_still_open(order, ctx)
        reasons = await eligibility_reasons(
            session,
            await draft_of(session, order),
            volunteer_id,
            settings=ctx.settings,
            now=ctx.now,
        )
        if reasons:
            raise Conflict(
                text("refusal.accept.not_eligible", reasons="、".join(reasons)), code="not_eligible"
            )
        await ensure_no_overlap(session, ctx, volunteer_id, order)
    claim = await claim_slot(session, ctx, order_id=order.id)
    offer = await record_acceptance(session, ctx, order, volunteer_id, existing, team_id=None)
    await after_claim(session, ctx, order.id, claim.filled)
    return offer


async def record_acceptance(
    session: AsyncSession, ctx: ActionContext, order: Order, volunteer_id: int, existing, *, team_id
) -> Offer:
    """The accepted offer row: a new one, or the volunteer's earlier row taken up again."""
    if existing is not None:  # a withdrawn acceptance (or a waiting offer) taken up again
        await change_offer_status(
            session,
            ctx,
            offer_id=existing.id,
            to=OfferStatus.accepted,
            values={"responded_at": ctx.now, "team_id": team_id, **fresh_commitment(existing)},
        )
        return existing
    return await create_offer(
        session,
        ctx,
        order_id=order.id,
        volunteer_id=volunteer_id,
        status=OfferStatus.accepted,
        reason="队长指派" if team_id else "开放接单",
        team_id=team_id,
        responded_at=ctx.now,
    )


async def decline_offer(
    session: AsyncSession, ctx: ActionContext, *, offer_id: int, reason: str
) -> Offer:
    """婉拒 with a reason; the next best candidate is asked at once (cascade)."""
    _volunteer_id(ctx)
    offer = await _own_offer(session, ctx, offer_id)
    if offer.status == OfferStatus.declined:
        return offer
    order = await orders_repo.lock_order(session=session, order_id=offer.order_id)
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.declined,
        reason=reason,
        values={"decline_reason": reason, "responded_at": ctx.now},
    )
    await top_up_offers(session, ctx, order=order)
    return offer


async def withdraw_offer(
    session: AsyncSession, ctx: ActionContext, *, offer_id: int, reason: str
) -> Offer:
    """Withdraw an acceptance before the start; the slot re-opens and is offered again."""
    _volunteer_id(ctx)
    offer = await _own_offer(session, ctx, offer_id)
    if offer.status == OfferStatus.withdrawn:
        return offer
    if offer.status == OfferStatus.offered:
        raise Conflict(text("refusal.offer.decline_instead"), code="decline_instead")
    order = await orders_repo.lock_order(session=session, order_id=offer.order_id)
    if order.starts_at <= ctx.now:
        raise Conflict(text("refusal.offer.withdraw_after_start"), code="order_started")
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.withdrawn,
        reason=reason,
        values={"responded_at": ctx.now},
    )
    if order.status in (OrderStatus.published, OrderStatus.staffed, OrderStatus.expired):
        await release_slot(session, ctx, order_id=order.id, reason=f"志愿者退出：{reason}")
    await _tell_workers(
        session,
        ctx,
        order,
        text("notification.order_changed.withdrawn.title", order_title=order.title),
        reason,
        dedupe_key=f"order_changed:withdrawn:{order.id}:{offer.volunteer_id}",
    )
    await top_up_offers(session, ctx, order=order)
    return offer


async def withdraw_invitation(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, offer_id: int, reason: str
) -> Offer:
    """撤回邀请: the community takes back an invitation still awaiting an answer.

    The volunteer is told, and in targeted mode the next best candidate is asked at once (the
    withdrawn volunteer is not asked again). An acceptance is not taken back here: the
    volunteer withdraws it themself (or the activity is cancelled). Withdrawing twice is harmless.
    """
    await managed_order(session, ctx, order_id)
    offer = await repo.get_offer(session=session, offer_id=offer_id)
    if offer is None or offer.order_id != order_id:
        raise NotFound(text("refusal.offer.not_found"))
    order = await orders_repo.lock_order(session=session, order_id=order_id)
    offer = await repo.get_offer(session=session, offer_id=offer_id)  # as it is under the lock
    if offer.status == OfferStatus.withdrawn:
        return offer
    if offer.status != OfferStatus.offered:
        raise Conflict(text("refusal.offer.withdraw_not_offered"), code="not_offered")
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.withdrawn,
        reason=reason,
    )
    await notify(
        session,
        user_id=await repo.user_of_volunteer(session=session, volunteer_id=offer.volunteer_id),
        kind="offer_withdrawn",
        title=text("notification.offer_withdrawn.title", order_title=order.title),
        body=reason,
        payload={"order_id": order.id, "offer_id": offer.id},
        now=ctx.now,
    )
    await top_up_offers(session, ctx, order=order)
    return offer


async def confirm_offer(session: AsyncSession, ctx: ActionContext, *, offer_id: int) -> Offer:
    """The volunteer confirms they will come (answer to the reminder); not a status change.

    Confirming clears an ``unconfirmed`` flag; the workers who were told to call are told
    that the call is no longer needed.
    """
    _volunteer_id(ctx)
    await repo.lock_offer(session=session, offer_id=offer_id)
    offer = await _own_offer(session, ctx, offer_id)
    if offer.status not in HOLDING:
        raise Conflict(text("refusal.offer.confirm_not_accepted"), code="not_accepted")
    if offer.confirmed_at is None:
        was_flagged = "unconfirmed" in (offer.flags or [])
        offer.confirmed_at = ctx.now
        offer.flags = [flag for flag in offer.flags or [] if flag != "unconfirmed"]
        offer.updated_at = ctx.now
        await session.flush()
        if was_flagged:
            order = await orders_repo.get_order(session=session, order_id=offer.order_id)
            await _tell_workers(
                session,
                ctx,
                order,
                text("notification.order_changed.confirmed.title", order_title=order.title),
                text("notification.order_changed.confirmed.body"),
            )
    return offer


async def _tell_workers(
    session: AsyncSession, ctx: ActionContext, order: Order, title, body, *, dedupe_key=None
):
    await notify_workers(
        session,
        community_id=order.community_id,
        kind="order_changed",
        title=title,
        body=body,
        payload={"order_id": order.id},
        now=ctx.now,
        dedupe_key=dedupe_key,
        dedupe_window=timedelta(minutes=ctx.settings.notification_dedupe_minutes),
    )
