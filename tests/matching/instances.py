"""Seeded instances for batch tests that need real size (too big to write by hand)."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from matching.table import VolunteerTable
from matching.types import OrderRequest
from tests.matching.factories import MONDAY_10_LOCAL


def crowded_day(
    m: int = 60, n: int = 600, seed: int = 1, n_skills: int = 6, cover_all: bool = True
) -> tuple[list[OrderRequest], VolunteerTable]:
    """One Wednesday in a 11 x 12 km area: m orders (2-8 slots, 30 % need two skills, covered
    when ``cover_all``) starting 09:00-16:30, n volunteers with 1-2 of ``n_skills`` skills and
    one 4-9 hour window. Dense enough that the batch's components are large and CP-SAT has
    real work to do."""
    rng = np.random.default_rng(seed)
    lat, lng = rng.uniform(37.45, 37.55, n), rng.uniform(121.33, 121.47, n)
    k = rng.integers(1, 3, n)
    skill_row = np.repeat(np.arange(n), k)
    start = rng.integers(8, 12, n) * 60
    end = np.minimum(start + rng.integers(4, 10, n) * 60, 1440)
    table = VolunteerTable.from_columns(
        ids=np.arange(1, n + 1),
        lat=lat,
        lng=lng,
        radius_km=rng.choice([5.0, 8.0, 10.0], n),
        skills=(skill_row, rng.integers(1, n_skills + 1, len(skill_row))),
        windows=(np.arange(n), np.full(n, 2), start, end),
        recent_hours=np.round(rng.gamma(1.2, 5.0, n), 1),
        completed=rng.integers(0, 31, n),
    )
    day = MONDAY_10_LOCAL.replace(hour=16) + timedelta(days=1)  # Wednesday 00:00 local
    orders = []
    for i in range(m):
        begin = day + timedelta(minutes=int(rng.integers(18, 34)) * 30)
        n_req = 2 if rng.random() < 0.3 else 1
        skills = rng.choice(np.arange(1, n_skills + 1), size=n_req, replace=False)
        orders.append(
            OrderRequest(
                id=i + 1,
                lat=float(rng.uniform(37.46, 37.54)),
                lng=float(rng.uniform(121.35, 121.45)),
                start=begin,
                end=begin + timedelta(hours=int(rng.integers(1, 4))),
                required_skills=frozenset(int(s) for s in skills),
                slots=int(rng.choice([2, 3, 4, 5, 6, 8])),
                max_distance_km=10.0,
                cover_all_skills=cover_all,
            )
        )
    return orders, table
