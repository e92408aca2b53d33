"""Vectorized (numpy) generation of large synthetic tables, column by column."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from service.demo.activities_data import ACTIVITIES
from service.demo.people_data import GIVEN_CHARS, SURNAMES
from service.demo.timing import ACTIVITY_SLOTS, at_local, local_date
from service.vocab import DispatchMode, OrderStatus, UserStatus, VolunteerStatus

CITY_SHARE = 0.8  # the rest are spread over eastern China (remote volunteers, other cities)
CITY_SPREAD_DEG = 0.012
NATION_LAT, NATION_LNG = (22.0, 42.0), (103.0, 122.0)
RADII = np.array([3.0, 5.0, 8.0, 10.0, 15.0, 20.0])
# 7 weekdays × (morning, afternoon, evening) windows in minutes of the day.
PERIODS = np.array([[480, 720], [840, 1080], [1110, 1290]])
COPRIME_STEPS = np.array([1, 2, 4, 5, 8, 10])  # with 21: k distinct windows per volunteer


@dataclass
class Columns:
    """One table's rows as parallel column lists (plain Python values, ready for a driver)."""

    table: str
    names: list[str]
    values: list[list]

    def __len__(self) -> int:
        return len(self.values[0]) if self.values else 0


@dataclass(frozen=True)
class Taxonomy:
    """What synthetic rows may point at: the demo's communities and skills."""

    district_id: int
    community_ids: np.ndarray
    community_lat: np.ndarray
    community_lng: np.ndarray
    domain_skill_ids: list[np.ndarray]  # leaf skill ids per domain
    skill_id_by_code: dict[str, int]


def users(rng: np.random.Generator, first_id: int, count: int, now: datetime) -> Columns:
    ids = np.arange(first_id, first_id + count)
    surnames = np.array([name for name, _ in SURNAMES], dtype=object)
    weights = np.array([w for _, w in SURNAMES], dtype=float)
    family = surnames[rng.choice(len(surnames), size=count, p=weights / weights.sum())]
    given = np.array(GIVEN_CHARS, dtype=object)[rng.integers(0, len(GIVEN_CHARS), size=count)]
    names = (family + given).tolist()
    # Phones from the id keep them unique across repeated runs; 17x is unused by the demo.
    phones = [f"17{i:09d}" for i in ids.tolist()]
    return Columns(
        "users",
        ["id", "phone", "name", "status", "created_at"],
        [ids.tolist(), phones, names, [UserStatus.active.value] * count, [now] * count],
    )


def volunteers(
    rng: np.random.Generator, first_id: int, user_ids: list[int], taxonomy: Taxonomy, now: datetime
) -> Columns:
    count = len(user_ids)
    ids = np.arange(first_id, first_id + count)
    in_city = rng.random(count) < CITY_SHARE
    pick = rng.integers(0, len(taxonomy.community_ids), size=count)
    lat = np.where(
        in_city,
        taxonomy.community_lat[pick] + rng.normal(0, CITY_SPREAD_DEG, count),
        rng.uniform(*NATION_LAT, count),
    )
    lng = np.where(
        in_city,
        taxonomy.community_lng[pick] + rng.normal(0, CITY_SPREAD_DEG * 1.25, count),
        rng.uniform(*NATION_LNG, count),
    )
    area = np.where(in_city, taxonomy.community_ids[pick], taxonomy.district_id)
    status = np.array(
        [VolunteerStatus.active.value, VolunteerStatus.paused.value, VolunteerStatus.pending.value],
        dtype=object,
    )[rng.choice(3, size=count, p=[0.93, 0.04, 0.03])]
    # Counters are drawn, not derived: synthetic sets carry no offer history.
    completed = rng.poisson(3, count)
    no_show = rng.binomial(completed + 1, 0.05)
    rated = rng.binomial(completed, 0.6)
    rating = np.round(rng.uniform(3.5, 5.0, count), 2)
    return Columns(
        "volunteers",
        [
            "id",
            "user_id",
            "home_area_id",
            "home_lat",
            "home_lng",
            "radius_km",
            "status",
            "bio",
            "completed_count",
            "no_show_count",
            "rating_avg",
            "rating_count",
            "created_at",
        ],
        [
            ids.tolist(),
            list(user_ids),
            area.tolist(),
            np.round(lat, 6).tolist(),
            np.round(lng, 6).tolist(),
            RADII[rng.integers(0, len(RADII), count)].tolist(),
            status.tolist(),
            [""] * count,
            completed.tolist(),
            no_show.tolist(),
            [r if n else None for r, n in zip(rating.tolist(), rated.tolist(), strict=True)],
            rated.tolist(),
            [now] * count,
        ],
    )


