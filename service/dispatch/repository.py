"""Queries for dispatch: active volunteers near an order, their profiles, skill and area names."""

from __future__ import annotations

import asyncio
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from matching.time_windows import epoch_seconds
from service.models import (
    Area,
    AvailabilityWindow,
    BlackoutDate,
    Offer,
    Order,
    ServiceRecord,
    Skill,
    User,
    Volunteer,
    VolunteerChange,
    VolunteerSkill,
)
from service.vocab import OfferStatus, VolunteerStatus

HOLDING = (OfferStatus.accepted.value, OfferStatus.checked_in.value)


async def street_of(*, session: AsyncSession, community_id: int | None) -> int | None:
    """The street a community belongs to (no query without a community)."""
    if community_id is None:
        return None
    return await session.scalar(sa.select(Area.parent_id).where(Area.id == community_id))


def _active_with_street() -> sa.Select:
    return (
        sa.select(Volunteer, Area.parent_id)
        .join(Area, Area.id == Volunteer.home_area_id)
        .where(Volunteer.status == VolunteerStatus.active.value)
    )


async def active_volunteers_by_id(
    *, session: AsyncSession, volunteer_ids: list[int]
) -> list[tuple[Volunteer, int | None]]:
    """(volunteer, street id of their home) for those of ``volunteer_ids`` who are active."""
    statement = _active_with_street().where(Volunteer.id.in_(volunteer_ids))
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def active_volunteers_in_box(
    *,
    session: AsyncSession,
    lat_range: tuple[float, float],
    lng_range: tuple[float, float],
    skill_ids: Collection[int],
) -> list[tuple[Volunteer, int | None]]:
    """(volunteer, street id) of active volunteers living in a box who have one of the skills."""
    statement = _active_with_street().where(
        Volunteer.home_lat.between(*lat_range),
        Volunteer.home_lng.between(*lng_range),
        Volunteer.id.in_(
            sa.select(VolunteerSkill.volunteer_id).where(VolunteerSkill.skill_id.in_(skill_ids))
        ),
    )
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def skill_pairs(*, session: AsyncSession, volunteer_ids: list[int]) -> list[tuple[int, int]]:
    """(volunteer id, skill id) for each skill of the volunteers."""
    rows = await session.execute(
        sa.select(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id).where(
            VolunteerSkill.volunteer_id.in_(volunteer_ids)
        )
    )
    return [tuple(row) for row in rows]


async def availability_windows(
    *, session: AsyncSession, volunteer_ids: list[int]
) -> list[AvailabilityWindow]:
    rows = await session.scalars(
        sa.select(AvailabilityWindow).where(AvailabilityWindow.volunteer_id.in_(volunteer_ids))
    )
    return list(rows)


async def blackout_days(
    *, session: AsyncSession, volunteer_ids: list[int]
) -> list[tuple[int, date]]:
    """(volunteer id, day) for each blackout date of the volunteers."""
    rows = await session.execute(
        sa.select(BlackoutDate.volunteer_id, BlackoutDate.day).where(
            BlackoutDate.volunteer_id.in_(volunteer_ids)
        )
    )
    return [tuple(row) for row in rows]


async def commitments(
    *, session: AsyncSession, volunteer_ids: list[int], now: datetime
) -> list[tuple[int, int, datetime, datetime]]:
    """(volunteer id, order id, start, end) of orders the volunteers hold that have not ended."""
    rows = await session.execute(
        sa.select(Offer.volunteer_id, Order.id, Order.starts_at, Order.ends_at)
        .join(Order, Order.id == Offer.order_id)
        .where(
            Offer.volunteer_id.in_(volunteer_ids), Offer.status.in_(HOLDING), Order.ends_at > now
        )
    )
    return [tuple(row) for row in rows]


async def service_totals_since(
    *, session: AsyncSession, volunteer_ids: list[int], since: datetime
) -> list[tuple[int, float | None, int]]:
    """(volunteer id, hours, activities) served since ``since``, for volunteers with any."""
    rows = await session.execute(
        sa.select(ServiceRecord.volunteer_id, sa.func.sum(ServiceRecord.hours), sa.func.count())
        .where(ServiceRecord.volunteer_id.in_(volunteer_ids), ServiceRecord.started_at >= since)
        .group_by(ServiceRecord.volunteer_id)
    )
    return [tuple(row) for row in rows]


async def skill_names(*, session: AsyncSession, skill_ids: Collection[int]) -> dict[int, str]:
    rows = await session.execute(sa.select(Skill.id, Skill.name).where(Skill.id.in_(skill_ids)))
    return dict(rows.all())


