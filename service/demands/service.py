"""点单: submit, upvote, merge, adopt (→ draft order) and decline demands."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import phone_codes
from service.auth.phone_codes import phone_limits
from service.auth.throttle import Limit, ThrottleStore, enforce_rate_limit
from service.context import ActionContext
from service.demands import repository
from service.demands.repository import DemandFilters
from service.demands.schemas import FOLLOW_UP_CODE_LENGTH, AdoptDemand, DemandCreate
from service.demands.scope import ensure_manages_community
from service.domain_events import PhoneTextReady, publish
from service.errors import AppError, Conflict, InvalidInput, NotFound
from service.lifecycle.demands import DEMAND, change_demand_status
from service.lifecycle.machine import record_event
from service.messages import text
from service.models import Area, Demand, Order
from service.notifications.outbox import notify, notify_demand_contact
from service.orders import service as orders_service
from service.orders.schemas import OrderCreate
from service.tokens import keyed_hash
from service.vocab import AreaLevel, DemandStatus, Role

DEFAULT_LEAD_DAYS = 7  # an adopted demand with no preferred time is drafted a week ahead
DEFAULT_HOURS = 2


def person_key(ctx: ActionContext, phone: str) -> str:
    """One vote per person: a keyed hash of the phone (the number is not stored).

    Logged-in users vote under their account's phone too, so voting logged in and then
    anonymously with the same number counts once.
    """
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


async def submit(
    session: AsyncSession, ctx: ActionContext, *, data: DemandCreate
) -> tuple[Demand, str]:
    """Record a new demand; (demand, follow-up code): the code is shown once, stored hashed.

    Anonymous residents must leave a phone; the phone *and* the code are needed to follow the
    demand up, so a number seen in a worker's inbox is not enough.
    """
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
    code = f"{secrets.randbelow(10**FOLLOW_UP_CODE_LENGTH):0{FOLLOW_UP_CODE_LENGTH}d}"
    demand.follow_up_code_hash = _follow_up_hash(ctx, demand.id, code)
    await session.flush()
    return demand, code


def _follow_up_hash(ctx: ActionContext, demand_id: int, code: str) -> str:
    return keyed_hash(ctx.settings.secret_key, f"follow-up:{demand_id}:{code}")


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


async def progress(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    demand_id: int,
    phone: str,
    code: str,
    ip: str | None,
    throttle: ThrottleStore,
) -> Demand:
    """The demand, if ``phone`` is its contact number and ``code`` its follow-up code.

    Any other combination (no such demand, wrong phone, wrong code) gets one and the same
    "not found", and every try counts per IP, per demand and per phone (the count survives
    the refusal: see web.deps.unit_of_work).
    """
    limits = phone_limits(ctx.settings, scope="lookup", target=f"demand:{demand_id}", ip=ip)
    limits += phone_limits(ctx.settings, scope="lookup", target=f"phone:{phone}", ip=None)
    await enforce_rate_limit(throttle, limits, now=ctx.now)
    demand = await repository.get(session=session, demand_id=demand_id)
    expected = demand.follow_up_code_hash if demand else None
    code_ok = hmac.compare_digest(expected or "", _follow_up_hash(ctx, demand_id, code))
    phone_ok = bool(demand and demand.contact_phone) and hmac.compare_digest(
        demand.contact_phone.encode(), phone.encode()
    )
    if not (expected and code_ok and phone_ok):
        raise NotFound(text("refusal.demand.lookup_failed"))
    return demand


@dataclass(frozen=True)
class Upvoted:
    demand_id: int  # the demand counted on (the target of a merged one)
    upvotes: int
    counted: bool


async def upvote(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    demand_id: int,
    phone: str | None,
    code: str | None,
    ip: str | None,
    throttle: ThrottleStore,
) -> Upvoted | AppError | None:
    """「我也想要」: one vote per person, counted on the demand (or the one it was merged into).

    Only votes from a number its holder proved count: a logged-in user's account phone, or an
    anonymous phone confirmed by a texted one-time code (None: the code was sent; an AppError:
    a wrong code, returned so its counted try is committed). Made-up numbers cannot vote, and
    a user and an anonymous vote with the same phone are one person. Every attempt counts per
    IP and per demand.
    """
    limits = [Limit(f"vote:demand:{demand_id}", ctx.settings.demand_upvote_max_attempts)]
    if ip:
        limits.append(Limit(f"vote-ip:{ip[:64]}", ctx.settings.phone_ip_max_attempts))
    await enforce_rate_limit(throttle, limits, now=ctx.now)
    if ctx.actor.is_anonymous and not phone:
        raise InvalidInput(text("refusal.demand.phone_for_upvote"), field="phone")
    demand = await _demand(session, demand_id)
    if demand.status == DemandStatus.merged and demand.merged_into_id:
        demand = await _demand(session, demand.merged_into_id)
    if demand.status == DemandStatus.declined:
        raise Conflict(text("refusal.demand.upvote_declined"), code="demand_declined")
    if ctx.actor.is_anonymous:
        purpose = f"upvote:{demand.id}"
        if code is None:
            await _text_vote_code(
                session, ctx, purpose=purpose, phone=phone, ip=ip, throttle=throttle
            )
            return None
        confirmed = await phone_codes.confirm(
            session, settings=ctx.settings, now=ctx.now, purpose=purpose, phone=phone, code=code
        )
        if confirmed is None:
            return InvalidInput(text("refusal.phone_code.wrong"), code="wrong_code", field="code")
        key = person_key(ctx, phone)
    else:
        key = person_key(ctx, ctx.actor.phone) if ctx.actor.phone else f"u:{ctx.actor.user_id}"
    # Votes recorded under the account id (before votes were keyed by phone) still count once.
    legacy = [f"u:{ctx.actor.user_id}"] if ctx.actor.user_id is not None else []
    counted = not await repository.has_upvote(
        session=session, demand_id=demand.id, voter_keys=legacy
    ) and await repository.add_upvote(
        session=session, demand_id=demand.id, voter_key=key, now=ctx.now
    )
    total = (
        await repository.count_one_more_upvote(session=session, demand_id=demand.id, now=ctx.now)
        if counted
        else demand.upvotes
    )
    return Upvoted(demand_id=demand.id, upvotes=total, counted=counted)


async def _text_vote_code(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    purpose: str,
    phone: str,
    ip: str | None,
    throttle: ThrottleStore,
) -> None:
    """Text a one-time code to ``phone`` (sends count per number and per IP)."""
    await enforce_rate_limit(
        throttle, phone_limits(ctx.settings, scope="vote-code", target=phone, ip=ip), now=ctx.now
    )
    code = await phone_codes.issue(
        session, settings=ctx.settings, now=ctx.now, purpose=purpose, phone=phone
    )
    await publish(
        session, ctx, PhoneTextReady(
            phone=phone, kind="phone_code",
            title=text("notification.phone_code.upvote.title", code=code),
            body=text("notification.phone_code.body", minutes=ctx.settings.phone_code_minutes),
        ),
    )  # fmt: skip


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
    """The submitter hears what became of their demand: in the inbox of their account, or,
    without one, by SMS to the contact phone they left (read when the text is sent)."""
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
    elif demand.contact_phone:
        await notify_demand_contact(
            session,
            demand_id=demand.id,
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
    await _mark_adopted(session, ctx, demand, order)
    return demand, order


async def adopt_as_order(
    session: AsyncSession, ctx: ActionContext, *, demand_id: int, draft: OrderCreate
) -> tuple[Demand, Order]:
    """Adopt a new demand with the order the worker filled in (the desk's order form).

    The same rules as ``adopt``; only the draft comes whole from the form instead of being
    derived from the demand. The order is linked to the demand whatever ``draft.demand_id``
    said, and a demand that is no longer new is refused before any order is made.
    """
    demand = await _demand(session, demand_id, lock=True)
    community = await _community(session, demand.community_id)
    ensure_manages_community(ctx.actor, community)
    if not DEMAND.is_legal(demand.status, DemandStatus.adopted):
        raise Conflict(
            DEMAND.refusal(demand.status, DemandStatus.adopted), code="illegal_transition"
        )
    linked = draft.model_copy(update={"demand_id": demand.id})
    order = await orders_service.create_order(session, ctx, linked)
    await _mark_adopted(session, ctx, demand, order)
    return demand, order


async def _mark_adopted(session: AsyncSession, ctx: ActionContext, demand: Demand, order) -> None:
    await _change(session, ctx, demand, DemandStatus.adopted, reason=None, order_id=order.id)
    await _tell_submitter(
        session,
        ctx,
        demand,
        text("notification.demand_status.adopted.title", demand_id=demand.id),
        text("notification.demand_status.adopted.body", topic=demand.topic),
    )


async def managed(session: AsyncSession, ctx: ActionContext, *, demand_id: int) -> Demand:
    """The demand, if the actor serves its community (404 when there is none, 403 otherwise)."""
    demand = await _demand(session, demand_id)
    ensure_manages_community(ctx.actor, await _community(session, demand.community_id))
    return demand


async def merge_targets(session: AsyncSession, demands: list[Demand]) -> dict[int, list[Demand]]:
    """For each new demand: the demands of its community it may be merged into (new or
    adopted, itself left out), likely duplicates (same topic or skill) first, then the most
    wanted."""
    open_ones = [d for d in demands if d.status == DemandStatus.new]
    if not open_ones:
        return {}
    candidates = await repository.open_demands_of(
        session=session, community_ids=sorted({d.community_id for d in open_ones})
    )

    def likeness(demand: Demand, other: Demand) -> tuple:
        return (other.topic != demand.topic, other.skill_id != demand.skill_id, -other.upvotes)

    return {
        d.id: sorted(
            (c for c in candidates if c.community_id == d.community_id and c.id != d.id),
            key=lambda other, d=d: likeness(d, other),
        )
        for d in open_ones
    }


async def topics_of(session: AsyncSession, demand_ids: list[int | None]) -> dict[int, str]:
    """Demand id → topic (e.g. of the demands others were merged into)."""
    return await repository.topics(session=session, demand_ids=sorted({i for i in demand_ids if i}))


async def community_names(session: AsyncSession, demands: list[Demand]) -> dict[int, str]:
    """Community id → name, for the communities of ``demands``."""
    return await repository.area_names(
        session=session, area_ids=sorted({d.community_id for d in demands})
    )


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
        session,
        ctx,
        demand,
        text("notification.demand_status.declined.title", demand_id=demand.id),
        reason,
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
    submitter = await _submitter_key(session, ctx, demand)
    for key in [*keys, *([submitter] if submitter else [])]:
        await repository.add_upvote(
            session=session, demand_id=target.id, voter_key=key, now=ctx.now
        )
    await repository.recount_upvotes(session=session, demand_id=target.id, now=ctx.now)
    await _tell_submitter(
        session,
        ctx,
        demand,
        text("notification.demand_status.merged.title", demand_id=demand.id),
        text("notification.demand_status.merged.body", topic=target.topic),
    )
    return demand


async def _submitter_key(session: AsyncSession, ctx: ActionContext, demand: Demand) -> str | None:
    """The submitter as a voter: their account's phone, else the contact phone they left."""
    if demand.submitter_user_id is not None:
        phone = await repository.user_phone(session=session, user_id=demand.submitter_user_id)
        return person_key(ctx, phone) if phone else f"u:{demand.submitter_user_id}"
    if demand.contact_phone:
        return person_key(ctx, demand.contact_phone)
    return None
