"""Weekly availability, local dates and the conflict rule with travel buffer."""

from datetime import UTC, date, datetime, timedelta

from matching.time_windows import (
    availability_covers,
    local_dates,
    local_week_interval,
    merged_week_intervals,
    windows_conflict,
)
from matching.types import AvailabilityWindow as W

CST = timedelta(hours=8)
T0 = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Beijing
H = timedelta(hours=1)
BUF = timedelta(minutes=30)


def test_orders_closer_than_the_buffer_conflict():
    assert windows_conflict(T0, T0 + H, T0 + H + timedelta(minutes=29), T0 + 2 * H, BUF)


def test_orders_exactly_a_buffer_apart_do_not_conflict():
    assert not windows_conflict(T0, T0 + H, T0 + H + BUF, T0 + 3 * H, BUF)
    assert not windows_conflict(T0 + H + BUF, T0 + 3 * H, T0, T0 + H, BUF)


def test_overlapping_orders_conflict_even_without_buffer():
    assert windows_conflict(T0, T0 + 2 * H, T0 + H, T0 + 3 * H, timedelta(0))


def test_local_week_interval_uses_beijing_time():
    assert local_week_interval(T0, T0 + 2 * H, CST) == (600, 720)  # Monday 10:00-12:00


def test_local_week_interval_rounds_outwards_to_whole_minutes():
    begin, end = local_week_interval(T0 + timedelta(seconds=30), T0 + H + timedelta(seconds=1), CST)
    assert (begin, end) == (600, 661)


def test_sunday_evening_order_runs_into_the_second_week():
    sunday_22 = datetime(2025, 6, 8, 14, 0, tzinfo=UTC)
    begin, end = local_week_interval(sunday_22, sunday_22 + 3 * H, CST)
    assert (begin, end) == (6 * 1440 + 22 * 60, 7 * 1440 + 60)
    late_sunday_and_monday = (W(6, 21 * 60, 1440), W(0, 0, 120))
    assert availability_covers(late_sunday_and_monday, begin, end)
    assert not availability_covers((W(6, 21 * 60, 1440),), begin, end)


def test_touching_windows_merge_into_one():
    assert merged_week_intervals([W(0, 540, 720), W(0, 720, 840)])[0] == (540, 840)
    assert availability_covers([W(0, 540, 720), W(0, 720, 840)], 600, 780)


def test_window_must_be_fully_inside_availability():
    windows = [W(0, 540, 660)]
    assert availability_covers(windows, 600, 660)
    assert not availability_covers(windows, 600, 661)
    assert not availability_covers(windows, 539, 600)
    assert not availability_covers([W(1, 540, 660)], 600, 660)  # Tuesday is not Monday


def test_local_dates_of_an_evening_order_crossing_midnight():
    start = datetime(2025, 6, 2, 14, 0, tzinfo=UTC)  # 22:00 local
    assert local_dates(start, start + 3 * H, CST) == [date(2025, 6, 2), date(2025, 6, 3)]
    assert local_dates(start, start + 2 * H, CST) == [date(2025, 6, 2)]  # ends at midnight