async def names_and_phones(
    *, session: AsyncSession, volunteer_ids: list[int]
) -> dict[int, tuple[str, str]]:
    """Volunteer id → (name, phone) of their user account."""
    rows = await session.execute(
        sa.select(Volunteer.id, User.name, User.phone)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(volunteer_ids))
    )
    return {vid: (name, phone) for vid, name, phone in rows}


# ----------------------------------------------------------------- the candidate index's reads

_ACTIVE = Volunteer.status == VolunteerStatus.active.value
RECENT_DAYS = 30  # the fairness part counts the hours of the last 30 days


async def volunteer_id_range(*, session: AsyncSession) -> tuple[int | None, int | None]:
    """The lowest and highest volunteer id (None, None when there are none)."""
    low, high = (
        await session.execute(sa.select(sa.func.min(Volunteer.id), sa.func.max(Volunteer.id)))
    ).one()
    return low, high


@dataclass(frozen=True)
class IndexColumns:
    """The candidate index's raw columns for a range of volunteer ids (``index_columns``)."""

    ids: np.ndarray  # active volunteers, ascending
    lat: np.ndarray
    lng: np.ndarray
    radius_km: np.ndarray
    community_id: np.ndarray
    street_id: np.ndarray  # -1: none
    completed: np.ndarray
    no_shows: np.ndarray
    rating_avg: np.ndarray  # NaN: unrated
    rating_count: np.ndarray
    skills: tuple[np.ndarray, np.ndarray]  # (volunteer id, skill id)
    windows: tuple[np.ndarray, ...]  # (volunteer id, weekday, start minute, end minute)
    blackouts: tuple[np.ndarray, np.ndarray]  # (volunteer id, date ordinal)
    commitments: tuple[np.ndarray, ...]  # (volunteer id, start, end epoch seconds, order id)
    recent: tuple[np.ndarray, ...]  # (volunteer id, hours, activities) of the last 30 days


# The same reads in SQL for PostgreSQL's binary COPY: every column cast to a fixed-width type
# and never NULL, so each row is one fixed-size record numpy reads in place. No joins: plain
# scans stream fastest; lists of volunteers who are not active are dropped in numpy, and the
# street of each home community comes from the (small) area table.
_PG_READS = {
    "profiles": (
        "idddiiiidi",
        "SELECT id::int4, home_lat::float8, home_lng::float8, radius_km::float8, "
        "home_area_id::int4, -1::int4, completed_count::int4, no_show_count::int4, "
        "COALESCE(rating_avg, 'NaN')::float8, rating_count::int4 FROM volunteers "
        "WHERE status = 'active' AND id BETWEEN {low} AND {high} ORDER BY id",
    ),
    "streets": ("ii", "SELECT id::int4, COALESCE(parent_id, -1)::int4 FROM areas"),
    "skills": (
        "ii",
        "SELECT volunteer_id::int4, skill_id::int4 FROM volunteer_skills "
        "WHERE volunteer_id BETWEEN {low} AND {high}",
    ),
    "windows": (
        "iiii",
        "SELECT volunteer_id::int4, weekday::int4, start_minute::int4, end_minute::int4 "
        "FROM availability_windows WHERE volunteer_id BETWEEN {low} AND {high}",
    ),
    "blackouts": (
        "ii",
        "SELECT volunteer_id::int4, (day - DATE '0001-01-01' + 1)::int4 FROM blackout_dates "
        "WHERE volunteer_id BETWEEN {low} AND {high} AND day >= '{since_day}'",
    ),
    "commitments": (
        "iqqi",
        "SELECT f.volunteer_id::int4, floor(extract(epoch FROM o.starts_at))::int8, "
        "floor(extract(epoch FROM o.ends_at))::int8, o.id::int4 "
        "FROM offers f JOIN orders o ON o.id = f.order_id "
        "WHERE f.volunteer_id BETWEEN {low} AND {high} "
        "AND f.status IN ('accepted', 'checked_in') AND o.ends_at > '{now}'",
    ),
    "recent": (
        "idi",
        "SELECT volunteer_id::int4, sum(hours)::float8, count(*)::int4 FROM service_records "
        "WHERE volunteer_id BETWEEN {low} AND {high} AND started_at >= '{since}' "
        "GROUP BY volunteer_id",
    ),
}
_PG_TYPES = {"i": ">i4", "q": ">i8", "d": ">f8"}
_COPY_HEADER = 19  # signature (11 bytes), flags (4), header extension length (4)


