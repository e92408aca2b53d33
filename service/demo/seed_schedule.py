"""Weekly availability windows and blackout dates, shaped by a volunteer's stage of life."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from service.demo.timing import local_date

# The same blocks as the volunteer's week grid (service/volunteers/routes_pages.py BLOCKS).
MORNING = (8 * 60, 12 * 60)
AFTERNOON = (14 * 60, 18 * 60)
EVENING = (18 * 60 + 30, 21 * 60 + 30)
WEEKDAYS, WEEKEND = range(5), (5, 6)


def availability_for(
    rng: random.Random, age_band: str, *, broad: bool = False
) -> list[tuple[int, int, int]]:
    """(weekday, start_minute, end_minute) windows: retirees on weekdays, workers in evenings
    and at weekends, students at weekends and some afternoons."""
    if broad:  # demo logins: available 08:00–21:30 every day so offers reach them
        return [(day, MORNING[0], EVENING[1]) for day in range(7)]
    windows: set[tuple[int, int, int]] = set()
    if age_band == "retired":
        for day in rng.sample(list(WEEKDAYS), rng.randint(2, 4)):
            windows.add((day, *MORNING))
            if rng.random() < 0.6:
                windows.add((day, *AFTERNOON))
        if rng.random() < 0.5:
            windows.add((rng.choice(WEEKEND), *MORNING))
    elif age_band == "student":
        for day in WEEKEND:
            windows.add((day, *MORNING))
            windows.add((day, *AFTERNOON))
        for day in rng.sample(list(WEEKDAYS), rng.randint(0, 2)):
            windows.add((day, *AFTERNOON))
    else:
        for day in rng.sample(list(WEEKDAYS), rng.randint(1, 3)):
            windows.add((day, *EVENING))
        for day in WEEKEND:
            if rng.random() < 0.8:
                windows.add((day, *rng.choice((MORNING, AFTERNOON))))
    return sorted(windows)


def blackout_days(rng: random.Random, now: datetime, *, broad: bool = False) -> list[date]:
    """A fifth of volunteers are away for 1–3 days in the coming weeks."""
    if broad or rng.random() >= 0.2:
        return []
    today = local_date(now)
    start = today + timedelta(days=rng.randint(1, 25))
    return [start + timedelta(days=n) for n in range(rng.randint(1, 3))]
