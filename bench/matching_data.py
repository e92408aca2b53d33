"""Synthetic but plausible volunteers and orders for the matching benchmark (seeded, vectorized)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from matching.table import VolunteerTable
from matching.types import OrderRequest

YANTAI = (37.5, 121.4)
# A Monday, 00:00 Beijing time; orders fall in the four weeks after it.
HORIZON_START = datetime(2025, 6, 1, 16, 0, tzinfo=UTC)
HORIZON_DAYS = 28
N_SKILLS = 40

# Sub-centres of a city-like spread around 芝罘区 (lat, lng, sigma in degrees, share).
_CITY_CLUSTERS = [
    (37.53, 121.39, 0.025, 0.40),
    (37.47, 121.27, 0.020, 0.15),
    (37.45, 121.45, 0.020, 0.15),
    (37.55, 121.55, 0.030, 0.10),
]
# Big cities for a nationwide spread (lat, lng, weight).
_CITIES = [
    (39.90, 116.40, 10),
    (31.23, 121.47, 10),
    (23.13, 113.26, 8),
    (22.54, 114.06, 8),
    (30.57, 104.07, 7),
    (29.56, 106.55, 7),
    (30.59, 114.31, 6),
    (34.34, 108.94, 5),
    (32.06, 118.80, 6),
    (30.27, 120.16, 6),
    (36.07, 120.38, 4),
    (37.50, 121.40, 3),
    (38.04, 114.51, 4),
    (36.65, 117.12, 4),
    (34.75, 113.63, 5),
    (28.23, 112.94, 4),
    (26.07, 119.30, 3),
    (25.04, 102.71, 3),
    (45.80, 126.53, 3),
    (41.80, 123.43, 4),
    (43.82, 87.62, 2),
    (36.06, 103.83, 2),
    (22.82, 108.37, 2),
    (20.04, 110.35, 1),
]


def positions(n: int, kind: str, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(lat, lng) arrays: "city" around Yantai, or "nationwide" across Chinese cities."""
    if kind == "city":
        shares = np.array([c[3] for c in _CITY_CLUSTERS] + [1 - sum(c[3] for c in _CITY_CLUSTERS)])
        which = rng.choice(len(shares), size=n, p=shares)
        lat = rng.uniform(YANTAI[0] - 0.3, YANTAI[0] + 0.3, n)  # the rest: a 65 x 55 km box
        lng = rng.uniform(YANTAI[1] - 0.35, YANTAI[1] + 0.35, n)
        for i, (clat, clng, sigma, _) in enumerate(_CITY_CLUSTERS):
            sel = which == i
            lat[sel] = rng.normal(clat, sigma, sel.sum())
            lng[sel] = rng.normal(clng, sigma * 1.25, sel.sum())
        return lat, lng
    if kind == "nationwide":
        w = np.array([c[2] for c in _CITIES], dtype=float)
        which = rng.choice(len(_CITIES), size=n, p=w / w.sum())
        centre = np.array([(c[0], c[1]) for c in _CITIES])[which]
        spread = rng.uniform(0.05, 0.25, n)
        lat, lng = (
            centre[:, 0] + rng.normal(0, 1, n) * spread,
            centre[:, 1] + rng.normal(0, 1, n) * spread,
        )
        rural = rng.random(n) < 0.1
        lat[rural] = rng.uniform(22, 45, rural.sum())
        lng[rural] = rng.uniform(100, 122, rural.sum())
        return lat, lng
    if kind == "uniform":  # no clusters: a 67 x 62 km box, evenly
        lat = rng.uniform(YANTAI[0] - 0.3, YANTAI[0] + 0.3, n)
        lng = rng.uniform(YANTAI[1] - 0.35, YANTAI[1] + 0.35, n)
        return lat, lng
    raise ValueError(kind)


def skill_popularity() -> np.ndarray:
    """Zipf-like popularity of the skill taxonomy (a few skills are common)."""
    p = 1.0 / np.arange(1, N_SKILLS + 1) ** 0.8
    return p / p.sum()


