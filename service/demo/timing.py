"""Local-time helpers: activities happen at sensible hours in Asia/Shanghai, stored as aware UTC."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

LOCAL = ZoneInfo("Asia/Shanghai")
# (start, end) local times of an activity: morning, afternoon, evening.
ACTIVITY_SLOTS: tuple[tuple[time, time], ...] = (
    (time(9, 0), time(11, 0)),
    (time(9, 30), time(11, 30)),
    (time(14, 30), time(16, 30)),
    (time(15, 0), time(17, 0)),
    (time(19, 0), time(20, 30)),
)


def at_local(day: date, clock: time) -> datetime:
    """The aware UTC instant of ``clock`` on ``day`` in Shanghai."""
    return datetime.combine(day, clock, tzinfo=LOCAL).astimezone(UTC)


def floor_half_hour(moment: datetime) -> datetime:
    """``moment`` rounded down to the half hour (UTC and Shanghai share half-hour boundaries)."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=moment.minute - moment.minute % 30, second=0, microsecond=0)


def local_date(moment: datetime) -> date:
    return moment.astimezone(LOCAL).date()


def pick_day(rng: random.Random, first: date, last: date) -> date:
    """A day in [first, last], weekends twice as likely as weekdays."""
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    weights = [2 if day.weekday() >= 5 else 1 for day in days]
    return rng.choices(days, weights)[0]


def pick_slot(
    rng: random.Random, day: date, *, evening: bool = False, daytime: bool = False
) -> tuple[datetime, datetime]:
    """A sensible activity window on ``day``: evenings are rarer, never in the fields
    (``daytime``), always for the stars (``evening``)."""
    weights = (3, 2, 3, 2, 0 if daytime else 1)
    start, end = rng.choices(ACTIVITY_SLOTS, weights)[0]
    if evening:
        start, end = ACTIVITY_SLOTS[-1]
    return at_local(day, start), at_local(day, end)


def hours_before(moment: datetime, hours: float) -> datetime:
    return moment - timedelta(hours=hours)
