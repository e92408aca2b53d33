"""The coordinator's queue: which orders are stuck and why, applying a fix, what came of it.

Applying goes through the order services the API uses (``redispatch_order``, ``cancel_order``);
this module only turns a chosen fix into their request and checks the fix still makes sense.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import policy
from service.context import ActionContext
from service.errors import AppError
from service.messages import ZH_CN
from service.models import Order
from service.orders import repository as orders_repo
from service.orders import service as orders_service
from service.orders.schemas import RedispatchRequest
from service.page_text import N_
from service.pagination import PageParams
from service.queue import gains
from service.queue import repository as repo
from service.queue.schemas import FixForm
from service.vocab import DispatchMode, OfferStatus, OrderStatus


class QueueRefusal(AppError):
    """A refusal worded for the queue pages: a page-text id (Chinese source) and its values,
    said in the reader's language when shown; ``field`` names the form field it is about."""

    def __init__(
        self, message: str, *, status_code: int = 409, field: str | None = None, **params
    ) -> None:
        super().__init__(message % params if params else message, code="queue_refusal")
        self.status_code = status_code
        self.message, self.params, self.field = message, params, field


NOT_QUEUED = N_("这项已经处理过了，现在不在待处理队列里。")
NOT_WIDER = N_("请选择比现在的 %(km)s 公里更远的、列出的服务距离。")
TEAM_UNAVAILABLE = N_("这支志愿队现在凑不齐人手，请换一支队伍或换一种办法。")
START_IN_PAST = N_("新的开始时间必须晚于现在。")
PAST_NEEDS_NEW_DATE = N_("活动时间已过，只能改到新的日期，或者取消活动。")
TIME_LOCKED = N_("已有 %(accepted)s 位志愿者接单，他们答应的是原定时间，不能直接改期。")
ALREADY_OPEN = N_("这个活动已经是开放接单了。")


# ---------------------------------------------------------------- why an order is stuck