def volunteers(n: int, kind: str, seed: int = 1) -> VolunteerTable:
    """A ``VolunteerTable`` of n volunteers with skills, weekly windows, blackouts, commitments,
    certificates and insurance."""
    rng = np.random.default_rng(seed)
    lat, lng = positions(n, kind, rng)
    pop = skill_popularity()
    n_sk = rng.integers(1, 4, n)
    sk_row = np.repeat(np.arange(n), n_sk)
    sk_id = rng.choice(N_SKILLS, size=len(sk_row), p=pop) + 1
    n_win = rng.integers(2, 6, n)
    w_row = np.repeat(np.arange(n), n_win)
    start_h = rng.integers(8, 18, len(w_row))
    w_start = start_h * 60
    w_end = np.minimum(start_h + rng.integers(2, 7, len(w_row)), 22) * 60
    w_day = rng.integers(0, 7, len(w_row))
    has_bo = rng.random(n) < 0.1
    bo_row = np.flatnonzero(has_bo)
    bo_day = (
        HORIZON_START.astimezone(UTC).date().toordinal()
        + 1
        + rng.integers(0, HORIZON_DAYS, len(bo_row))
    )
    has_c = rng.random(n) < 0.2
    c_row = np.flatnonzero(has_c)
    c_start = int(HORIZON_START.timestamp()) + rng.integers(0, HORIZON_DAYS * 24, len(c_row)) * 3600
    c_end = c_start + rng.integers(1, 4, len(c_row)) * 3600
    rated = rng.random(n) < 0.7
    return VolunteerTable.from_columns(
        ids=np.arange(1, n + 1),
        lat=lat,
        lng=lng,
        radius_km=rng.choice([3.0, 5.0, 8.0, 10.0, 15.0], n),
        skills=(sk_row, sk_id),
        windows=(w_row, w_day, w_start, w_end),
        blackouts=(bo_row, bo_day),
        commitments=(c_row, c_start, c_end, -np.arange(1, len(c_row) + 1)),
        active=rng.random(n) < 0.95,
        community_id=rng.integers(1, 201, n),
        street_id=rng.integers(1, 21, n),
        recent_hours=np.round(rng.gamma(1.2, 5.0, n), 1),
        activities_this_month=rng.integers(0, 7, n),
        completed=rng.integers(0, 31, n),
        no_shows=rng.choice([0, 0, 0, 0, 1, 2, 3], n),
        rating_avg=np.where(rated, np.round(rng.uniform(3.0, 5.0, n), 1), np.nan),
        rating_count=np.where(rated, rng.integers(1, 20, n), 0),
        **qualifications(n, seed),
    )


FIRST_AID = "red_cross_first_aider"  # 红十字救护员证
SAFETY = "safety_training"  # 安全培训


def qualifications(n: int, seed: int) -> dict:
    """``from_columns`` keywords for certificates and insurance, from their own random stream
    (so the rest of the data stays what earlier runs measured): 30 % hold a first-aid
    certificate (a tenth of them an older one too), 10 % a safety training, expiring from two
    months before the horizon to four after; 70 % are insured from last year to between three
    weeks before and two months after the horizon, a tenth of them again after a gap."""
    rng = np.random.default_rng(seed + 1_000)
    day0 = HORIZON_START.date().toordinal()
    aid = np.flatnonzero(rng.random(n) < 0.3)
    older = aid[rng.random(len(aid)) < 0.1]
    safety = np.flatnonzero(rng.random(n) < 0.1)
    c_row = np.concatenate([aid, older, safety])
    c_kind = np.array([FIRST_AID] * (len(aid) + len(older)) + [SAFETY] * len(safety))
    c_until = day0 + rng.integers(-60, 120, len(c_row))
    c_until[len(aid) : len(aid) + len(older)] -= 365
    ins = np.flatnonzero(rng.random(n) < 0.7)
    end = day0 + rng.integers(-20, 60, len(ins))
    again = rng.random(len(ins)) < 0.1
    i_row = np.concatenate([ins, ins[again]])
    i_start = np.concatenate([end - 365, end[again] + rng.integers(2, 20, int(again.sum()))])
    i_end = np.concatenate([end, i_start[len(ins) :] + 180])
    return {"credentials": (c_row, c_kind, c_until), "insurance": (i_row, i_start, i_end)}


def orders(
    m: int,
    kind: str,
    seed: int = 2,
    first_id: int = 1,
    *,
    days: int = HORIZON_DAYS,
    multi_share: float = 0.15,
    max_skills: int = 2,
    cover_share: float = 0.0,
) -> list[OrderRequest]:
    """Orders over ``days`` days (four weeks), 09:00-19:30 starts on a 30-minute grid, 1-3
    hours, 1-5 slots; ``multi_share`` of them need 2..``max_skills`` skills, and
    ``cover_share`` of those require them covered (``cover_all_skills``)."""
    rng = np.random.default_rng(seed)
    lat, lng = positions(m, kind, rng)
    pop = skill_popularity()
    out = []
    for i in range(m):
        day = int(rng.integers(0, days))
        start = HORIZON_START + timedelta(days=day, minutes=int(rng.integers(18, 40)) * 30)
        multi = rng.random() < multi_share
        # Extra draws only when asked for: the default stream is the one the README measured.
        n_skills = (int(rng.integers(2, max_skills + 1)) if max_skills > 2 else 2) if multi else 1
        cover = multi and cover_share > 0 and rng.random() < cover_share
        skills = frozenset(
            int(s) + 1 for s in rng.choice(N_SKILLS, size=n_skills, replace=False, p=pop)
        )
        out.append(
            OrderRequest(
                id=first_id + i,
                lat=float(lat[i]),
                lng=float(lng[i]),
                start=start,
                end=start + timedelta(hours=int(rng.integers(1, 4))),
                required_skills=skills,
                slots=int(rng.choice([1, 1, 2, 2, 3, 4, 5])),
                max_distance_km=float(rng.choice([5.0, 8.0, 10.0, 15.0])),
                community_id=int(rng.integers(1, 201)),
                street_id=int(rng.integers(1, 21)),
                cover_all_skills=bool(cover),
            )
        )
    return out