def volunteer_skills(
    rng: np.random.Generator, volunteer_ids: np.ndarray, taxonomy: Taxonomy
) -> Columns:
    """1–4 skills each, mostly from one domain (a persona), deduplicated."""
    count = len(volunteer_ids)
    per = rng.choice([1, 2, 3, 4], size=count, p=[0.3, 0.35, 0.2, 0.15])
    owners = np.repeat(volunteer_ids, per)
    domains = np.repeat(rng.integers(0, len(taxonomy.domain_skill_ids), count), per)
    lengths = np.array([len(d) for d in taxonomy.domain_skill_ids])
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]])
    flat = np.concatenate(taxonomy.domain_skill_ids)
    skills = flat[offsets[domains] + (rng.random(len(owners)) * lengths[domains]).astype(int)]
    pairs = np.unique(owners.astype(np.int64) * 1_000_000 + skills)
    return Columns(
        "volunteer_skills",
        ["volunteer_id", "skill_id"],
        [(pairs // 1_000_000).tolist(), (pairs % 1_000_000).tolist()],
    )


def availability(rng: np.random.Generator, volunteer_ids: np.ndarray) -> Columns:
    """2–4 distinct weekly windows each (a coprime stride over the 21 day × period cells)."""
    count = len(volunteer_ids)
    per = rng.integers(2, 5, count)
    owners = np.repeat(volunteer_ids, per)
    start = np.repeat(rng.integers(0, 21, count), per)
    step = np.repeat(COPRIME_STEPS[rng.integers(0, len(COPRIME_STEPS), count)], per)
    position = np.arange(len(owners)) - np.repeat(np.cumsum(per) - per, per)
    cell = (start + position * step) % 21
    period = PERIODS[cell % 3]
    return Columns(
        "availability_windows",
        ["volunteer_id", "weekday", "start_minute", "end_minute"],
        [owners.tolist(), (cell // 3).tolist(), period[:, 0].tolist(), period[:, 1].tolist()],
    )


def orders(
    rng: np.random.Generator, first_id: int, count: int, taxonomy: Taxonomy, now: datetime
) -> tuple[Columns, Columns]:
    """Open orders over the next 30 days (published, some drafts) and their required skills."""
    ids = np.arange(first_id, first_id + count)
    template = rng.integers(0, len(ACTIVITIES), count)
    pick = rng.integers(0, len(taxonomy.community_ids), count)
    today = local_date(now)
    starts_table = [
        [at_local(today + timedelta(days=day), start) for start, _end in ACTIVITY_SLOTS]
        for day in range(1, 31)
    ]
    minutes = [
        (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        for start, end in ACTIVITY_SLOTS
    ]
    day, slot = (
        rng.integers(0, 30, count).tolist(),
        rng.integers(0, len(ACTIVITY_SLOTS), count).tolist(),
    )
    starts = [starts_table[d][s] for d, s in zip(day, slot, strict=True)]
    ends = [start + timedelta(minutes=minutes[s]) for start, s in zip(starts, slot, strict=True)]
    published = rng.random(count) < 0.9
    titles = [ACTIVITIES[t].title for t in template.tolist()]
    status = np.where(published, OrderStatus.published.value, OrderStatus.draft.value).tolist()
    order_columns = Columns(
        "orders",
        [
            "id",
            "title",
            "description",
            "community_id",
            "target_group",
            "venue_name",
            "venue_address",
            "venue_lat",
            "venue_lng",
            "starts_at",
            "ends_at",
            "accept_deadline",
            "expected_attendance",
            "slots",
            "accepted_count",
            "max_distance_km",
            "dispatch_mode",
            "status",
            "created_at",
            "updated_at",
            "published_at",
        ],
        [
            ids.tolist(),
            titles,
            [""] * count,
            taxonomy.community_ids[pick].tolist(),
            [ACTIVITIES[t].target_group for t in template.tolist()],
            ["社区党群服务中心"] * count,
            [""] * count,
            np.round(taxonomy.community_lat[pick] + rng.normal(0, 0.003, count), 6).tolist(),
            np.round(taxonomy.community_lng[pick] + rng.normal(0, 0.004, count), 6).tolist(),
            starts,
            ends,
            [start - timedelta(days=1) for start in starts],
            (rng.integers(2, 20, count) * 5).tolist(),
            rng.integers(1, 7, count).tolist(),
            [0] * count,
            np.array([5.0, 8.0, 10.0, 15.0])[rng.integers(0, 4, count)].tolist(),
            np.where(
                rng.random(count) < 0.7, DispatchMode.targeted.value, DispatchMode.open.value
            ).tolist(),
            status,
            [now] * count,
            [now] * count,
            [now if p else None for p in published.tolist()],
        ],
    )
    owners, skills = [], []
    for order_id, t in zip(ids.tolist(), template.tolist(), strict=True):
        for code in ACTIVITIES[t].skills:
            owners.append(order_id)
            skills.append(taxonomy.skill_id_by_code[code])
    return order_columns, Columns("order_skills", ["order_id", "skill_id"], [owners, skills])
