"""志愿队接单: the team leader accepts a team order and names who goes, or declines it.

Who may go: members of the order's team who are active, available in the order's window
(weekly availability, blackout dates — the same member rules as ``matching.teams``), and not
holding another order within the travel buffer; no more of them than the open slots, and
together with the team's members already going they cover every required skill.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from matching.eligibility import BLACKOUT_DATE, OUTSIDE_AVAILABILITY, check_eligibility
from service.auth.policy import can_lead_team
from service.context import ActionContext
from service.dispatch import repository as dispatch_repo
from service.dispatch.candidates import (
    REASON_LABELS,
    draft_of,
    match_params,
    order_request,
)
from service.dispatch.cascade import clear_attention, send_to_queue
from service.dispatch.snapshots import snapshots_by_id
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.lifecycle.machine import record_event
from service.lifecycle.slots import claim_refusal, claim_slot
from service.messages import text
from service.models import Offer, Order
from service.notifications.outbox import notify
from service.offers import repository as repo
from service.offers.service import (
    HOLDING,
    after_claim,
    ensure_no_overlap,
    ensure_still_open,
    record_acceptance,
)
from service.orders import repository as orders_repo
from service.vocab import DispatchMode, OfferStatus, OrderStatus

# Member rules checked here; distance is judged for the team and commitments under the lock.
_MEMBER_BLOCKERS = (OUTSIDE_AVAILABILITY, BLACKOUT_DATE)
# A member's earlier offer on this order that the leader may still turn into an acceptance.
_REUSABLE = (OfferStatus.offered, OfferStatus.withdrawn)


async def _led_team_order(session: AsyncSession, ctx: ActionContext, order_id: int) -> Order:
    """The team order, if the actor leads its team (404, 409 not a team order, 403)."""
    order = await orders_repo.lock_order(session=session, order_id=order_id)
    if order is None:
        raise NotFound(text("refusal.order.not_found"))
    if order.dispatch_mode != DispatchMode.team or order.team_id is None:
        raise Conflict(text("refusal.team.not_team_mode"), code="not_team_mode")
    if not can_lead_team(ctx.actor, order.team_id):
        raise Forbidden(text("refusal.team.not_leader"))
    return order


async def _check_members_free(
    session: AsyncSession, ctx: ActionContext, order: Order, new_ids: list[int], names
) -> None:
    """Active and available in the window (profile rules), else a refusal naming the member."""
    draft = await draft_of(session, order)
    snapshots = {v.id: v for v in await snapshots_by_id(session, new_ids, now=ctx.now)}
    request = await order_request(session, draft)
    params = match_params(ctx.settings)
    for volunteer_id in new_ids:
        snapshot = snapshots.get(volunteer_id)
        if snapshot is None:  # only active volunteers have snapshots
            raise Conflict(
                text("refusal.team.member_inactive", member=names[volunteer_id]),
                code="member_inactive",
            )
        codes = check_eligibility(
            replace(snapshot, commitments=()),
            request,
            params,
            None,
            distance=lambda *_: 0.0,
        )
        if blockers := [REASON_LABELS[code] for code in codes if code in _MEMBER_BLOCKERS]:
            raise Conflict(
                text(
                    "refusal.team.member_unavailable",
                    member=names[volunteer_id],
                    blockers="、".join(blockers),
                ),
                code="member_unavailable",
            )


async def _check_skills_covered(
    session: AsyncSession, order: Order, going: set[int], required: frozenset[int]
) -> None:
    covered = await repo.skill_ids_of_volunteers(session=session, volunteer_ids=going)
    if missing := sorted(required - covered):
        labels = await dispatch_repo.skill_names(session=session, skill_ids=missing)
        raise Conflict(
            text("refusal.team.skills_not_covered", skills="、".join(labels[s] for s in missing)),
            code="skills_not_covered",
        )


async def team_accept(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, member_ids: list[int]
) -> list[Offer]:
    """A team leader accepts a team order and names who goes (all or nothing)."""
    if not member_ids or len(set(member_ids)) != len(member_ids):
        raise InvalidInput(text("refusal.team.bad_members"), code="bad_members")
    # Members first, in id order, then the order row: an individual accept locks
    # volunteer → order as well, so the two can never wait on each other in a cycle.
    for volunteer_id in sorted(member_ids):
        await repo.lock_volunteer(session=session, volunteer_id=volunteer_id)
    order = await _led_team_order(session, ctx, order_id)
    team_members = await repo.team_member_ids(session=session, team_id=order.team_id)
    if outsiders := sorted(set(member_ids) - team_members):
        # Only the ids the leader sent: a leader may not learn who an outsider is.
        listed = "、".join(str(v) for v in outsiders)
        raise InvalidInput(
            text("refusal.team.not_members", volunteer_ids=listed), code="not_team_member"
        )
    names = await repo.volunteer_names(session=session, volunteer_ids=member_ids)
    offers = {
        o.volunteer_id: o for o in await repo.offers_of_order(session=session, order_id=order.id)
    }
    held = {v for v, o in offers.items() if o.status in HOLDING}
    new_ids = sorted(set(member_ids) - held)
    if not new_ids:
        return [offers[v] for v in sorted(member_ids)]  # sent again: the same acceptance
    if order.status != OrderStatus.published:
        raise await claim_refusal(session, order.id)
    ensure_still_open(order, ctx)
    open_slots = order.slots - order.accepted_count
    if len(new_ids) > open_slots:
        raise Conflict(
            text("refusal.team.too_many_members", open_slots=open_slots, chosen=len(new_ids)),
            code="too_many_members",
        )
    for volunteer_id in new_ids:
        existing = offers.get(volunteer_id)
        if existing is not None and existing.status not in _REUSABLE:
            raise Conflict(
                text("refusal.team.member_replied", member=names[volunteer_id]), code="offer_closed"
            )
    await _check_members_free(session, ctx, order, new_ids, names)
    going = (held & team_members) | set(new_ids)
    required = (await draft_of(session, order)).skill_ids
    await _check_skills_covered(session, order, going, required)
    for volunteer_id in new_ids:
        await ensure_no_overlap(session, ctx, volunteer_id, order, member=names[volunteer_id])
    for volunteer_id in new_ids:
        claim = await claim_slot(session, ctx, order_id=order.id)
        offers[volunteer_id] = await record_acceptance(
            session, ctx, order, volunteer_id, offers.get(volunteer_id), team_id=order.team_id
        )
        await after_claim(session, ctx, order.id, claim.filled)
    await clear_attention(session, order)
    await _tell_members(session, ctx, order, new_ids)
    return [offers[v] for v in sorted(member_ids)]


async def _tell_members(session: AsyncSession, ctx: ActionContext, order: Order, volunteer_ids):
    users = await repo.user_ids_in_volunteer_order(session=session, volunteer_ids=volunteer_ids)
    for user_id in users:
        await notify(
            session,
            user_id=user_id,
            kind="team_assigned",
            title=text("notification.team_assigned.title", order_title=order.title),
            body=text("notification.team_assigned.body"),
            payload={"order_id": order.id, "team_id": order.team_id},
            now=ctx.now,
        )


async def team_decline(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, reason: str
) -> Order:
    """The leader says the team cannot take it: the coordinator's queue, with a suggestion."""
    order = await _led_team_order(session, ctx, order_id)
    if order.status == OrderStatus.published and order.needs_attention_at is not None:
        return order  # already declined (or already queued): nothing more to do
    if order.status != OrderStatus.published:
        raise Conflict(text("refusal.team.decline_not_open"), code="order_not_open")
    team = await orders_repo.get_team(session=session, team_id=order.team_id)
    why = text("reason.team_declined", team=team.name, reason=reason)
    # Not a status change (the order stays published for re-dispatch), but the log must show
    # who turned it down and why, so an event is written with the unchanged status.
    await record_event(
        session,
        ctx,
        entity="order",
        entity_id=order.id,
        order_id=order.id,
        from_status=OrderStatus.published,
        to_status=OrderStatus.published,
        reason=why,
    )
    asked = {
        offer.volunteer_id
        for offer in await repo.offers_of_order(session=session, order_id=order.id)
    }
    await send_to_queue(session, ctx, order=order, exclude=asked, why=why)
    return order
