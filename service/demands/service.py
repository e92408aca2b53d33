"""点单: submit, upvote, merge, adopt (→ draft order) and decline demands."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.demands import repository
from service.demands.repository import DemandFilters
from service.demands.schemas import AdoptDemand, DemandCreate
from service.demands.scope import ensure_manages_community
from service.errors import Conflict, InvalidInput, NotFound
from service.lifecycle.demands import change_demand_status
from service.lifecycle.machine import record_event
from service.messages import text
from service.models import Area, Demand, Order
from service.notifications.outbox import notify
from service.orders import service as orders_service
from service.orders.schemas import OrderCreate
from service.vocab import AreaLevel, DemandStatus, Role

DEFAULT_LEAD_DAYS = 7  # an adopted demand with no preferred time is drafted a week ahead
DEFAULT_HOURS = 2


def voter_key(ctx: ActionContext, phone: str | None) -> str:
    """One vote per person: the user id, or a keyed hash of the phone (the number is not stored)."""
    if ctx.actor.user_id is not None:
        return f"u:{ctx.actor.user_id}"
    if not phone:
        raise InvalidInput(text("refusal.demand.phone_for_upvote"))
    return "p:" + phone_digest(ctx, phone)


def phone_digest(ctx: ActionContext, phone: str) -> str:
    secret = ctx.settings.secret_key.encode()
    return hmac.new(secret, phone.encode(), hashlib.sha256).hexdigest()[:40]


async def _community(session: AsyncSession, community_id: int) -> Area:
    area = await repository.area(session=session, area_id=community_id)
    if area is None or area.level != AreaLevel.community:
        raise InvalidInput(text("refusal.demand.community_required"), field="community_id")
    return area


async def _demand(session: AsyncSession, demand_id: int, *, lock: bool = False) -> Demand:
    demand = await repository.get(session=session, demand_id=demand_id, lock=lock)
    if demand is None:
        raise NotFound(text("refusal.demand.not_found"))
    return demand


async def submit(session: AsyncSession, ctx: ActionContext, *, data: DemandCreate) -> Demand:
    """Record a new demand; anonymous residents must leave a phone to follow it up."""
    if ctx.actor.is_anonymous and not data.contact_phone:
        raise InvalidInput(text("refusal.demand.phone_for_submit"), field="contact_phone")
    await _community(session, data.community_id)
    demand = Demand(
        **data.model_dump(exclude={"contact_phone"}),
        contact_phone=data.contact_phone or ctx.actor.phone,
        submitter_user_id=ctx.actor.user_id,
        status=DemandStatus.new,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(demand)
    await session.flush()
    await record_event(
        session,
        ctx,
        entity="demand",
        entity_id=demand.id,
        order_id=None,
        from_status=None,
        to_status=DemandStatus.new,
        reason="群众点单",
        # An anonymous resident is not "the system": say who it was.
        role=Role.resident.value if ctx.actor.is_anonymous else None,
    )
    return demand


async def public_page(
    session: AsyncSession, *, filters: DemandFilters, order_by: str, limit: int, offset: int
) -> tuple[list[Demand], int]:
    return await repository.page(
        session=session, filters=filters, order_by=order_by, limit=limit, offset=offset
    )


async def inbox_page(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    filters: DemandFilters,
    order_by: str,
    limit: int,
    offset: int,
) -> tuple[list[Demand], int]:
    """Demands of the communities the actor works for or oversees (admins: all)."""
    if not ctx.actor.is_admin:
        filters = DemandFilters(
            **{
                **filters.__dict__,
                "community_ids": sorted(ctx.actor.community_ids()),
                "area_paths": list(ctx.actor.coordinated_paths()),
            }
        )
    return await repository.page(
        session=session, filters=filters, order_by=order_by, limit=limit, offset=offset
    )


async def orders_for(session: AsyncSession, demands: list[Demand]) -> dict[int, Order]:
    return await repository.orders_of_demands(session=session, demand_ids=[d.id for d in demands])


async def get(session: AsyncSession, *, demand_id: int) -> Demand:
    return await _demand(session, demand_id)


async def progress(session: AsyncSession, *, demand_id: int, phone: str) -> Demand:
    """The demand, if ``phone`` is its contact number; otherwise the same "not found" answer."""
    demand = await repository.get(session=session, demand_id=demand_id)
    if demand is None or not demand.contact_phone or demand.contact_phone != phone:
        raise NotFound(text("refusal.demand.lookup_failed"))
    return demand


async def upvote(
    session: AsyncSession, ctx: ActionContext, *, demand_id: int, phone: str | None
) -> tuple[int, int, bool]:
    """「我也想要」: (demand id counted on, upvotes, counted now); a second vote changes nothing."""
    key = voter_key(ctx, phone)
    demand = await _demand(session, demand_id)
    if demand.status == DemandStatus.merged and demand.merged_into_id:
        demand = await _demand(session, demand.merged_into_id)
    if demand.status == DemandStatus.declined:
        raise Conflict(text("refusal.demand.upvote_declined"), code="demand_declined")
    counted = await repository.add_upvote(
        session=session, demand_id=demand.id, voter_key=key, now=ctx.now
    )
    total = (
        await repository.count_one_more_upvote(session=session, demand_id=demand.id, now=ctx.now)
        if counted
        else demand.upvotes
    )
    return demand.id, total, counted


async def _change(
    session: AsyncSession,
    ctx: ActionContext,
    demand: Demand,
    to: DemandStatus,
    *,
    reason: str | None,
    values: dict | None = None,
    order_id: int | None = None,
) -> None:
    """A demand's status changes only through the lifecycle engine (table, CAS, event row)."""
    await change_demand_status(
        session, ctx, demand_id=demand.id, to=to, reason=reason, values=values, order_id=order_id
    )