def _parse_copy(data: bytes, kinds: str) -> list[np.ndarray]:
    """The columns of a binary COPY of fixed-width, non-NULL columns."""
    fields = [("count", ">i2")]
    for i, kind in enumerate(kinds):
        fields += [(f"length{i}", ">i4"), (f"value{i}", _PG_TYPES[kind])]
    extension = int.from_bytes(data[15:19], "big")
    body = memoryview(data)[_COPY_HEADER + extension : len(data) - 2]  # the trailer is -1 (int16)
    records = np.frombuffer(body, dtype=np.dtype(fields))
    return [records[f"value{i}"].astype(_PG_TYPES[kind][1:]) for i, kind in enumerate(kinds)]


async def _copy_columns(session: AsyncSession, now: datetime, bounds: tuple[int, int]):
    """Every read at once, each on its own connection (the server's work is the larger part,
    so the database's cores share it). Each connection sees its own snapshot: the index's
    caller replays every change logged after the version it read before these reads."""
    values = {
        "low": int(bounds[0]),
        "high": int(bounds[1]),
        "now": now.isoformat(),
        "since": (now - timedelta(days=RECENT_DAYS)).isoformat(),
        "since_day": (now - timedelta(days=1)).date().isoformat(),
    }

    async def read(kinds: str, sql: str) -> list[np.ndarray]:
        parts: list[bytes] = []

        async def keep(part: bytes) -> None:
            # A coroutine, not a file: asyncpg hands a file's writes to a thread, one per chunk.
            parts.append(bytes(part))

        async with session.bind.connect() as connection:
            driver = (await connection.get_raw_connection()).driver_connection
            await driver.copy_from_query(sql.format(**values), output=keep, format="binary")
        # Off the event loop: joining and parsing ~100 MB must not stall other requests.
        return await asyncio.to_thread(lambda: _parse_copy(b"".join(parts), kinds))

    names = list(_PG_READS)
    found = await asyncio.gather(*(read(*_PG_READS[name]) for name in names))
    return dict(zip(names, found, strict=True))


async def _rows(session: AsyncSession, statement) -> list[tuple]:
    return [tuple(row) for row in (await session.execute(statement)).all()]


def _array(rows: list[tuple], width: int, dtype) -> list[np.ndarray]:
    if not rows:
        return [np.zeros(0, dtype=dtype) for _ in range(width)]
    array = np.array(rows, dtype=dtype)
    return [array[:, i] for i in range(width)]


async def _select_columns(session: AsyncSession, now: datetime, bounds: tuple[int, int]):
    """The same reads through SQLAlchemy (SQLite: a district's volunteers, not a nation's)."""

    def in_bounds(column):
        return column.between(*bounds)

    def of_active(column):
        active = sa.select(Volunteer.id).where(_ACTIVE, in_bounds(Volunteer.id))
        return sa.and_(in_bounds(column), column.in_(active))

    profiles = await _rows(
        session,
        sa.select(
            Volunteer.id,
            Volunteer.home_lat,
            Volunteer.home_lng,
            Volunteer.radius_km,
            Volunteer.home_area_id,
            sa.func.coalesce(Area.parent_id, -1),
            Volunteer.completed_count,
            Volunteer.no_show_count,
            Volunteer.rating_avg,
            Volunteer.rating_count,
        )
        .join(Area, Area.id == Volunteer.home_area_id)
        .where(_ACTIVE, in_bounds(Volunteer.id))
        .order_by(Volunteer.id),
    )
    ints = _array([(r[0], r[4], r[5], r[6], r[7], r[9]) for r in profiles], 6, np.int64)
    floats = _array(
        [(r[1], r[2], r[3], np.nan if r[8] is None else r[8]) for r in profiles], 4, np.float64
    )
    skills = await _rows(
        session,
        sa.select(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id).where(
            of_active(VolunteerSkill.volunteer_id)
        ),
    )
    windows = await _rows(
        session,
        sa.select(
            AvailabilityWindow.volunteer_id,
            AvailabilityWindow.weekday,
            AvailabilityWindow.start_minute,
            AvailabilityWindow.end_minute,
        ).where(of_active(AvailabilityWindow.volunteer_id)),
    )
    # Past blackout days can never touch an order that has not started.
    blackouts = await _rows(
        session,
        sa.select(BlackoutDate.volunteer_id, BlackoutDate.day).where(
            of_active(BlackoutDate.volunteer_id),
            BlackoutDate.day >= (now - timedelta(days=1)).date(),
        ),
    )
    held = await _rows(
        session,
        sa.select(Offer.volunteer_id, Order.starts_at, Order.ends_at, Order.id)
        .join(Order, Order.id == Offer.order_id)
        .where(in_bounds(Offer.volunteer_id), Offer.status.in_(HOLDING), Order.ends_at > now),
    )
    recent = await _rows(
        session,
        sa.select(ServiceRecord.volunteer_id, sa.func.sum(ServiceRecord.hours), sa.func.count())
        .where(
            in_bounds(ServiceRecord.volunteer_id),
            ServiceRecord.started_at >= now - timedelta(days=RECENT_DAYS),
        )
        .group_by(ServiceRecord.volunteer_id),
    )
    return {
        "profiles": [ints[0], *floats[:3], *ints[1:5], floats[3], ints[5]],
        "skills": _array(skills, 2, np.int64),
        "windows": _array(windows, 4, np.int64),
        "blackouts": _array([(v, d.toordinal()) for v, d in blackouts], 2, np.int64),
        "commitments": _array(
            [(v, epoch_seconds(s), epoch_seconds(e), o) for v, s, e, o in held], 4, np.int64
        ),
        "recent": _array([(v, float(h or 0), c) for v, h, c in recent], 3, np.float64),
    }


