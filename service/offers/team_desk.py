"""队伍接单 for the team leader's pages: the orders waiting for their teams, who of the team can
go (and why not), and the team's schedule. Reads only: answering an order goes through
``service.offers.teams`` (team_accept / team_decline), the same calls as the JSON API.

Who can go is judged by the matching core's own rules (``matching.eligibility``: weekly
availability, blackout dates, commitments within the travel buffer), on the same snapshots the
dispatch code builds, so the page says in advance what ``team_accept`` would refuse.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from matching.eligibility import (
    BLACKOUT_DATE,
    COMMITMENT_CONFLICT,
    OUTSIDE_AVAILABILITY,
    check_eligibility,
)
from matching.time_windows import local_dates, windows_conflict
from matching.types import VolunteerSnapshot
from service.auth import policy
from service.context import ActionContext
from service.dispatch import repository as dispatch_repo
from service.dispatch.candidates import draft_of, match_params, order_request
from service.dispatch.snapshots import snapshots_by_id
from service.errors import NotFound
from service.localtime import to_local
from service.messages import text
from service.models import Offer, Order
from service.offers import repository as repo
from service.offers.service import HOLDING
from service.orders import repository as orders_repo
from service.vocab import DispatchMode, OfferStatus, OrderStatus

# An offer row that team_accept can take up again; any other answer is final for this order.
_REUSABLE = (OfferStatus.offered, OfferStatus.withdrawn)


@dataclass(frozen=True)
class Moment:
    """An instant as people read it where the service runs (KEPU_TIMEZONE)."""

    day: date
    weekday: int  # Monday = 0
    clock: str  # "14:00"

    @classmethod
    def of(cls, instant: datetime, zone: str) -> Moment:
        local = to_local(instant, zone)
        return cls(day=local.date(), weekday=local.weekday(), clock=local.strftime("%H:%M"))


@dataclass(frozen=True)
class OfferCard:
    """One order dispatched to a team, as the leader's list shows it."""

    order_id: int
    title: str
    team_name: str
    community: str
    venue_name: str
    venue_address: str
    starts: Moment
    ends: Moment
    deadline: Moment
    hours_left: int  # until the deadline (acceptance closes)
    skills: tuple[str, ...]
    slots: int
    accepted: int
    status: str
    declined: bool  # the team said no: it waits in the coordinator's queue, still answerable

    @property
    def open_slots(self) -> int:
        return max(self.slots - self.accepted, 0)


@dataclass(frozen=True)
class Blocker:
    """Why a member cannot go: paused, busy (another activity), blackout, unavailable, replied."""

    kind: str
    title: str = ""  # busy: the activity they hold
    starts: Moment | None = None  # busy: its start; blackout, unavailable: the day
    ends: Moment | None = None
    windows: tuple[str, ...] = ()  # unavailable: their hours that weekday ("09:00–12:00")
    status: str = ""  # replied: their answer to this order's own offer


@dataclass(frozen=True)
class MemberChoice:
    volunteer_id: int
    name: str
    is_leader: bool
    skills: tuple[str, ...]
    covers: tuple[str, ...]  # the order's required skills this member has
    going: bool  # already named for this order
    blockers: tuple[Blocker, ...]

    @property
    def can_go(self) -> bool:
        return not self.going and not self.blockers


@dataclass(frozen=True)
class TeamOfferDetail:
    card: OfferCard
    team_id: int
    members: tuple[MemberChoice, ...]
    answerable: bool  # published to this team, before start and deadline, with open slots
    buffer_minutes: int

    @property
    def going(self) -> list[MemberChoice]:
        return [m for m in self.members if m.going]

    @property
    def available(self) -> list[MemberChoice]:
        return [m for m in self.members if m.can_go]


@dataclass(frozen=True)
class ScheduleItem:
    order_id: int
    title: str
    team_name: str
    community: str
    venue_name: str
    venue_address: str
    starts: Moment
    ends: Moment
    status: str
    members: tuple[tuple[str, str], ...]  # (name, offer status)


@dataclass(frozen=True)
class ScheduleDay:
    day: Moment
    items: tuple[ScheduleItem, ...]


def _deadline(order: Order) -> datetime:
    return order.accept_deadline or order.starts_at