EXPIRED, TEAM_DECLINED, OFFERS_EXHAUSTED, NO_CANDIDATES = (
    "expired",
    "team_declined",
    "offers_exhausted",
    "no_candidates",
)
_TEAM_DECLINED = re.compile(
    "^"
    + re.escape(ZH_CN["reason.team_declined"])
    .replace(re.escape("{team}"), "(?P<team>.*?)")
    .replace(re.escape("{reason}"), "(?P<reason>.*)")
    + "$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Why:
    """Why an order is in the queue, in parts the page words itself."""

    kind: str
    deadline: datetime | None = None
    declined: int = 0
    expired: int = 0
    team: str | None = None
    team_reason: str | None = None


@dataclass(frozen=True)
class Suggestion:
    """The cascade's suggestion recorded when the order was queued (figures of that moment)."""

    extra_km: float | None = None
    gained_with_km: int = 0
    saturday: datetime | None = None
    on_saturday: int = 0
    radius_km: float | None = None  # the older form: "widen to … km"
    text: str = ""  # the recorded sentence, shown as it is when it cannot be said again


@dataclass(frozen=True)
class QueueItem:
    order: Order
    community: str
    street: str | None
    missing: int
    waiting: timedelta
    past: bool
    why: Why
    suggestion: Suggestion | None
    options: gains.FixOptions | None = None

    @property
    def can_move(self) -> bool:
        """A new date needs nobody to have accepted yet (their time is agreed)."""
        return self.order.accepted_count == 0


def _suggestion(stored: dict | None) -> Suggestion | None:
    if not stored:
        return None
    recorded = str(stored.get("text") or "")
    try:
        if "candidates_with_extra_km" in stored:
            saturday = stored.get("saturday_starts_at")
            return Suggestion(
                extra_km=float(stored["extra_km"]),
                gained_with_km=int(stored["candidates_with_extra_km"])
                - int(stored.get("candidates_now") or 0),
                saturday=datetime.fromisoformat(saturday) if saturday else None,
                on_saturday=int(stored.get("candidates_on_saturday") or 0),
                text=recorded,
            )
        if stored.get("kind") == "widen_radius" and stored.get("radius_km"):
            return Suggestion(radius_km=float(stored["radius_km"]), text=recorded)
    except (TypeError, ValueError):
        pass  # a suggestion stored by an older cascade: its recorded sentence still stands
    return Suggestion(text=recorded) if recorded else None


def _why(order: Order, offers: list[tuple[int, str]], team_names: dict[int, str]) -> Why:
    declined = sum(1 for _, status in offers if status == OfferStatus.declined)
    expired = sum(1 for _, status in offers if status == OfferStatus.expired)
    stored_reason = (order.suggestion or {}).get("reason")
    team = team_reason = None
    if stored_reason:  # a team said no; its leader's own words are kept
        match = _TEAM_DECLINED.match(str(stored_reason))
        team = match["team"] if match else team_names.get(order.team_id)
        team_reason = match["reason"] if match else str(stored_reason)
    if order.status == OrderStatus.expired:
        deadline = order.accept_deadline or order.starts_at
        return Why(EXPIRED, deadline=deadline, team=team, team_reason=team_reason)
    if stored_reason:
        return Why(TEAM_DECLINED, team=team, team_reason=team_reason)
    if offers:
        return Why(OFFERS_EXHAUSTED, declined=declined, expired=expired)
    return Why(NO_CANDIDATES)


async def describe(
    session: AsyncSession, ctx: ActionContext, orders: list[Order], *, with_options: bool = True
) -> list[QueueItem]:
    """What, where, when, why and how long for each queued order, with its fixes' gains."""
    communities = await repo.areas_by_id(
        session=session, area_ids={order.community_id for order in orders}
    )
    streets = await repo.areas_by_id(
        session=session,
        area_ids={c.parent_id for c in communities.values() if c.parent_id is not None},
    )
    offers = await repo.offer_statuses(session=session, order_ids=[o.id for o in orders])
    names = await repo.team_names(
        session=session, team_ids={o.team_id for o in orders if o.team_id is not None}
    )
    items = []
    for order in orders:
        community = communities.get(order.community_id)
        street = streets.get(community.parent_id) if community else None
        waiting_since = order.needs_attention_at or order.updated_at
        item = QueueItem(
            order=order,
            community=community.name if community else "",
            street=street.name if street else None,
            missing=max(order.slots - order.accepted_count, 0),
            waiting=max(ctx.now - waiting_since, timedelta(0)),
            past=order.starts_at <= ctx.now,
            why=_why(order, offers[order.id], names),
            suggestion=_suggestion(order.suggestion),
        )
        if with_options:
            item = _with_options(item, await gains.fix_options(session, ctx, order))
        items.append(item)
    return items


def _with_options(item: QueueItem, options: gains.FixOptions) -> QueueItem:
    return replace(item, options=options)


async def stuck_orders(
    session: AsyncSession, ctx: ActionContext, *, page: PageParams
) -> tuple[list[QueueItem], int]:
    """The queue of the actor's area (the API's ``coordinator_queue``), described."""
    orders, total = await orders_repo.coordinator_queue(
        session=session, scope=policy.managed_orders_clause(ctx.actor), page=page
    )
    return await describe(session, ctx, orders), total


async def queue_item(
    session: AsyncSession, ctx: ActionContext, order_id: int, *, with_options: bool = True
) -> QueueItem:
    """One order of the actor's area, described (404 / 403 outside it)."""
    order = await orders_service.managed_order(session, ctx, order_id)
    return (await describe(session, ctx, [order], with_options=with_options))[0]


async def still_queued(session: AsyncSession, order_id: int) -> bool:
    """Whether the order is (still) in the coordinator's queue."""
    return await repo.is_queued(session=session, order_id=order_id)


async def queue_version(session: AsyncSession, ctx: ActionContext) -> str:
    """Moves when an item of the actor's queue comes or goes."""
    return await repo.queue_version(session=session, scope=policy.managed_orders_clause(ctx.actor))


# ---------------------------------------------------------------- choosing a new date


def local_start(ctx: ActionContext, day: date, at: time) -> datetime:
    """A wall-clock day and time in the service's time zone, as a UTC instant."""
    return datetime.combine(day, at, tzinfo=ZoneInfo(ctx.settings.timezone)).astimezone(UTC)


async def gain_on_day(
    session: AsyncSession, ctx: ActionContext, item: QueueItem, starts_at: datetime
) -> gains.DayOption:
    """How many candidates the order has if it starts at ``starts_at`` instead."""
    if starts_at <= ctx.now:
        raise QueueRefusal(START_IN_PAST, status_code=422, field="day")
    counter = await gains.Counter.load(session, ctx, item.order, reach_km=0)
    return gains.day_gain(counter, item.order, starts_at)


# ---------------------------------------------------------------- applying a fix


def _moved_deadline(order: Order, starts_at: datetime, now: datetime) -> datetime | None:
    """The same lead time between deadline and start as before, if that is still ahead."""
    if order.accept_deadline is None:
        return None
    deadline = starts_at - (order.starts_at - order.accept_deadline)
    return deadline if deadline > now else None


def check_choice(ctx: ActionContext, item: QueueItem, form: FixForm) -> None:
    """Refuse a fix that cannot help this order as it is now (before anything is counted)."""
    order = item.order
    if form.fix in ("widen", "open", "team") and item.past:
        raise QueueRefusal(PAST_NEEDS_NEW_DATE)
    if form.fix == "widen" and (
        form.km <= order.max_distance_km or not gains.is_offered_distance(form.km)
    ):
        raise QueueRefusal(NOT_WIDER, status_code=422, field="km", km=f"{order.max_distance_km:g}")
    if form.fix == "open" and order.dispatch_mode == DispatchMode.open:
        raise QueueRefusal(ALREADY_OPEN)
    if form.fix == "move":
        if not item.can_move:
            raise QueueRefusal(TIME_LOCKED, accepted=order.accepted_count)
        if local_start(ctx, form.day, form.at) <= ctx.now:
            raise QueueRefusal(START_IN_PAST, status_code=422, field="day")


async def _request_for(
    session: AsyncSession, ctx: ActionContext, item: QueueItem, form: FixForm
) -> RedispatchRequest:
    check_choice(ctx, item, form)
    order = item.order
    mode = gains.mode_after_change(order)
    if form.fix == "widen":
        return RedispatchRequest(
            max_distance_km=form.km,
            dispatch_mode=mode,
            reason=f"协调员处理待办：服务距离扩大到 {form.km:g} 公里",
        )
    if form.fix == "move":
        starts_at, ends_at = gains.moved(order, local_start(ctx, form.day, form.at))
        return RedispatchRequest(
            starts_at=starts_at,
            ends_at=ends_at,
            accept_deadline=_moved_deadline(order, starts_at, ctx.now),
            dispatch_mode=mode,
            reason="协调员处理待办：活动改期",
        )
    if form.fix == "open":
        return RedispatchRequest(dispatch_mode=DispatchMode.open, reason="协调员处理待办：开放接单")
    counter = await gains.Counter.load(session, ctx, order, reach_km=0)
    teams = await gains.team_options(session, ctx, order, counter)
    if form.team_id not in {team.team_id for team in teams}:
        raise QueueRefusal(TEAM_UNAVAILABLE, field="team_id")
    return RedispatchRequest(
        dispatch_mode=DispatchMode.team,
        team_id=form.team_id,
        reason="协调员处理待办：派给志愿队",
    )


async def apply_fix(
    session: AsyncSession, ctx: ActionContext, *, order_id: int, form: FixForm
) -> Order:
    """Apply one fix to a queued order of the actor's area, through the order services."""
    await orders_service.managed_order(session, ctx, order_id)  # 404 / 403 before anything
    await orders_repo.lock_order(session=session, order_id=order_id)  # as the cascade expects
    if not await repo.is_queued(session=session, order_id=order_id):
        raise QueueRefusal(NOT_QUEUED)
    if form.fix == "cancel":
        return await orders_service.cancel_order(
            session, ctx, order_id=order_id, reason=form.reason
        )
    item = await queue_item(session, ctx, order_id, with_options=False)
    data = await _request_for(session, ctx, item, form)
    return await orders_service.redispatch_order(session, ctx, order_id=order_id, data=data)


# ---------------------------------------------------------------- what came of it


@dataclass(frozen=True)
class Outcome:
    """An order after a fix, as it is now."""

    item: QueueItem
    queued: bool
    waiting_offers: int
    team: str | None


async def outcome(session: AsyncSession, ctx: ActionContext, order_id: int) -> Outcome:
    """Where the order stands now (404 / 403 outside the actor's area)."""
    item = await queue_item(session, ctx, order_id, with_options=False)
    offers = (await repo.offer_statuses(session=session, order_ids=[order_id]))[order_id]
    team = None
    if item.order.dispatch_mode == DispatchMode.team and item.order.team_id is not None:
        team = (await repo.team_names(session=session, team_ids=[item.order.team_id])).get(
            item.order.team_id
        )
    return Outcome(
        item=item,
        queued=await repo.is_queued(session=session, order_id=order_id),
        waiting_offers=sum(1 for _, status in offers if status == OfferStatus.offered),
        team=team,
    )
