"""What the volunteer's pages show: my next activity, my invitations, one offer, open orders
near me and my schedule — as cards in local time, the distance from home only as a band.

Reads only. Answers (accept, decline, confirm, take an open order) go through
``service.offers.service``, the same calls as the JSON API.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.geo import geodesic_km
from service.context import ActionContext
from service.dispatch import repository as dispatch_repo
from service.dispatch.disclosure import distance_band
from service.errors import Forbidden, NotFound
from service.messages import text
from service.models import Offer, Order, Volunteer
from service.offers.service import HOLDING
from service.offers.team_desk import Moment
from service.orders import repository as orders_repo
from service.page_text import N_
from service.vocab import OfferStatus, VolunteerStatus
from service.volunteering import repository as repo
from service.volunteering.nearby import TakeableOrder

# How far back the schedule shows what I did.
PAST_WEEKS = 4
DONE = (*HOLDING, OfferStatus.completed, OfferStatus.no_show)
# The distance from home as people say it (the bands of ``dispatch.disclosure``), by lower edge.
BAND_LABELS = {
    0.0: N_("不到1公里"),
    1.0: N_("1–3公里"),
    3.0: N_("3–5公里"),
    5.0: N_("5–10公里"),
    10.0: N_("10公里以上"),
}


def band_label(distance_km: float) -> str:
    """The Chinese source text of the band a distance falls in (translated by the page)."""
    return BAND_LABELS[distance_band(distance_km).lower_km]


@dataclass(frozen=True)
class ActivityCard:
    """One activity as a volunteer's card shows it (an offer of mine, or an open order)."""

    order_id: int
    title: str
    description: str
    target_group: str
    community: str
    venue_name: str
    venue_address: str
    starts: Moment
    ends: Moment
    band: str  # distance from my home, as a band (Chinese source text)
    skills: tuple[str, ...]
    slots: int
    accepted: int
    offer_id: int | None = None
    status: str | None = None  # my offer's status
    answer_by: Moment | None = None  # an invitation: when it expires
    confirmed: bool = False
    decline_reason: str | None = None
    answerable: bool = False  # an invitation I can still accept or decline
    can_confirm: bool = False  # accepted, reminded, not yet confirmed, not yet over

    @property
    def open_slots(self) -> int:
        return max(self.slots - self.accepted, 0)


@dataclass(frozen=True)
class HomeView:
    next_activity: ActivityCard | None
    waiting: list[ActivityCard]
    later_count: int  # further accepted activities after the next one
    paused: bool  # no new invitations come: the page says so and where to resume


@dataclass(frozen=True)
class ScheduleDay:
    day: Moment
    items: list[ActivityCard]


@dataclass(frozen=True)
class ScheduleView:
    upcoming: list[ScheduleDay]
    past: list[ActivityCard]


def my_volunteer_id(ctx: ActionContext) -> int:
    if ctx.actor.volunteer_id is None:
        raise Forbidden(text("refusal.offer.list_not_volunteer"))
    return ctx.actor.volunteer_id


async def _me(session: AsyncSession, ctx: ActionContext) -> Volunteer:
    return await repo.get_volunteer(session=session, volunteer_id=my_volunteer_id(ctx))


async def _cards(
    session: AsyncSession,
    ctx: ActionContext,
    home: Volunteer,
    rows: list[tuple[Offer | None, Order]],
) -> list[ActivityCard]:
    """Cards for (offer or None, order) pairs, with the skills, community and distance band."""
    zone = ctx.settings.timezone
    orders = [order for _, order in rows]
    skill_ids = await orders_repo.skill_ids_by_order(
        session=session, order_ids=[o.id for o in orders]
    )
    names = await dispatch_repo.skill_names(
        session=session, skill_ids={s for ids in skill_ids.values() for s in ids}
    )
    areas = await repo.community_names(session=session, area_ids={o.community_id for o in orders})
    cards = []
    for offer, order in rows:
        distance = geodesic_km(home.home_lat, home.home_lng, order.venue_lat, order.venue_lng)
        cards.append(
            ActivityCard(
                order_id=order.id,
                title=order.title,
                description=order.description,
                target_group=order.target_group,
                community=areas.get(order.community_id, ""),
                venue_name=order.venue_name,
                venue_address=order.venue_address,
                starts=Moment.of(order.starts_at, zone),
                ends=Moment.of(order.ends_at, zone),
                band=band_label(distance),
                skills=tuple(sorted(names[s] for s in skill_ids.get(order.id, ()) if s in names)),
                slots=order.slots,
                accepted=order.accepted_count,
                offer_id=offer.id if offer else None,
                status=offer.status if offer else None,
                answer_by=Moment.of(offer.expires_at, zone)
                if offer is not None and offer.expires_at is not None
                else None,
                confirmed=offer is not None and offer.confirmed_at is not None,
                decline_reason=offer.decline_reason if offer else None,
                answerable=offer is not None and _answerable(offer, order, ctx.now),
                can_confirm=offer is not None and _confirmable(offer, order, ctx),
            )
        )
    return cards


