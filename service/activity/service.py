"""The activity day: check-in/out with server time, forgotten check-outs, confirming completion."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from geopy.distance import geodesic
from sqlalchemy.ext.asyncio import AsyncSession

from service.activity import repository, venue_codes
from service.auth import repository as auth_repo
from service.auth.throttle import Throttled, ThrottleStore
from service.context import ActionContext
from service.errors import (
    AppError,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyRequests,
)
from service.evaluations.service import issue_rating_codes
from service.lifecycle.machine import change_offer_status, change_order_status
from service.localtime import local_text
from service.messages import text
from service.models import Offer, Order, ServiceRecord
from service.notifications.outbox import notify
from service.offers import repository as offers_repo
from service.orders import repository as orders_repo
from service.orders.service import managed_order
from service.vocab import OfferStatus, OrderStatus

OUTSIDE_GEOFENCE = "outside_geofence"
NO_LOCATION = "no_location"
# A check-in the venue cannot vouch for (too far, or no location) waits for a worker: until
# then the offer stays accepted, the order does not start, and no hours are counted.
PENDING_CONFIRMATION = "pending_confirmation"
CHECK_IN_CONFIRMED = "check_in_confirmed"
VENUE_CODE = "venue_code"  # on site by the venue code the worker read out (no location needed)
_WHERE_FLAGS = (OUTSIDE_GEOFENCE, NO_LOCATION, PENDING_CONFIRMATION)
AUTO_CHECKOUT = "auto_checkout"
MANUAL_ATTENDANCE = "confirmed_without_checkin"
HOURS_ADJUSTED = "hours_adjusted"  # the worker corrected the hours completion credited
MAX_HOURS = 24  # a service record's hours (the database checks the same range)
# How a refusal names a moment: the same in every language (no 月/日 in an English sentence).
END_FORMAT = "%Y-%m-%d %H:%M"
# An order that has not started yet goes in_progress on the first check-in (or at completion).
NOT_STARTED = (OrderStatus.published, OrderStatus.staffed, OrderStatus.expired)
CHECK_IN_ALLOWED = (*NOT_STARTED, OrderStatus.in_progress)
# A phone without signal keeps a check-in/out and sends it later with the time it recorded.
# That time counts as given, within bounds: a phone clock a little fast is forgiven; anything
# later, or older than a day's activity could be, is refused rather than guessed.
CLOCK_SKEW = timedelta(minutes=2)
MAX_RECORDED_AGE_HOURS = 12


@dataclass(frozen=True)
class CheckIn:
    offer: Offer
    distance_m: float | None
    already: bool
    pending: bool = False  # recorded, but a worker must confirm it before it counts


def is_pending(offer: Offer) -> bool:
    return offer.status == OfferStatus.accepted and PENDING_CONFIRMATION in (offer.flags or [])


def distance_to_venue(order: Order, lat: float, lng: float) -> float:
    """Metres from the venue (geodesic on WGS-84, geopy as the reference)."""
    return geodesic((lat, lng), (order.venue_lat, order.venue_lng)).meters


def recorded_time(ctx: ActionContext, at: datetime | None) -> datetime:
    """When it happened: the phone's recorded ``at`` within bounds, else the server's now."""
    if at is None:
        return ctx.now
    at = at.astimezone(UTC)
    if at > ctx.now + CLOCK_SKEW:
        raise InvalidInput(text("refusal.activity.recorded_in_future"), field="at")
    if at < ctx.now - timedelta(hours=MAX_RECORDED_AGE_HOURS):
        raise InvalidInput(
            text("refusal.activity.recorded_too_old", hours=MAX_RECORDED_AGE_HOURS), field="at"
        )
    return at


async def _venue_code_ok(
    ctx: ActionContext, throttle: ThrottleStore | None, offer: Offer, raw: str
) -> None:
    """A right venue code passes (its try is given back); a wrong one is refused and counts."""
    if throttle is None:
        raise ValueError("checking a venue code needs the throttle store")
    limits = venue_codes.venue_code_limits(
        ctx.settings, volunteer_id=offer.volunteer_id, order_id=offer.order_id
    )
    try:
        reservation = await throttle.reserve(limits, now=ctx.now)
    except Throttled as throttled:
        minutes = max(1, round(throttled.retry_after / 60))
        raise TooManyRequests(
            text("refusal.activity.venue_code_throttled", minutes=minutes),
            retry_after=throttled.retry_after,
        ) from None
    if not venue_codes.matches(ctx.settings, offer.order_id, raw):
        raise InvalidInput(text("refusal.activity.venue_code_wrong"), field="venue_code")
    await throttle.forgive(reservation)


async def _own_offer(session: AsyncSession, ctx: ActionContext, offer_id: int) -> Offer:
    offer = await offers_repo.get_offer(session=session, offer_id=offer_id)
    if offer is None:
        raise NotFound(text("refusal.offer.not_found"))
    if ctx.actor.volunteer_id is None or offer.volunteer_id != ctx.actor.volunteer_id:
        raise Forbidden(text("refusal.activity.not_yours"))
    return offer


async def _start_if_needed(session: AsyncSession, ctx: ActionContext, order: Order, why: str):
    if order.status in NOT_STARTED:
        await change_order_status(
            session, ctx, order_id=order.id, to=OrderStatus.in_progress, reason=why
        )


async def check_in(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    offer_id: int,
    lat: float | None,
    lng: float | None,
    venue_code: str | None = None,
    at: datetime | None = None,
    throttle: ThrottleStore | None = None,
) -> CheckIn:
    """签到 from ``KEPU_CHECKIN_OPENS_MINUTES`` before the start, at server time or at the
    time the phone recorded (``at``, within ``recorded_time``'s bounds).

    Within ``KEPU_GEOFENCE_METERS`` of the venue, or with the order's right venue code, it
    counts at once; farther away or without a location it is recorded as pending until a
    worker of the community confirms it. A wrong venue code is refused and throttled.
    """
    when = recorded_time(ctx, at)
    offer = await _own_offer(session, ctx, offer_id)
    order = await orders_repo.lock_order(session=session, order_id=offer.order_id)
    if offer.status in (OfferStatus.checked_in, OfferStatus.completed):
        return CheckIn(offer=offer, distance_m=None, already=True)
    if offer.status != OfferStatus.accepted:
        raise Conflict(text("refusal.activity.check_in_not_accepted"), code="not_accepted")
    minutes = ctx.settings.check_in_opens_minutes_before
    opens = order.starts_at - timedelta(minutes=minutes)
    if when < opens:
        raise Conflict(
            text(
                "refusal.activity.check_in_not_open",
                opens_at=local_text(opens, ctx.settings.timezone),
                minutes=minutes,
            ),
            code="check_in_not_open",
        )
    if when >= order.ends_at or order.status not in CHECK_IN_ALLOWED:
        raise Conflict(text("refusal.activity.check_in_closed"), code="check_in_closed")
    flags = [flag for flag in offer.flags or [] if flag not in _WHERE_FLAGS]
    distance = None if lat is None or lng is None else distance_to_venue(order, lat, lng)
    on_site = distance is not None and distance <= ctx.settings.geofence_meters
    if venue_code is not None and not on_site:
        await _venue_code_ok(ctx, throttle, offer, venue_code)
        on_site = True
        flags.append(VENUE_CODE)
    if not on_site:
        if is_pending(offer):  # already waiting: the first attempt's time and place stand
            return CheckIn(offer=offer, distance_m=distance, already=True, pending=True)
        where = NO_LOCATION if distance is None else OUTSIDE_GEOFENCE
        await repository.record_pending_check_in(
            session=session,
            offer_id=offer.id,
            at=when,
            lat=lat,
            lng=lng,
            flags=[*flags, where, PENDING_CONFIRMATION],
        )
        offer = await offers_repo.get_offer(session=session, offer_id=offer.id)
        return CheckIn(offer=offer, distance_m=distance, already=False, pending=True)
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.checked_in,
        values={"checked_in_at": when, "check_in_lat": lat, "check_in_lng": lng, "flags": flags},
    )
    await _start_if_needed(session, ctx, order, "首位志愿者签到，活动开始")
    return CheckIn(offer=offer, distance_m=distance, already=False)


async def confirm_check_in(session: AsyncSession, ctx: ActionContext, *, offer_id: int) -> Offer:
    """A worker of the order's community vouches for a pending check-in: it counts from then.

    The recorded check-in time stands; confirming again returns the same check-in.
    """
    offer = await offers_repo.get_offer(session=session, offer_id=offer_id)
    if offer is None:
        raise NotFound(text("refusal.offer.not_found"))
    order = await managed_order(session, ctx, offer.order_id)
    order = await orders_repo.lock_order(session=session, order_id=order.id)
    offer = await offers_repo.get_offer(session=session, offer_id=offer_id)
    if CHECK_IN_CONFIRMED in (offer.flags or []) and offer.status != OfferStatus.accepted:
        return offer
    if not is_pending(offer):
        raise Conflict(text("refusal.activity.no_pending_check_in"), code="no_pending_check_in")
    if order.status not in CHECK_IN_ALLOWED:
        raise Conflict(text("refusal.activity.check_in_closed"), code="check_in_closed")
    flags = [flag for flag in offer.flags if flag != PENDING_CONFIRMATION]
    await change_offer_status(
        session,
        ctx,
        offer_id=offer.id,
        to=OfferStatus.checked_in,
        reason="社区确认签到",
        values={"flags": [*flags, CHECK_IN_CONFIRMED]},
    )
    await _start_if_needed(session, ctx, order, "社区确认签到，活动开始")
    return await offers_repo.get_offer(session=session, offer_id=offer.id)


async def check_out(
    session: AsyncSession, ctx: ActionContext, *, offer_id: int, at: datetime | None = None
) -> Offer:
    """签退 at server time (or the phone's recorded ``at``); checking out again keeps the first."""
    when = recorded_time(ctx, at)
    offer = await _own_offer(session, ctx, offer_id)
    if offer.checked_out_at is not None:
        return offer
    if is_pending(offer):
        raise Conflict(text("refusal.activity.check_in_pending"), code="check_in_pending")
    if offer.status != OfferStatus.checked_in:
        raise Conflict(text("refusal.activity.not_checked_in"), code="not_checked_in")
    if offer.checked_in_at is not None and when < offer.checked_in_at:
        raise InvalidInput(text("refusal.activity.check_out_before_check_in"), field="at")
    await repository.stamp_checkout(
        session=session, offer_id=offer.id, at=when, flags=list(offer.flags or []), now=ctx.now
    )
    return await offers_repo.get_offer(session=session, offer_id=offer.id)


async def close_forgotten_checkouts(
    session: AsyncSession, ctx: ActionContext, *, order_id: int | None = None
) -> int:
    """Close check-outs nobody made at the order's end, flagged; the worker's sweep calls this."""
    closed = 0
    for offer, ends_at in await repository.forgotten_checkouts(
        session=session, now=ctx.now, order_id=order_id
    ):
        at = max(ends_at, offer.checked_in_at) if offer.checked_in_at else ends_at
        flags = [*(offer.flags or []), AUTO_CHECKOUT]
        closed += await repository.stamp_checkout(
            session=session, offer_id=offer.id, at=at, flags=flags, now=ctx.now
        )
    return closed


async def roster(
    session: AsyncSession, ctx: ActionContext, *, order_id: int
) -> tuple[Order, list[Offer], dict[int, str]]:
    """Who holds (or held) a place on the order, for the worker's activity-day view."""
    order = await managed_order(session, ctx, order_id)
    offers = await offers_repo.offers_of_order(
        session=session,
        order_id=order.id,
        statuses=[
            OfferStatus.accepted,
            OfferStatus.checked_in,
            OfferStatus.completed,
            OfferStatus.no_show,
        ],
    )
    names = await offers_repo.volunteer_names(
        session=session, volunteer_ids=[offer.volunteer_id for offer in offers]
    )
    return order, offers, names


@dataclass
class Completion:
    order: Order
    records: list[ServiceRecord] = field(default_factory=list)
    no_show_volunteer_ids: list[int] = field(default_factory=list)
    rating_codes: list[str] = field(default_factory=list)


def served_span(order: Order, checked_in: datetime, checked_out: datetime):
    """The part of the scheduled time the volunteer was there: max(in, start)–min(out, end).

    Arriving early or leaving late earns nothing extra; a span that misses the activity is
    empty (its end is its start), never negative.
    """
    started = max(checked_in, order.starts_at)
    return started, max(min(checked_out, order.ends_at), started)


def _hours(started: datetime, ended: datetime) -> float:
    return round(min(max((ended - started).total_seconds() / 3600, 0.0), 24.0), 2)


def credited_span(order: Order, offer: Offer, now: datetime) -> tuple[datetime, datetime]:
    """The span completion credits a volunteer with, if they are confirmed present now.

    Checked in: from the check-in to the check-out (a missing check-out ends now, or at the
    scheduled end if that has passed), within the scheduled time. Not checked in (补录): the
    scheduled time.
    """
    if offer.status == OfferStatus.checked_in and offer.checked_in_at is not None:
        checked_out = offer.checked_out_at or max(min(now, order.ends_at), offer.checked_in_at)
        return served_span(order, offer.checked_in_at, checked_out)
    return order.starts_at, order.ends_at


def credited_hours(order: Order, offer: Offer, now: datetime) -> float:
    """The hours completion would record for ``offer`` (what the attendance page prefills)."""
    return _hours(*credited_span(order, offer, now))


def completion_blocker(
    order: Order, offers: list[Offer], now: datetime, zone: str
) -> AppError | None:
    """Why the order cannot be confirmed as completed now (None when it can).

    The rule a community worker needs: an activity is confirmed once it is over. It is over at
    its scheduled end; or earlier, once it has started and every volunteer who checked in has
    checked out again (the activity ended early, and the worker confirms on the spot, before
    handing out the residents' rating codes). Without any check-in, only the scheduled end
    says the activity is over. While a checked-in volunteer is still there, it is not.
    """
    if order.status in (OrderStatus.completed, OrderStatus.evaluated):
        return Conflict(text("refusal.activity.already_completed"), code="already_completed")
    if order.status not in CHECK_IN_ALLOWED:
        return Conflict(text("refusal.activity.complete_not_in_progress"), code="not_started")
    if now < order.starts_at:
        return Conflict(text("refusal.activity.complete_before_start"), code="not_started")
    if now >= order.ends_at:
        return None
    checked_in = [offer for offer in offers if offer.status == OfferStatus.checked_in]
    if checked_in and all(offer.checked_out_at is not None for offer in checked_in):
        return None
    return Conflict(
        text(
            "refusal.activity.complete_before_end",
            ends_at=local_text(order.ends_at, zone, END_FORMAT),
        ),
        code="not_ended",
    )


def _ids(volunteer_ids) -> str:
    return "、".join(str(volunteer_id) for volunteer_id in sorted(volunteer_ids))


def _check_attendance(
    offers: list[Offer],
    present: set[int],
    absent: set[int],
    hours: Mapping[int, float],
) -> None:
    """The worker's attendance names only volunteers of this order, each at most one way."""
    on_order = {offer.volunteer_id for offer in offers}
    if unknown := (present | absent) - on_order:
        field_name = "present_volunteer_ids" if unknown & present else "absent_volunteer_ids"
        raise InvalidInput(
            text("refusal.activity.unknown_present", volunteer_ids=_ids(unknown)),
            field=field_name,
        )
    if both := present & absent:
        raise InvalidInput(
            text("refusal.activity.present_and_absent", volunteer_ids=_ids(both)),
            field="absent_volunteer_ids",
        )
    checked_in = {o.volunteer_id for o in offers if o.status == OfferStatus.checked_in}
    there = (checked_in - absent) | present
    if not_there := set(hours) - there:
        raise InvalidInput(
            text("refusal.activity.hours_not_present", volunteer_ids=_ids(not_there)),
            field="hours",
        )
    if any(not 0 <= value <= MAX_HOURS for value in hours.values()):
        raise InvalidInput(
            text("refusal.activity.hours_out_of_range", max=MAX_HOURS), field="hours"
        )


async def confirm_completion(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    order_id: int,
    present_volunteer_ids: Collection[int],
    rating_code_count: int,
    absent_volunteer_ids: Collection[int] = (),
    hours: Mapping[int, float] | None = None,
) -> Completion:
    """The worker confirms the activity took place: hours per volunteer, no-shows, rating codes.

    Attendance, by volunteer id (the ids the attendance list shows):

    * a volunteer who checked in counts as present, credited from check-in to check-out
      within the scheduled time — unless named in ``absent_volunteer_ids`` (checked in by
      mistake, never served): then a no-show;
    * a volunteer who did not check in is a no-show — unless named in
      ``present_volunteer_ids`` (served without checking in, 补录): then credited with the
      scheduled hours and flagged. Naming a checked-in volunteer there too is harmless;
    * ``hours`` overrides the credited hours of a present volunteer (0–24, flagged
      ``hours_adjusted`` when it differs).

    Refused while the activity is not over yet (see ``completion_blocker``).
    """
    present, absent = set(present_volunteer_ids), set(absent_volunteer_ids)
    hours = dict(hours or {})
    order = await managed_order(session, ctx, order_id)
    order = await orders_repo.lock_order(session=session, order_id=order.id)
    offers = await offers_repo.offers_of_order(
        session=session, order_id=order.id, statuses=[OfferStatus.accepted, OfferStatus.checked_in]
    )
    # Everything is checked before the first write: a refusal leaves the order as it was.
    if blocker := completion_blocker(order, offers, ctx.now, ctx.settings.timezone):
        raise blocker
    _check_attendance(offers, present, absent, hours)
    await _start_if_needed(session, ctx, order, "社区确认活动已举行")
    # Check-outs nobody made end at the scheduled end (only an ended order has any to close).
    await close_forgotten_checkouts(session, ctx, order_id=order.id)
    offers = await offers_repo.offers_of_order(
        session=session, order_id=order.id, statuses=[OfferStatus.accepted, OfferStatus.checked_in]
    )
    result = Completion(order=order)
    for offer in offers:
        checked_in = offer.status == OfferStatus.checked_in
        if (checked_in and offer.volunteer_id not in absent) or offer.volunteer_id in present:
            started, ended = credited_span(order, offer, ctx.now)
            flags = [*offer.flags] if checked_in else [MANUAL_ATTENDANCE]
            served = _hours(started, ended)
            if offer.volunteer_id in hours and round(hours[offer.volunteer_id], 2) != served:
                served = round(hours[offer.volunteer_id], 2)
                flags.append(HOURS_ADJUSTED)
            checked_out = (
                offer.checked_out_at or max(min(ctx.now, order.ends_at), offer.checked_in_at)
                if checked_in
                else None
            )
            result.records.append(
                await _complete(
                    session,
                    ctx,
                    offer,
                    started,
                    ended,
                    flags,
                    hours=served,
                    checked_out=checked_out,
                )
            )
        else:
            reason = "社区确认未到场（签到有误）" if checked_in else None
            await change_offer_status(
                session, ctx, offer_id=offer.id, to=OfferStatus.no_show, reason=reason
            )
            await repository.count_no_show(session=session, volunteer_id=offer.volunteer_id)
            result.no_show_volunteer_ids.append(offer.volunteer_id)
    await change_order_status(session, ctx, order_id=order.id, to=OrderStatus.completed)
    codes = await issue_rating_codes(session, order_id=order.id, count=rating_code_count)
    result.rating_codes = [code.code for code in codes]
    await _tell_volunteers(session, ctx, order, result)
    return result


async def _complete(
    session: AsyncSession,
    ctx: ActionContext,
    offer: Offer,
    started: datetime,
    ended: datetime,
    flags: list,
    *,
    hours: float,
    checked_out: datetime | None = None,
) -> ServiceRecord:
    values = {"checked_out_at": checked_out} if offer.status == OfferStatus.checked_in else {}
    await change_offer_status(
        session, ctx, offer_id=offer.id, to=OfferStatus.completed, values=values
    )
    await repository.count_completion(session=session, volunteer_id=offer.volunteer_id)
    return await repository.add_service_record(
        session=session,
        record=ServiceRecord(
            order_id=offer.order_id,
            volunteer_id=offer.volunteer_id,
            hours=hours,
            started_at=started,
            ended_at=ended,
            confirmed_by_user_id=ctx.actor.user_id,
            confirmed_at=ctx.now,
            flags=flags,
        ),
    )


async def _tell_volunteers(session, ctx: ActionContext, order: Order, result: Completion):
    volunteer_ids = [r.volunteer_id for r in result.records] + result.no_show_volunteer_ids
    users = await auth_repo.user_ids_of_volunteers(session=session, volunteer_ids=volunteer_ids)
    for record in result.records:
        await notify(
            session,
            user_id=users[record.volunteer_id],
            kind="service_recorded",
            title=text("notification.service_recorded.title", order_title=order.title),
            body=text("notification.service_recorded.body", hours=record.hours),
            payload={"order_id": order.id, "hours": record.hours},
            now=ctx.now,
        )
    for volunteer_id in result.no_show_volunteer_ids:
        await notify(
            session,
            user_id=users[volunteer_id],
            kind="no_show",
            title=text("notification.no_show.title", order_title=order.title),
            body=text("notification.no_show.body"),
            payload={"order_id": order.id},
            now=ctx.now,
        )