async def _cards(session: AsyncSession, ctx: ActionContext, orders, team_of) -> list[OfferCard]:
    """Cards for ``orders``; ``team_of`` maps an order id to the leader's team that answers."""
    zone = ctx.settings.timezone
    skill_ids = await orders_repo.skill_ids_by_order(
        session=session, order_ids=[o.id for o in orders]
    )
    names = await dispatch_repo.skill_names(
        session=session, skill_ids={s for ids in skill_ids.values() for s in ids}
    )
    teams = await repo.team_names(session=session, team_ids=set(team_of.values()))
    areas = await repo.area_names(session=session, area_ids={o.community_id for o in orders})
    return [
        OfferCard(
            order_id=order.id,
            title=order.title,
            team_name=teams.get(team_of[order.id], ""),
            community=areas.get(order.community_id, ""),
            venue_name=order.venue_name,
            venue_address=order.venue_address,
            starts=Moment.of(order.starts_at, zone),
            ends=Moment.of(order.ends_at, zone),
            deadline=Moment.of(_deadline(order), zone),
            hours_left=max(int((_deadline(order) - ctx.now).total_seconds() // 3600), 0),
            skills=tuple(sorted(names[s] for s in skill_ids[order.id] if s in names)),
            slots=order.slots,
            accepted=order.accepted_count,
            status=order.status,
            declined=order.needs_attention_at is not None,
        )
        for order in orders
    ]


async def led_team_names(session: AsyncSession, ctx: ActionContext) -> list[str]:
    """The names of the teams the actor leads, for the page headings."""
    names = await repo.team_names(session=session, team_ids=ctx.actor.led_team_ids())
    return sorted(names.values())


async def team_offers(session: AsyncSession, ctx: ActionContext) -> list[OfferCard]:
    """The orders waiting for an answer from the teams the actor leads, nearest deadline first."""
    orders = await repo.waiting_team_orders(
        session=session, team_ids=ctx.actor.led_team_ids(), now=ctx.now
    )
    return await _cards(session, ctx, orders, {o.id: o.team_id for o in orders})


async def _leader_team(session: AsyncSession, ctx: ActionContext, order: Order) -> int:
    """The actor's team this order was offered to or is held by; 404 for anyone else's order
    (a leader does not learn that other orders exist)."""
    holding = await orders_repo.team_ids_on_offers(
        session=session, order_id=order.id, statuses=policy.ENGAGED_OFFER_STATUSES
    )
    if not policy.can_read_team_order(
        ctx.actor, order_team_id=order.team_id, holding_team_ids=holding
    ):
        raise NotFound(text("refusal.order.not_found"))
    led = ctx.actor.led_team_ids()
    return order.team_id if order.team_id in led else min(led & holding)


def answerable(order: Order, team_id: int, now: datetime) -> bool:
    """Whether the leader of ``team_id`` can still accept (or decline) the order."""
    return (
        order.dispatch_mode == DispatchMode.team
        and order.team_id == team_id
        and order.status == OrderStatus.published
        and order.starts_at > now
        and _deadline(order) > now
        and order.accepted_count < order.slots
    )


async def leader_order(session: AsyncSession, ctx: ActionContext, order_id: int):
    """(order, the actor's team that answers for it), or 404: an order offered to or held by
    a team the actor leads."""
    order = await orders_repo.get_order(session=session, order_id=order_id)
    if order is None:
        raise NotFound(text("refusal.order.not_found"))
    return order, await _leader_team(session, ctx, order)


async def team_offer(session: AsyncSession, ctx: ActionContext, order_id: int) -> TeamOfferDetail:
    """One order of the actor's team with every member's situation for its time."""
    order, team_id = await leader_order(session, ctx, order_id)
    card = (await _cards(session, ctx, [order], {order.id: team_id}))[0]
    return TeamOfferDetail(
        card=card,
        team_id=team_id,
        members=tuple(await _members(session, ctx, order, team_id)),
        answerable=answerable(order, team_id, ctx.now),
        buffer_minutes=ctx.settings.travel_buffer_minutes,
    )


async def _members(
    session: AsyncSession, ctx: ActionContext, order: Order, team_id: int
) -> list[MemberChoice]:
    """The team's members for this order: already going, free, then those who cannot go."""
    roster = await repo.team_roster(session=session, team_id=team_id)
    ids = [volunteer_id for volunteer_id, _, _ in roster]
    team = await orders_repo.get_team(session=session, team_id=team_id)
    draft = await draft_of(session, order)
    snapshots = {v.id: v for v in await snapshots_by_id(session, ids, now=ctx.now)}
    offers = {
        o.volunteer_id: o for o in await repo.offers_of_order(session=session, order_id=order.id)
    }
    skills_of: dict[int, set[int]] = defaultdict(set)
    for volunteer_id, skill_id in await dispatch_repo.skill_pairs(
        session=session, volunteer_ids=ids
    ):
        skills_of[volunteer_id].add(skill_id)
    names = await dispatch_repo.skill_names(
        session=session, skill_ids={s for found in skills_of.values() for s in found}
    )
    blockers = await _blockers(session, ctx, order, draft, snapshots, offers, ids)
    members = []
    for volunteer_id, name, _status in roster:
        offer = offers.get(volunteer_id)
        going = offer is not None and offer.status in HOLDING
        mine = skills_of[volunteer_id]
        members.append(
            MemberChoice(
                volunteer_id=volunteer_id,
                name=name,
                is_leader=volunteer_id == team.leader_volunteer_id,
                skills=tuple(sorted(names[s] for s in mine)),
                covers=tuple(sorted(names[s] for s in mine & draft.skill_ids)),
                going=going,
                blockers=() if going else tuple(blockers[volunteer_id]),
            )
        )
    return sorted(members, key=lambda m: (not m.going, not m.can_go))


async def _blockers(
    session: AsyncSession,
    ctx: ActionContext,
    order: Order,
    draft,
    snapshots: dict[int, VolunteerSnapshot],
    offers: dict[int, Offer],
    ids: list[int],
) -> dict[int, list[Blocker]]:
    zone = ctx.settings.timezone
    request = await order_request(session, draft)
    params = match_params(ctx.settings)
    order_days = set(local_dates(order.starts_at, order.ends_at, params.utc_offset))
    starts = Moment.of(order.starts_at, zone)
    found: dict[int, list[Blocker]] = defaultdict(list)
    busy: dict[int, list] = defaultdict(list)
    for volunteer_id in ids:
        snapshot = snapshots.get(volunteer_id)
        if snapshot is None:  # only active volunteers have snapshots
            found[volunteer_id].append(Blocker("paused"))
            continue
        # Distance is judged for the team, not per member (members travel with it).
        codes = check_eligibility(snapshot, request, params, None, distance=lambda *_: 0.0)
        if OUTSIDE_AVAILABILITY in codes:
            found[volunteer_id].append(
                Blocker("unavailable", starts=starts, windows=_hours_on(snapshot, starts.weekday))
            )
        if BLACKOUT_DATE in codes:
            day = min(order_days & set(snapshot.blackout_dates))
            found[volunteer_id].append(Blocker("blackout", starts=Moment(day, day.weekday(), "")))
        if COMMITMENT_CONFLICT in codes:
            busy[volunteer_id] = [
                c
                for c in snapshot.commitments
                if c.order_id != order.id
                and windows_conflict(
                    order.starts_at, order.ends_at, c.start, c.end, params.travel_buffer
                )
            ]
        offer = offers.get(volunteer_id)
        if offer is not None and offer.status not in (*HOLDING, *_REUSABLE):
            found[volunteer_id].append(Blocker("replied", status=offer.status))
    titles = await repo.order_titles(
        session=session, order_ids={c.order_id for held in busy.values() for c in held}
    )
    for volunteer_id, held in busy.items():
        found[volunteer_id][:0] = [
            Blocker(
                "busy",
                title=titles.get(c.order_id, ""),
                starts=Moment.of(c.start, zone),
                ends=Moment.of(c.end, zone),
            )
            for c in sorted(held, key=lambda c: c.start)
        ]
    return found


def _hours_on(snapshot: VolunteerSnapshot, weekday: int) -> tuple[str, ...]:
    """A member's weekly hours on one weekday, e.g. ("09:00–12:00",); empty: not that day."""

    def hm(minute: int) -> str:
        return f"{minute // 60:02d}:{minute % 60:02d}"

    return tuple(
        f"{hm(w.start_minute)}–{hm(w.end_minute)}"
        for w in sorted(snapshot.weekly_availability, key=lambda w: w.start_minute)
        if w.weekday == weekday
    )


async def team_schedule(session: AsyncSession, ctx: ActionContext) -> list[ScheduleDay]:
    """The activities the actor's teams have accepted that have not ended, by local day, with
    who goes."""
    zone = ctx.settings.timezone
    rows = await repo.team_engagements(
        session=session, team_ids=ctx.actor.led_team_ids(), now=ctx.now
    )
    orders: dict[int, Order] = {}
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    team_of: dict[int, int] = {}
    for order, _volunteer_id, name, status, team_id in rows:
        orders.setdefault(order.id, order)
        team_of.setdefault(order.id, team_id)
        members[order.id].append((name, status))
    teams = await repo.team_names(session=session, team_ids=set(team_of.values()))
    areas = await repo.area_names(
        session=session, area_ids={o.community_id for o in orders.values()}
    )
    days: dict[date, list[ScheduleItem]] = defaultdict(list)
    for order in orders.values():
        starts = Moment.of(order.starts_at, zone)
        days[starts.day].append(
            ScheduleItem(
                order_id=order.id,
                title=order.title,
                team_name=teams.get(team_of[order.id], ""),
                community=areas.get(order.community_id, ""),
                venue_name=order.venue_name,
                venue_address=order.venue_address,
                starts=starts,
                ends=Moment.of(order.ends_at, zone),
                status=order.status,
                members=tuple(members[order.id]),
            )
        )
    return [
        ScheduleDay(day=items[0].starts, items=tuple(items)) for _, items in sorted(days.items())
    ]
