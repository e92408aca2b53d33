"""What a volunteer's own activity pages show: the day of one activity, hours, ratings.

Read-only views for the pages under ``/v/``; the actions (签到, 签退) go through
``service.check_in`` / ``service.check_out`` exactly as the JSON API's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.activity import repository
from service.activity.service import is_pending
from service.auth import repository as auth_repo
from service.context import ActionContext
from service.errors import Forbidden, NotFound
from service.localtime import to_local
from service.masking import mask_name, mask_phone
from service.messages import text
from service.models import Evaluation, Offer, Order, ServiceRecord
from service.offers import repository as offers_repo
from service.orders import repository as orders_repo
from service.vocab import OfferStatus, OrderStatus

# Offers whose place the volunteer gave up or never took: the page says so, nothing more.
NOT_GOING = (OfferStatus.declined, OfferStatus.expired, OfferStatus.withdrawn)
RECENT_RATINGS = 20


def _volunteer_id(ctx: ActionContext) -> int:
    if ctx.actor.volunteer_id is None:
        raise Forbidden(text("refusal.activity.no_volunteer_profile"))
    return ctx.actor.volunteer_id


@dataclass(frozen=True)
class DayView:
    """One of my activities on its day: what to do next is ``phase``."""

    offer: Offer
    order: Order
    # not_accepted | not_going | waiting | check_in | pending | checked_in | checked_out |
    # completed | no_show | closed
    phase: str
    opens_at: datetime
    contact_name: str  # masked
    contact_phone: str | None  # masked
    record: ServiceRecord | None = None

    @property
    def can_check_in(self) -> bool:
        return self.phase in ("waiting", "check_in", "pending")

    @property
    def can_check_out(self) -> bool:
        return self.phase == "checked_in"

    @property
    def check_out_after_offline_check_in(self) -> bool:
        """签退 stays hidden until a check-in is kept offline on the phone (checkin.js)."""
        return self.phase in ("waiting", "check_in")


def _phase(offer: Offer, order: Order, now: datetime, opens_at: datetime) -> str:
    if offer.status == OfferStatus.offered:
        return "not_accepted"
    if offer.status in NOT_GOING:
        return "not_going"
    if offer.status == OfferStatus.completed:
        return "completed"
    if offer.status == OfferStatus.no_show:
        return "no_show"
    if offer.status == OfferStatus.checked_in:
        return "checked_out" if offer.checked_out_at else "checked_in"
    if order.status in (OrderStatus.cancelled, OrderStatus.completed, OrderStatus.evaluated):
        return "closed"
    if now >= order.ends_at:
        return "closed"
    if is_pending(offer):
        return "pending"
    return "check_in" if now >= opens_at else "waiting"


async def day_view(session: AsyncSession, ctx: ActionContext, *, offer_id: int) -> DayView:
    """The day page of one of my activities; anyone else's offer does not exist here (404)."""
    volunteer_id = _volunteer_id(ctx)
    offer = await offers_repo.get_offer(session=session, offer_id=offer_id)
    if offer is None or offer.volunteer_id != volunteer_id:
        raise NotFound(text("refusal.activity.day_not_found"))
    order = await orders_repo.get_order(session=session, order_id=offer.order_id)
    opens_at = order.starts_at - timedelta(minutes=ctx.settings.check_in_opens_minutes_before)
    worker = (
        await auth_repo.user_by_id(session=session, user_id=order.created_by_user_id)
        if order.created_by_user_id
        else None
    )
    record = None
    if offer.status == OfferStatus.completed:
        record = next(
            (
                r
                for r in await repository.service_records_of_order(
                    session=session, order_id=order.id
                )
                if r.volunteer_id == volunteer_id
            ),
            None,
        )
    return DayView(
        offer=offer,
        order=order,
        phase=_phase(offer, order, ctx.now, opens_at),
        opens_at=opens_at,
        contact_name=mask_name(worker.name) if worker else "",
        contact_phone=mask_phone(worker.phone) if worker else None,
        record=record,
    )


@dataclass(frozen=True)
class HoursLine:
    record: ServiceRecord
    title: str
    confirmed_by: str  # masked name, or "" when unknown


@dataclass
class HoursMonth:
    month: int
    total: float = 0.0
    lines: list[HoursLine] = field(default_factory=list)


@dataclass(frozen=True)
class HoursView:
    year: int
    total: float
    months: list[HoursMonth]  # newest month first, only months with service
    previous_year: int | None
    next_year: int | None


async def hours_view(session: AsyncSession, ctx: ActionContext, *, year: int | None) -> HoursView:
    """My service hours of one year (this year by default): per month, each record, the total."""
    volunteer_id = _volunteer_id(ctx)
    zone = ZoneInfo(ctx.settings.timezone)
    this_year = to_local(ctx.now, ctx.settings.timezone).year
    year = this_year if year is None else year
    start = datetime(year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    rows = await repository.service_records_between(
        session=session, volunteer_id=volunteer_id, start=start, end=end
    )
    months: dict[int, HoursMonth] = {}
    for record, title, confirmer in rows:
        month = to_local(record.started_at, ctx.settings.timezone).month
        entry = months.setdefault(month, HoursMonth(month=month))
        entry.total = round(entry.total + record.hours, 2)
        entry.lines.append(HoursLine(record=record, title=title, confirmed_by=mask_name(confirmer)))
    first = await repository.first_service_year_start(session=session, volunteer_id=volunteer_id)
    first_year = to_local(first, ctx.settings.timezone).year if first else this_year
    return HoursView(
        year=year,
        total=round(sum(m.total for m in months.values()), 2),
        months=[months[m] for m in sorted(months, reverse=True)],
        previous_year=year - 1 if year > first_year else None,
        next_year=year + 1 if year < this_year else None,
    )


@dataclass(frozen=True)
class RatingLine:
    stars: int
    comment: str
    title: str
    day: datetime  # the activity's start


@dataclass(frozen=True)
class RatingsView:
    average: float | None
    count: int
    recent: list[RatingLine]


async def ratings_view(session: AsyncSession, ctx: ActionContext) -> RatingsView:
    """How the communities rated me: average, count, and the recent ratings (never who rated)."""
    volunteer_id = _volunteer_id(ctx)
    average, count = await repository.rating_summary(session=session, volunteer_id=volunteer_id)
    rows = await repository.ratings_of_volunteer(
        session=session, volunteer_id=volunteer_id, limit=RECENT_RATINGS
    )
    recent = [_line(evaluation, title, day) for evaluation, title, day in rows]
    return RatingsView(
        average=round(average, 1) if average is not None else None, count=count, recent=recent
    )


def _line(evaluation: Evaluation, title: str, day: datetime) -> RatingLine:
    return RatingLine(stars=evaluation.stars, comment=evaluation.comment, title=title, day=day)
