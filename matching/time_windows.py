"""Time rules: weekly availability, blackout dates and conflicts between engagements."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta

from matching.types import AvailabilityWindow

MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def epoch_seconds(moment: datetime) -> int:
    """Whole seconds since the Unix epoch of an aware datetime (floored)."""
    return int((moment - _EPOCH) // timedelta(seconds=1))


def windows_conflict(
    a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime, buffer: timedelta
) -> bool:
    """True when two engagements are closer than the travel buffer (or overlap).

    Equivalent to the half-open intervals [start, end + buffer) intersecting, which makes the
    conflict relation an interval graph: the batch solver relies on that.
    """
    return a_start < b_end + buffer and b_start < a_end + buffer


def local_week_interval(start: datetime, end: datetime, utc_offset: timedelta) -> tuple[int, int]:
    """Minutes since local Monday 00:00 of the order window, widened to whole minutes."""
    local_start = (start.astimezone(UTC) + utc_offset).replace(tzinfo=None)
    monday = datetime.combine(
        local_start.date() - timedelta(days=local_start.weekday()), datetime.min.time()
    )
    begin_s = (local_start - monday).total_seconds()
    length_s = (end - start).total_seconds()
    begin_min = int(begin_s // 60)
    end_min = -int(-(begin_s + length_s) // 60)  # ceiling: a window ending 10:00:30 needs 10:01
    return begin_min, end_min


def local_dates(start: datetime, end: datetime, utc_offset: timedelta) -> list[date]:
    """Local calendar dates touched by the half-open window [start, end)."""
    first = (start.astimezone(UTC) + utc_offset).date()
    last = (end.astimezone(UTC) + utc_offset - timedelta(microseconds=1)).date()
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def merged_week_intervals(windows: Iterable[AvailabilityWindow]) -> list[tuple[int, int]]:
    """Union of weekly windows as sorted disjoint minute intervals over two consecutive weeks.

    Two weeks so that an order starting on Sunday evening and ending on Monday is one lookup;
    touching windows merge (9-12 and 12-14 cover 10-13).
    """
    raw = sorted(
        (
            w.weekday * MINUTES_PER_DAY + w.start_minute + shift,
            w.weekday * MINUTES_PER_DAY + w.end_minute + shift,
        )
        for w in windows
        for shift in (0, MINUTES_PER_WEEK)
    )
    merged: list[tuple[int, int]] = []
    for s, e in raw:
        if merged and s <= merged[-1][1]:
            if e > merged[-1][1]:
                merged[-1] = (merged[-1][0], e)
        else:
            merged.append((s, e))
    return merged


def availability_covers(
    windows: Iterable[AvailabilityWindow], begin_min: int, end_min: int
) -> bool:
    """True when [begin_min, end_min) (minutes from local Monday) lies inside the weekly union."""
    return any(s <= begin_min and end_min <= e for s, e in merged_week_intervals(windows))
