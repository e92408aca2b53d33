"""派单: create and edit drafts, publish, cancel, re-dispatch. Services flush, never commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import policy
from service.context import ActionContext
from service.domain_events import OrderPublished, OrderRedispatched, publish
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.lifecycle.machine import change_offer_status, change_order_status, record_event
from service.messages import text
from service.models import Area, Order
from service.notifications.outbox import notify
from service.orders import repository as repo
from service.orders.geocoding import resolve_place
from service.orders.schemas import OrderCreate, OrderUpdate, PublishRequest, RedispatchRequest
from service.vocab import AreaLevel, DispatchMode, OfferStatus, OrderStatus

_PLACE_FIELDS = ("venue_id", "venue_name", "venue_address", "lat", "lng", "coord_system")
# When an activity may be planned: from a day ago (a draft for this morning is still typed in
# the afternoon) to two years ahead, and one activity lasts at most a week. Outside that it is
# a typo (a draft running 1970 → 2100), never a plan.
PLAN_PAST = timedelta(days=1)
PLAN_HORIZON_YEARS = 2
MAX_ACTIVITY_DAYS = 7


async def managed_order(session: AsyncSession, ctx: ActionContext, order_id: int) -> Order:
    """The order, if the actor may manage it (404 when it does not exist, 403 otherwise)."""
    order = await repo.get_order(session=session, order_id=order_id)
    if order is None:
        raise NotFound(text("refusal.order.not_found"))
    community = await repo.get_area(session=session, area_id=order.community_id)
    policy.ensure_can_manage_order(
        ctx.actor, community_id=order.community_id, community_path=community.path
    )
    return order


async def readable_order(session: AsyncSession, ctx: ActionContext, order_id: int) -> Order:
    """The order, if the actor may read it: whoever manages it, or the leader of a team it was
    offered to or that holds it (404 when it does not exist, 403 otherwise)."""
    order = await repo.get_order(session=session, order_id=order_id)
    if order is None:
        raise NotFound(text("refusal.order.not_found"))
    if ctx.actor.led_team_ids():
        holding = await repo.team_ids_on_offers(
            session=session, order_id=order.id, statuses=policy.ENGAGED_OFFER_STATUSES
        )
        if policy.can_read_team_order(
            ctx.actor, order_team_id=order.team_id, holding_team_ids=holding
        ):
            return order
    community = await repo.get_area(session=session, area_id=order.community_id)
    policy.ensure_can_manage_order(
        ctx.actor, community_id=order.community_id, community_path=community.path
    )
    return order


async def managed_community(session: AsyncSession, ctx: ActionContext, community_id: int) -> Area:
    """The community an order is for, if it exists and the actor manages it."""
    community = await repo.get_area(session=session, area_id=community_id)
    if community is None or community.level != AreaLevel.community:
        raise InvalidInput(text("refusal.order.community_not_found"), code="community_not_found")
    policy.ensure_can_manage_order(
        ctx.actor, community_id=community.id, community_path=community.path
    )
    return community


async def _check_skills(session: AsyncSession, skill_ids: list[int]) -> None:
    found = await repo.existing_skill_ids(session=session, skill_ids=skill_ids)
    if missing := sorted(set(skill_ids) - found):
        raise InvalidInput(
            text("refusal.order.skill_not_found", skills=missing), code="skill_not_found"
        )


async def _check_team(session: AsyncSession, mode, team_id: int | None) -> None:
    if mode == DispatchMode.team:
        if team_id is None:
            raise InvalidInput(text("refusal.order.team_required"), code="team_required")
        team = await repo.get_team(session=session, team_id=team_id)
        if team is None or not team.active:
            raise InvalidInput(text("refusal.order.team_not_found"), code="team_not_found")


async def _check_demand(session: AsyncSession, demand_id: int | None, community: Area) -> None:
    """A draft links only a demand of its own community (one the actor manages).

    A missing demand and another community's are refused alike, so the refusal tells nothing
    about demands the actor cannot see; the resident's lookup never shows a foreign order.
    """
    if demand_id is None:
        return
    if await repo.community_of_demand(session=session, demand_id=demand_id) != community.id:
        raise InvalidInput(
            text("refusal.order.demand_not_found"), code="demand_not_found", field="demand_id"
        )


async def create_order(session: AsyncSession, ctx: ActionContext, data: OrderCreate) -> Order:
    """A new draft in a community the actor manages; its venue is resolved to WGS-84."""
    community = await managed_community(session, ctx, data.community_id)
    await _check_demand(session, data.demand_id, community)
    _validate_times(data.starts_at, data.ends_at, data.accept_deadline)
    _validate_plan_window(data.starts_at, data.ends_at, now=ctx.now)
    await _check_skills(session, data.skill_ids)
    await _check_team(session, data.dispatch_mode, data.team_id)
    place = await resolve_place(
        session,
        ctx.settings,
        community_id=data.community_id,
        **{k: getattr(data, k) for k in _PLACE_FIELDS},
    )
    order = Order(
        **data.model_dump(exclude={*_PLACE_FIELDS, "skill_ids", "max_distance_km"}),
        max_distance_km=data.max_distance_km or ctx.settings.default_max_distance_km,
        venue_id=place.venue_id,
        venue_name=place.name[:100],
        venue_address=place.address[:200],
        venue_lat=place.lat,
        venue_lng=place.lng,
        status=OrderStatus.draft,
        created_by_user_id=ctx.actor.user_id,
        created_at=ctx.now,
        updated_at=ctx.now,
    )
    session.add(order)
    await session.flush()
    await repo.set_skills(session=session, order_id=order.id, skill_ids=data.skill_ids)
    await record_event(
        session,
        ctx,
        entity="order",
        entity_id=order.id,
        order_id=order.id,
        from_status=None,
        to_status=OrderStatus.draft,
        reason="创建草稿",
    )
    return order


async def update_order(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, data: OrderUpdate
) -> Order:
    """Edit a draft; a published order is changed only through re-dispatch."""
    order = await managed_order(session, ctx, order_id)
    if order.status != OrderStatus.draft:
        raise Conflict(text("refusal.order.not_draft"), code="not_draft")
    changes = data.model_dump(exclude_unset=True, exclude={*_PLACE_FIELDS, "skill_ids"})
    for key, value in changes.items():
        if value is not None or key in {"accept_deadline", "team_id"}:
            setattr(order, key, value)
    _validate_times(order.starts_at, order.ends_at, order.accept_deadline)
    if {"starts_at", "ends_at"} & changes.keys():
        _validate_plan_window(order.starts_at, order.ends_at, now=ctx.now)
    await _check_team(session, order.dispatch_mode, order.team_id)
    if data.model_fields_set & set(_PLACE_FIELDS):
        place = await resolve_place(
            session,
            ctx.settings,
            community_id=order.community_id,
            **{k: getattr(data, k) for k in _PLACE_FIELDS},
        )
        order.venue_id, order.venue_name, order.venue_address = (
            place.venue_id,
            place.name[:100],
            place.address[:200],
        )
        order.venue_lat, order.venue_lng = place.lat, place.lng
    if data.skill_ids is not None:
        if not data.skill_ids:
            raise InvalidInput(text("refusal.order.skills_required"), code="skills_required")
        await _check_skills(session, data.skill_ids)
        await repo.set_skills(session=session, order_id=order.id, skill_ids=data.skill_ids)
    order.updated_at = ctx.now
    await session.flush()
    return order


def _validate_times(starts_at: datetime, ends_at: datetime, accept_deadline) -> None:
    if ends_at <= starts_at:
        raise InvalidInput(text("refusal.order.ends_before_start"), code="bad_times")
    if accept_deadline is not None and accept_deadline > starts_at:
        raise InvalidInput(text("refusal.order.deadline_after_start"), code="bad_times")


def _validate_plan_window(starts_at: datetime, ends_at: datetime, *, now: datetime) -> None:
    if starts_at < now - PLAN_PAST:
        raise InvalidInput(text("refusal.order.starts_too_early"), code="bad_times")
    if starts_at > now + timedelta(days=365 * PLAN_HORIZON_YEARS):
        raise InvalidInput(
            text("refusal.order.starts_too_late", years=PLAN_HORIZON_YEARS), code="bad_times"
        )
    if ends_at - starts_at > timedelta(days=MAX_ACTIVITY_DAYS):
        raise InvalidInput(text("refusal.order.too_long", days=MAX_ACTIVITY_DAYS), code="bad_times")


async def publish_order(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, data: PublishRequest
) -> Order:
    """草稿 → 已派单, then dispatch by mode: offers (targeted), the team leader (team), or open."""
    order = await managed_order(session, ctx, order_id)
    mode = data.dispatch_mode or DispatchMode(order.dispatch_mode)
    team_id = data.team_id or order.team_id
    await _check_team(session, mode, team_id)
    if order.starts_at <= ctx.now:
        raise Conflict(text("refusal.order.publish_starts_in_past"), code="starts_in_past")
    if order.accept_deadline is not None and order.accept_deadline <= ctx.now:
        raise Conflict(text("refusal.order.publish_deadline_in_past"), code="deadline_in_past")
    if not await repo.skill_ids_of(session=session, order_id=order.id):
        raise Conflict(text("refusal.order.publish_without_skills"), code="skills_required")
    await change_order_status(
        session,
        ctx,
        order_id=order.id,
        to=OrderStatus.published,
        reason="发布派单",
        values={"published_at": ctx.now, "dispatch_mode": mode.value, "team_id": team_id},
    )
    await publish(session, ctx, OrderPublished(order=order))  # the cascade asks the first ones
    await _tell_team_leader(session, ctx, order)
    return order


async def _tell_team_leader(session: AsyncSession, ctx: ActionContext, order: Order) -> None:
    if order.dispatch_mode == DispatchMode.team:
        team = await repo.get_team(session=session, team_id=order.team_id)
        leader_user = await repo.user_id_of_volunteer(
            session=session, volunteer_id=team.leader_volunteer_id
        )
        await notify(
            session,
            user_id=leader_user,
            kind="team_order",
            title=text("notification.team_order.title", order_title=order.title),
            body=text("notification.team_order.body", slots=order.slots),
            payload={"order_id": order.id, "team_id": team.id},
            now=ctx.now,
        )


async def cancel_order(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, reason: str
) -> Order:
    """Cancel before start; every offered or accepted volunteer is withdrawn and told."""
    order = await managed_order(session, ctx, order_id)
    await change_order_status(
        session,
        ctx,
        order_id=order.id,
        to=OrderStatus.cancelled,
        reason=reason,
        values={"accepted_count": 0, "needs_attention_at": None},
    )
    affected = await repo.offers_with_user_ids(
        session=session, order_id=order.id, statuses=(OfferStatus.offered, OfferStatus.accepted)
    )
    for offer_id, user_id in affected:
        await change_offer_status(
            session, ctx, offer_id=offer_id, to=OfferStatus.withdrawn, reason=f"活动取消：{reason}"
        )
        await notify(
            session,
            user_id=user_id,
            kind="order_cancelled",
            title=text("notification.order_cancelled.title", order_title=order.title),
            body=reason,
            payload={"order_id": order.id},
            now=ctx.now,
        )
    return order


async def redispatch_order(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, data: RedispatchRequest
) -> Order:
    """Coordinator (or the community): adjust an expired or stuck order and dispatch it again."""
    order = await managed_order(session, ctx, order_id)
    if order.status not in (OrderStatus.expired, OrderStatus.published):
        raise Conflict(text("refusal.order.not_redispatchable"), code="not_redispatchable")
    changes = data.model_dump(exclude_unset=True, exclude={"reason"})
    if ({"starts_at", "ends_at"} & changes.keys()) and order.accepted_count > 0:
        raise Conflict(text("refusal.order.time_locked"), code="time_locked")
    starts_at = changes.get("starts_at") or order.starts_at
    ends_at = changes.get("ends_at") or order.ends_at
    deadline = changes.get("accept_deadline", order.accept_deadline)
    if deadline is not None and deadline <= ctx.now:
        deadline = None  # the old deadline has passed; the start time is the deadline now
    _validate_times(starts_at, ends_at, deadline)
    if starts_at <= ctx.now:
        raise Conflict(text("refusal.order.redispatch_starts_in_past"), code="starts_in_past")
    if {"starts_at", "ends_at"} & changes.keys():
        _validate_plan_window(starts_at, ends_at, now=ctx.now)
    mode = changes.get("dispatch_mode") or DispatchMode(order.dispatch_mode)
    team_id = changes.get("team_id", order.team_id)
    await _check_team(session, mode, team_id)
    values = {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "accept_deadline": deadline,
        "max_distance_km": changes.get("max_distance_km") or order.max_distance_km,
        "dispatch_mode": mode.value,
        "team_id": team_id,
        "needs_attention_at": None,
        "suggestion": None,
    }
    if order.status == OrderStatus.expired:
        await change_order_status(
            session,
            ctx,
            order_id=order.id,
            to=OrderStatus.published,
            reason=data.reason,
            values=values,
        )
    else:
        # No status change, so no event: the re-offers below log their own creation.
        await repo.rewrite_order(
            session=session, order=order, values={"updated_at": ctx.now, **values}
        )
    await publish(session, ctx, OrderRedispatched(order=order, reason="重新派单"))
    await _tell_team_leader(session, ctx, order)
    return order


async def nearby_open_orders(
    session: AsyncSession, ctx: ActionContext, *, limit: int
) -> list[Order]:
    """Open-mode orders around the acting volunteer's home within their service radius (a box).

    Only the first cut: ``service.volunteering.nearby.orders_i_can_take`` keeps those the
    volunteer can accept (skills, hours, overlaps, places left), for the page and the API.
    """
    if ctx.actor.volunteer_id is None:
        raise Forbidden(text("refusal.order.nearby_not_volunteer"))
    me = await repo.volunteer_by_id(session=session, volunteer_id=ctx.actor.volunteer_id)
    return await repo.nearby_open_orders(
        session=session,
        lat=me.home_lat,
        lng=me.home_lng,
        reach_km=me.radius_km,
        now=ctx.now,
        limit=limit,
    )