async def _tell_submitter(session, ctx: ActionContext, demand: Demand, title: str, body: str):
    if demand.submitter_user_id is not None:
        await notify(
            session,
            user_id=demand.submitter_user_id,
            kind="demand_status",
            title=title,
            body=body,
            payload={"demand_id": demand.id},
            now=ctx.now,
        )


async def adopt(
    session: AsyncSession, ctx: ActionContext, *, demand_id: int, data: AdoptDemand
) -> tuple[Demand, Order]:
    """Turn a new demand into a linked draft order of its community."""
    demand = await _demand(session, demand_id, lock=True)
    community = await _community(session, demand.community_id)
    ensure_manages_community(ctx.actor, community)
    order = await _draft_order(session, ctx, demand=demand, community=community, data=data)
    await _change(session, ctx, demand, DemandStatus.adopted, reason=None, order_id=order.id)
    await _tell_submitter(
        session,
        ctx,
        demand,
        text("notification.demand_status.adopted.title"),
        text("notification.demand_status.adopted.body", topic=demand.topic),
    )
    return demand, order


async def _draft_order(
    session: AsyncSession, ctx: ActionContext, *, demand: Demand, community: Area, data: AdoptDemand
) -> Order:
    """The linked draft, made by the orders service (one place for order rules)."""
    starts_at = data.starts_at or demand.preferred_start or _default_start(ctx.now)
    ends_at = data.ends_at or (
        demand.preferred_end
        if demand.preferred_end and demand.preferred_end > starts_at
        else starts_at + timedelta(hours=DEFAULT_HOURS)
    )
    skill_ids = data.skill_ids or ([demand.skill_id] if demand.skill_id else [])
    if not skill_ids:
        raise InvalidInput(text("refusal.demand.skills_required"), field="skill_ids")
    # Without a venue, the community's centre stands in until the worker edits the draft.
    located = data.venue_id is not None or data.venue_lat is not None
    try:
        draft = OrderCreate(
            title=data.title or demand.topic,
            description=demand.description,
            community_id=community.id,
            demand_id=demand.id,
            target_group=demand.target_group,
            starts_at=starts_at,
            ends_at=ends_at,
            slots=data.slots,
            skill_ids=skill_ids,
            venue_id=data.venue_id,
            venue_name=data.venue_name or (community.name if not located else ""),
            venue_address=data.venue_address,
            lat=data.venue_lat if located else community.lat,
            lng=data.venue_lng if located else community.lng,
        )
    except ValidationError as error:
        raise InvalidInput(_first_message(error)) from None
    return await orders_service.create_order(session, ctx, draft)


def _first_message(error: ValidationError) -> str:
    first = error.errors()[0]
    return str(first.get("msg", "输入有误")).removeprefix("Value error, ")


def _default_start(now: datetime) -> datetime:
    return (now + timedelta(days=DEFAULT_LEAD_DAYS)).replace(minute=0, second=0, microsecond=0)


async def decline(
    session: AsyncSession, ctx: ActionContext, *, demand_id: int, reason: str
) -> Demand:
    """Decline a new demand with a reason the resident will see."""
    demand = await _demand(session, demand_id, lock=True)
    ensure_manages_community(ctx.actor, await _community(session, demand.community_id))
    await _change(
        session,
        ctx,
        demand,
        DemandStatus.declined,
        reason=reason,
        values={"decline_reason": reason},
    )
    await _tell_submitter(
        session, ctx, demand, text("notification.demand_status.declined.title"), reason
    )
    return demand


async def merge(
    session: AsyncSession, ctx: ActionContext, *, demand_id: int, into_demand_id: int
) -> Demand:
    """Merge a duplicate into another demand of the same community; its votes move along."""
    if demand_id == into_demand_id:
        raise InvalidInput(text("refusal.demand.merge_into_itself"), field="into_demand_id")
    demand = await _demand(session, demand_id, lock=True)
    target = await _demand(session, into_demand_id, lock=True)
    ensure_manages_community(ctx.actor, await _community(session, demand.community_id))
    if target.community_id != demand.community_id:
        raise InvalidInput(text("refusal.demand.merge_other_community"), field="into_demand_id")
    if target.status not in (DemandStatus.new, DemandStatus.adopted):
        raise Conflict(text("refusal.demand.merge_target_closed"), code="merge_target_closed")
    await _change(
        session,
        ctx,
        demand,
        DemandStatus.merged,
        reason=f"与点单 #{target.id} 合并",
        values={"merged_into_id": target.id},
    )
    # Everyone who wanted the duplicate (its submitter included) now wants the target.
    keys = await repository.voter_keys(session=session, demand_id=demand.id)
    submitter = _submitter_key(ctx, demand)
    for key in [*keys, *([submitter] if submitter else [])]:
        await repository.add_upvote(
            session=session, demand_id=target.id, voter_key=key, now=ctx.now
        )
    await repository.recount_upvotes(session=session, demand_id=target.id, now=ctx.now)
    await _tell_submitter(
        session,
        ctx,
        demand,
        text("notification.demand_status.merged.title"),
        text("notification.demand_status.merged.body", topic=target.topic),
    )
    return demand


def _submitter_key(ctx: ActionContext, demand: Demand) -> str | None:
    if demand.submitter_user_id is not None:
        return f"u:{demand.submitter_user_id}"
    if demand.contact_phone:
        return "p:" + phone_digest(ctx, demand.contact_phone)
    return None
