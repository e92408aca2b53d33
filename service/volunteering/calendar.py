"""My activities as a calendar feed (.ics) at a personal secret address.

The address carries a random key; only its SHA-256 digest is stored
(``volunteers.calendar_key_digest``), so the key is shown once, when it is made. A new key
replaces the old one (the old address stops working at once); turning the feed off clears it.
The feed holds only the owner's own accepted (and checked-in, completed) activities from the
last 30 days to 90 days ahead: title, time with its time zone, place, and a link to the day page.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from icalendar import Calendar, Event
from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.errors import NotFound
from service.localtime import to_local
from service.messages import text
from service.offers.service import HOLDING
from service.settings import Settings
from service.tokens import hash_secret, new_secret
from service.vocab import OfferStatus
from service.volunteering import repository as repo
from service.volunteering.views import my_volunteer_id

PAST_DAYS = 30
AHEAD_DAYS = 90
IN_FEED = (*HOLDING, OfferStatus.completed)
# What new_secret() produces (URL-safe base64); anything else is not a key of ours.
_KEY_SHAPE = re.compile(r"[A-Za-z0-9_-]{20,100}")


async def feed_is_on(session: AsyncSession, ctx: ActionContext) -> bool:
    me = await repo.get_volunteer(session=session, volunteer_id=my_volunteer_id(ctx))
    return me.calendar_key_digest is not None


async def new_feed_key(session: AsyncSession, ctx: ActionContext) -> str:
    """Make a new secret key for my feed (the old address stops working); returns the key."""
    key = new_secret(24)
    await repo.set_calendar_digest(
        session=session, volunteer_id=my_volunteer_id(ctx), digest=hash_secret(key)
    )
    return key


async def turn_feed_off(session: AsyncSession, ctx: ActionContext) -> None:
    await repo.set_calendar_digest(session=session, volunteer_id=my_volunteer_id(ctx), digest=None)


async def feed(session: AsyncSession, *, key: str, settings: Settings, now: datetime) -> bytes:
    """The .ics text for the feed key; 404 for a key that is unknown, revoked or malformed."""
    volunteer = None
    if _KEY_SHAPE.fullmatch(key):
        volunteer = await repo.volunteer_with_calendar_digest(
            session=session, digest=hash_secret(key)
        )
    if volunteer is None:
        raise NotFound(text("refusal.calendar.not_found"))
    rows = await repo.offers_with_orders(
        session=session,
        volunteer_id=volunteer.id,
        statuses=IN_FEED,
        ends_after=now - timedelta(days=PAST_DAYS),
        ends_before=now + timedelta(days=AHEAD_DAYS),
    )
    calendar = Calendar()
    calendar.add("prodid", "-//Kepu Dispatch//科普点单派单//ZH")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "我的志愿活动")
    calendar.add("x-wr-timezone", settings.timezone)
    areas = await repo.community_names(
        session=session, area_ids={order.community_id for _, order in rows}
    )
    host = settings.origin.split("://", 1)[-1]
    for offer, order in rows:
        event = Event()
        event.add("uid", f"offer-{offer.id}@{host}")
        event.add("dtstamp", now)
        event.add("summary", order.title)
        event.add("dtstart", to_local(order.starts_at, settings.timezone))
        event.add("dtend", to_local(order.ends_at, settings.timezone))
        place = " · ".join(
            part
            for part in (areas.get(order.community_id, ""), order.venue_name, order.venue_address)
            if part
        )
        event.add("location", place)
        day_page = f"{settings.origin}/v/activities/{offer.id}"
        event.add("url", day_page)
        event.add("description", f"活动当天签到、签退：{day_page}")
        event.add("status", "CONFIRMED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