def _is_in(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Which of ``values`` are among the sorted ``ids``."""
    position = np.minimum(np.searchsorted(ids, values), len(ids) - 1)
    return ids[position] == values


async def index_columns(
    *, session: AsyncSession, now: datetime, bounds: tuple[int, int]
) -> IndexColumns | None:
    """The active volunteers whose ids lie in ``bounds`` (inclusive): profiles in id order,
    skills, weekly windows, blackout days from yesterday on, held orders that have not ended,
    and (hours, activities) of the last ``RECENT_DAYS``; None when there are none.

    PostgreSQL reads by binary COPY (a million volunteers in seconds, no Python object per
    row); SQLite through SQLAlchemy."""
    if session.bind.dialect.name == "postgresql":
        c = await _copy_columns(session, now, bounds)
        area, parent = c.pop("streets")
        home = c["profiles"][4]
        c["profiles"][5] = parent[np.searchsorted(area, home)] if len(home) else home
    else:
        c = await _select_columns(session, now, bounds)
    if not len(c["profiles"][0]):
        return None
    return await asyncio.to_thread(_assemble, c)


def _assemble(c: dict) -> IndexColumns:
    ids, lat, lng, radius, community, street, completed, no_shows, rating, rating_n = c["profiles"]
    for name in ("skills", "windows", "blackouts"):  # of active volunteers only
        c[name] = [column[_is_in(ids, c[name][0])] for column in c[name]]
    rec_vid, rec_hours, rec_count = c["recent"]
    return IndexColumns(
        ids=ids.astype(np.int64),
        lat=lat,
        lng=lng,
        radius_km=radius,
        community_id=community.astype(np.int64),
        street_id=street.astype(np.int64),
        completed=completed.astype(np.int64),
        no_shows=no_shows.astype(np.int64),
        rating_avg=rating.astype(np.float64),
        rating_count=rating_n.astype(np.int64),
        skills=tuple(a.astype(np.int64) for a in c["skills"]),
        windows=tuple(a.astype(np.int64) for a in c["windows"]),
        blackouts=tuple(a.astype(np.int64) for a in c["blackouts"]),
        commitments=tuple(a.astype(np.int64) for a in c["commitments"]),
        recent=(rec_vid.astype(np.int64), rec_hours.astype(np.float64), rec_count.astype(np.int64)),
    )


# ----------------------------------------------------------------- the change log


async def change_log_bounds(*, session: AsyncSession) -> tuple[int | None, int | None]:
    """The lowest and highest id in the change log."""
    low, high = (
        await session.execute(
            sa.select(sa.func.min(VolunteerChange.id), sa.func.max(VolunteerChange.id))
        )
    ).one()
    return low, high


async def change_ids_above(*, session: AsyncSession, above: int) -> set[int]:
    return set(
        await session.scalars(sa.select(VolunteerChange.id).where(VolunteerChange.id > above))
    )


async def changes_since(
    *, session: AsyncSession, version: int, gaps: Collection[int]
) -> list[tuple[int, int]]:
    """(change id, volunteer id) after ``version``, and those of the ``gaps`` now visible."""
    condition = VolunteerChange.id > version
    if gaps:
        condition = sa.or_(condition, VolunteerChange.id.in_(list(gaps)))
    rows = await session.execute(
        sa.select(VolunteerChange.id, VolunteerChange.volunteer_id).where(condition)
    )
    return [tuple(row) for row in rows]


async def delete_changes_up_to(*, session: AsyncSession, last: int) -> int:
    result = await session.execute(sa.delete(VolunteerChange).where(VolunteerChange.id <= last))
    return result.rowcount or 0
