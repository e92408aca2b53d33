"""How many candidates each one-click fix gains, measured before anything is written.

Every count comes from the dispatch bridge (``service.dispatch.candidates``: the same volunteer
snapshots and ``OrderRequest`` the cascade and the preview use) and the matching core's
eligibility, for the order with the change applied hypothetically. Who counts depends on how
the order would be dispatched afterwards:

* targeted (offers one by one): eligible volunteers never asked for this order, as the cascade
  never asks anyone twice;
* open (anyone eligible accepts): eligible volunteers who have not already turned it down
  (declined, let an offer expire, …); a withdrawn or still waiting offer may still be taken up;
* team: the team's members who are free for the order and have not turned it down.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.index import VolunteerIndex
from matching.teams import rank_teams
from matching.types import OrderRequest, TeamSnapshot
from service.auth import policy
from service.context import ActionContext
from service.dispatch.candidates import (
    candidate_pool,
    draft_of,
    match_params,
    order_request,
)
from service.dispatch.disclosure import BAND_EDGES_KM, FAR_STEP_KM
from service.dispatch.snapshots import snapshots_by_id
from service.localtime import to_local
from service.models import Order
from service.queue import repository as repo
from service.vocab import DispatchMode, OfferStatus

# Offers that still let a volunteer take the order up (open mode, or named by a team leader).
REUSABLE = frozenset({OfferStatus.offered.value, OfferStatus.withdrawn.value})
WIDEN_STEPS = 2  # how many wider distances are offered
MAX_DISTANCE_KM = 500.0  # the API's own upper limit
DAYS_AHEAD = 14  # how far ahead new dates are looked for
DAYS_SHOWN = 3
# Besides the order's own time of day: the hours community activities usually start.
USUAL_STARTS = (time(9, 0), time(14, 30))
TEAMS_SHOWN = 3


@dataclass(frozen=True)
class Pools:
    """Who was already involved with the order, by what they can still do."""

    asked: frozenset[int]  # anyone with an offer for it: the cascade never asks them again
    closed: frozenset[int]  # declined, expired, accepted, …: not a new candidate in any mode

    @classmethod
    def of(cls, offers: list[tuple[int, str]]) -> Pools:
        asked = frozenset(volunteer_id for volunteer_id, _ in offers)
        closed = frozenset(v for v, status in offers if status not in REUSABLE)
        return cls(asked=asked, closed=closed)

    def reachable(self, eligible: list[int], mode: str) -> int:
        """How many of ``eligible`` a dispatch in ``mode`` would reach."""
        left_out = self.closed if mode == DispatchMode.open else self.asked
        return sum(1 for volunteer_id in eligible if volunteer_id not in left_out)


@dataclass(frozen=True)
class WidenOption:
    km: float
    count: int
    gained: int


@dataclass(frozen=True)
class DayOption:
    starts_at: datetime
    ends_at: datetime
    count: int
    gained: int


@dataclass(frozen=True)
class OpenOption:
    count: int
    gained: int


@dataclass(frozen=True)
class TeamOption:
    team_id: int
    name: str
    available: int  # members free for the order who have not turned it down
    needed: int  # the order's open slots


@dataclass(frozen=True)
class FixOptions:
    """The candidates each fix gains over what the order reaches now (``baseline``)."""

    baseline: int
    mode_after: str  # how a widened or moved order is dispatched (open stays open)
    widen: list[WidenOption]
    days: list[DayOption]
    open: OpenOption | None
    teams: list[TeamOption]


def wider_distances(current_km: float, steps: int = WIDEN_STEPS) -> list[float]:
    """The next distances above ``current_km`` on the band edges (1, 3, 5, 10, then every
    5 km): the same steps a preview's distance is rounded to, so counts give no home away."""
    found: list[float] = []
    edge_index, far = 0, FAR_STEP_KM * (BAND_EDGES_KM[-1] // FAR_STEP_KM + 1)
    while len(found) < steps:
        if edge_index < len(BAND_EDGES_KM):
            edge = BAND_EDGES_KM[edge_index]
            edge_index += 1
        else:
            edge, far = far, far + FAR_STEP_KM
        if edge > MAX_DISTANCE_KM:
            break
        if edge > current_km:
            found.append(edge)
    return found


def is_offered_distance(km: float) -> bool:
    """Whether ``km`` is one of the band-edge distances a widening may choose."""
    if km in BAND_EDGES_KM:
        return True
    return km > BAND_EDGES_KM[-1] and km <= MAX_DISTANCE_KM and km % FAR_STEP_KM == 0


def mode_after_change(order: Order) -> str:
    """A widened or moved order stays open if it was; otherwise it is offered one by one."""
    return DispatchMode.open if order.dispatch_mode == DispatchMode.open else DispatchMode.targeted


class Counter:
    """Eligible volunteers for variations of one order, from one load of snapshots."""

    def __init__(
        self,
        ctx: ActionContext,
        order: Order,
        request: OrderRequest,
        index: VolunteerIndex | None,
        pools: Pools,
    ) -> None:
        self.ctx, self.order, self.request, self.pools = ctx, order, request, pools
        self.params = match_params(ctx.settings)
        self.index = index

    @classmethod
    async def load(
        cls, session: AsyncSession, ctx: ActionContext, order: Order, *, reach_km: float
    ) -> Counter:
        """The candidate pool for everyone within ``reach_km`` (at least the order's distance)."""
        draft = await draft_of(session, order)
        extra = max(reach_km - draft.max_distance_km, 0.0)
        index = (
            await candidate_pool(session, draft, settings=ctx.settings, now=ctx.now, extra_km=extra)
            if draft.skill_ids
            else None
        )
        offers = (await repo.offer_statuses(session=session, order_ids=[order.id]))[order.id]
        return cls(ctx, order, await order_request(session, draft), index, Pools.of(offers))

    def count(
        self,
        mode: str,
        *,
        max_distance_km: float | None = None,
        starts_at: datetime | None = None,
        ends_at: datetime | None = None,
    ) -> int:
        """How many volunteers a dispatch in ``mode`` would reach with the changes given."""
        if self.index is None or not self.request.required_skills:
            return 0
        request = replace(
            self.request,
            max_distance_km=max_distance_km or self.request.max_distance_km,
            start=starts_at or self.request.start,
            end=ends_at or self.request.end,
        )
        eligible = self.index.eligible_ids(request, self.params, self.ctx.now)
        return self.pools.reachable(eligible, mode)

    def baseline(self) -> int:
        """What the order reaches now as it is dispatched (a team order: nobody individually)."""
        if self.order.dispatch_mode == DispatchMode.team:
            return 0
        return self.count(self.order.dispatch_mode)


def moved(order: Order, starts_at: datetime) -> tuple[datetime, datetime]:
    """The order's window moved to start at ``starts_at`` (same length)."""
    return starts_at, starts_at + (order.ends_at - order.starts_at)


def candidate_starts(ctx: ActionContext, order: Order) -> list[datetime]:
    """Start times to try: each of the next days, at the order's own time of day and at the
    usual starting hours (local time), all in the future."""
    zone = ctx.settings.timezone
    local_now = to_local(ctx.now, zone)
    own = to_local(order.starts_at, zone).timetz().replace(tzinfo=None)
    times = sorted({own, *USUAL_STARTS})
    starts = []
    for offset in range(1, DAYS_AHEAD + 1):
        day = local_now.date() + timedelta(days=offset)
        for at in times:
            local = datetime.combine(day, at, tzinfo=local_now.tzinfo)
            starts.append(local.astimezone(ctx.now.tzinfo))
    return [start for start in starts if start > ctx.now]


def day_options(counter: Counter, ctx: ActionContext, order: Order) -> list[DayOption]:
    """The days whose best start time has the most candidates (ties: the soonest), one time
    per day, each gaining someone; shown in date order."""
    mode, baseline = mode_after_change(order), counter.baseline()
    zone = ctx.settings.timezone
    best: dict = {}
    for start in candidate_starts(ctx, order):
        starts_at, ends_at = moved(order, start)
        count = counter.count(mode, starts_at=starts_at, ends_at=ends_at)
        day = to_local(starts_at, zone).date()
        if count > baseline and (day not in best or count > best[day].count):
            best[day] = DayOption(starts_at, ends_at, count, count - baseline)
    ranked = sorted(best.values(), key=lambda option: (-option.count, option.starts_at))
    return sorted(ranked[:DAYS_SHOWN], key=lambda option: option.starts_at)


def day_gain(counter: Counter, order: Order, starts_at: datetime) -> DayOption:
    """The candidates of one chosen start time."""
    starts_at, ends_at = moved(order, starts_at)
    count = counter.count(mode_after_change(order), starts_at=starts_at, ends_at=ends_at)
    return DayOption(starts_at, ends_at, count, count - counter.baseline())


async def team_options(
    session: AsyncSession, ctx: ActionContext, order: Order, counter: Counter
) -> list[TeamOption]:
    """Teams based in the actor's area that can staff the order's open slots on its day."""
    needed = order.slots - order.accepted_count
    if needed <= 0:
        return []
    teams = await repo.active_teams_with_members(
        session=session, base_areas=policy.areas_in_scope(ctx.actor)
    )
    if order.dispatch_mode == DispatchMode.team:  # the team it was sent to: it said no
        teams = [row for row in teams if row[0].id != order.team_id]
    member_ids = sorted({m for _, _, members in teams for m in members} - counter.pools.closed)
    if not teams or not member_ids:
        return []
    snapshots = {v.id: v for v in await snapshots_by_id(session, member_ids, now=ctx.now)}
    candidates = [
        TeamSnapshot(
            id=team.id,
            base_lat=team.base_lat,
            base_lng=team.base_lng,
            members=tuple(snapshots[m] for m in members if m in snapshots),
            community_id=team.base_area_id,
            street_id=street_id,
            active=team.active,
        )
        for team, street_id, members in teams
    ]
    request = replace(counter.request, slots=needed)
    ranked = rank_teams(request, candidates, TEAMS_SHOWN, counter.params, ctx.now)
    names = {team.id: team.name for team, _, _ in teams}
    return [
        TeamOption(c.team_id, names[c.team_id], len(c.available_member_ids), needed) for c in ranked
    ]


async def fix_options(session: AsyncSession, ctx: ActionContext, order: Order) -> FixOptions:
    """Every fix with what it gains, for one queued order (nothing is written)."""
    past = order.starts_at <= ctx.now
    widths = [] if past else wider_distances(order.max_distance_km)
    counter = await Counter.load(
        session, ctx, order, reach_km=max([order.max_distance_km, *widths])
    )
    baseline = counter.baseline()
    mode = mode_after_change(order)
    widen, open_option, teams = [], None, []
    if not past:
        for km in widths:
            count = counter.count(mode, max_distance_km=km)
            widen.append(WidenOption(km, count, count - baseline))
        if order.dispatch_mode != DispatchMode.open:
            count = counter.count(DispatchMode.open)
            open_option = OpenOption(count, count - baseline)
        teams = await team_options(session, ctx, order, counter)
    days = day_options(counter, ctx, order) if order.accepted_count == 0 else []
    return FixOptions(baseline, mode, widen, days, open_option, teams)