def _answerable(offer: Offer, order: Order, now: datetime) -> bool:
    return (
        offer.status == OfferStatus.offered
        and (offer.expires_at is None or offer.expires_at > now)
        and order.starts_at > now
    )


def _confirmable(offer: Offer, order: Order, ctx: ActionContext) -> bool:
    """Asked for once the reminder went out (KEPU_REMINDER_HOURS_BEFORE): weeks ahead a
    "will you come?" right after saying yes only puzzles people."""
    asked_from = order.starts_at - timedelta(hours=ctx.settings.reminder_hours_before)
    return (
        offer.status in HOLDING
        and offer.confirmed_at is None
        and asked_from <= ctx.now < order.ends_at
    )


async def home_view(session: AsyncSession, ctx: ActionContext) -> HomeView:
    """我的志愿: my next activity (not yet ended) and the invitations waiting for my answer."""
    me = await _me(session, ctx)
    held = await repo.offers_with_orders(
        session=session, volunteer_id=me.id, statuses=HOLDING, ends_after=ctx.now, limit=50
    )
    waiting = await repo.waiting_offers(session=session, volunteer_id=me.id, now=ctx.now)
    cards = await _cards(session, ctx, me, [*held[:1], *waiting])
    return HomeView(
        next_activity=cards[0] if held else None,
        waiting=cards[1:] if held else cards,
        later_count=max(len(held) - 1, 0),
        paused=me.status == VolunteerStatus.paused,
    )


async def offer_card(session: AsyncSession, ctx: ActionContext, offer_id: int) -> ActivityCard:
    """One offer of mine; someone else's offer does not exist for me (404)."""
    me = await _me(session, ctx)
    rows = await repo.offers_with_orders(
        session=session, volunteer_id=me.id, statuses=list(OfferStatus), limit=1, offer_id=offer_id
    )
    if not rows:
        raise NotFound(text("refusal.offer.not_found"))
    return (await _cards(session, ctx, me, rows))[0]


async def nearby_cards(
    session: AsyncSession, ctx: ActionContext, takeable: list[TakeableOrder]
) -> list[ActivityCard]:
    """Cards of the open orders I can take (``nearby.orders_i_can_take``)."""
    me = await _me(session, ctx)
    return await _cards(session, ctx, me, [(None, item.order) for item in takeable])


async def schedule_view(session: AsyncSession, ctx: ActionContext) -> ScheduleView:
    """我的日程: accepted activities that have not ended, by day; what I did in recent weeks."""
    me = await _me(session, ctx)
    upcoming = await repo.offers_with_orders(
        session=session, volunteer_id=me.id, statuses=HOLDING, ends_after=ctx.now
    )
    past = await repo.offers_with_orders(
        session=session,
        volunteer_id=me.id,
        statuses=DONE,
        ends_after=ctx.now - timedelta(weeks=PAST_WEEKS),
        ends_before=ctx.now,
        newest_first=True,
    )
    cards = await _cards(session, ctx, me, [*upcoming, *past])
    by_day: dict[date, list[ActivityCard]] = defaultdict(list)
    for card in cards[: len(upcoming)]:
        by_day[card.starts.day].append(card)
    days = [ScheduleDay(day=items[0].starts, items=items) for items in by_day.values()]
    return ScheduleView(upcoming=days, past=cards[len(upcoming) :])
