"""The columnar read behind the candidate index: active volunteers as numpy columns, no ORM objects.

One query per list (profiles, skills, weekly windows, blackout days, commitments, recent service),
each read in chunks of volunteer ids so a million volunteers never become a million Python objects
at once and the event loop gets turns between chunks (``/healthz`` answers while the index builds).
The rules match ``candidates.volunteer_snapshots``, the exact per-volunteer path: a property test
compares the two (``tests/service/dispatch/test_live_index.py``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from matching.table import VolunteerTable
from matching.time_windows import epoch_seconds
from service.dispatch.repository import HOLDING
from service.models import (
    Area,
    AvailabilityWindow,
    BlackoutDate,
    Offer,
    Order,
    ServiceRecord,
    Volunteer,
    VolunteerSkill,
)
from service.vocab import VolunteerStatus

CHUNK = 100_000  # volunteers per read
RECENT_DAYS = 30  # the fairness part counts the hours of the last 30 days
_ACTIVE = Volunteer.status == VolunteerStatus.active.value


def _in_chunk(column, bounds: tuple[int, int]):
    return column.between(*bounds)


async def _rows(session: AsyncSession, statement) -> list[tuple]:
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def _chunk(session: AsyncSession, now: datetime, bounds: tuple[int, int]):
    """The raw rows of the volunteers whose ids lie in ``bounds`` (inclusive)."""
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
        .where(_ACTIVE, _in_chunk(Volunteer.id, bounds))
        .order_by(Volunteer.id),
    )
    if not profiles:
        return None

    def of_active(model_id):
        return sa.and_(
            _in_chunk(model_id, bounds),
            model_id.in_(sa.select(Volunteer.id).where(_ACTIVE, _in_chunk(Volunteer.id, bounds))),
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
    yesterday = (now - timedelta(days=1)).date()
    blackouts = await _rows(
        session,
        sa.select(BlackoutDate.volunteer_id, BlackoutDate.day).where(
            of_active(BlackoutDate.volunteer_id), BlackoutDate.day >= yesterday
        ),
    )
    commitments = await _rows(
        session,
        sa.select(Offer.volunteer_id, Order.starts_at, Order.ends_at, Order.id)
        .join(Order, Order.id == Offer.order_id)
        .where(
            _in_chunk(Offer.volunteer_id, bounds),
            Offer.status.in_(HOLDING),
            Order.ends_at > now,
        ),
    )
    since = now - timedelta(days=RECENT_DAYS)
    recent = await _rows(
        session,
        sa.select(ServiceRecord.volunteer_id, sa.func.sum(ServiceRecord.hours), sa.func.count())
        .where(_in_chunk(ServiceRecord.volunteer_id, bounds), ServiceRecord.started_at >= since)
        .group_by(ServiceRecord.volunteer_id),
    )
    return profiles, skills, windows, blackouts, commitments, recent


def _columns(rows: list[tuple], width: int, dtype) -> list[np.ndarray]:
    if not rows:
        return [np.zeros(0, dtype=dtype) for _ in range(width)]
    array = np.array(rows, dtype=dtype)
    return [array[:, i] for i in range(width)]


def _rows_of(ids: np.ndarray, volunteer_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``volunteer_ids`` in the sorted ``ids``, and which of them are there at all."""
    position = np.searchsorted(ids, volunteer_ids)
    clipped = np.minimum(position, max(len(ids) - 1, 0))
    found = (position < len(ids)) & (ids[clipped] == volunteer_ids) if len(ids) else position < 0
    return position, found


def _table(chunk) -> VolunteerTable:
    """A ``VolunteerTable`` from one chunk's rows (rows in ascending id order)."""
    profiles, skills, windows, blackouts, commitments, recent = chunk
    ids, community, street, completed, no_shows, rating_n = _columns(
        [(r[0], r[4], r[5], r[6], r[7], r[9]) for r in profiles], 6, np.int64
    )
    lat, lng, radius, rating = _columns(
        [(r[1], r[2], r[3], np.nan if r[8] is None else r[8]) for r in profiles], 4, np.float64
    )
    skill_vid, skill_id = _columns(skills, 2, np.int64)
    win_vid, weekday, start, end = _columns(windows, 4, np.int64)
    black_vid = np.array([v for v, _ in blackouts], dtype=np.int64)
    black_day = np.array([d.toordinal() for _, d in blackouts], dtype=np.int64)
    # Commitments and service of volunteers who are not active are read but not indexed.
    held_vid = np.array([c[0] for c in commitments], dtype=np.int64)
    held_row, held = _rows_of(ids, held_vid)
    held_rows = [c for c, keep in zip(commitments, held, strict=True) if keep]
    hours = np.zeros(len(ids))
    months = np.zeros(len(ids), dtype=np.int64)
    if recent:
        rec_row, found = _rows_of(ids, np.array([r[0] for r in recent], dtype=np.int64))
        hours[rec_row[found]] = np.array([float(r[1] or 0) for r in recent])[found]
        months[rec_row[found]] = np.array([int(r[2]) for r in recent])[found]
    return VolunteerTable.from_columns(
        ids=ids,
        lat=lat,
        lng=lng,
        radius_km=radius,
        skills=(np.searchsorted(ids, skill_vid), skill_id),
        windows=(np.searchsorted(ids, win_vid), weekday, start, end),
        community_id=community,
        street_id=street,
        recent_hours=hours,
        activities_this_month=months,
        completed=completed,
        no_shows=no_shows,
        rating_avg=rating,
        rating_count=rating_n,
        blackouts=(np.searchsorted(ids, black_vid), black_day),
        commitments=(
            held_row[held],
            np.array([epoch_seconds(c[1]) for c in held_rows], dtype=np.int64),
            np.array([epoch_seconds(c[2]) for c in held_rows], dtype=np.int64),
            np.array([c[3] for c in held_rows], dtype=np.int64),
        ),
    )


async def load_table(session: AsyncSession, *, now: datetime) -> VolunteerTable:
    """Every active volunteer, as columns (chunks of ``CHUNK`` ids)."""
    low, high = (
        await session.execute(sa.select(sa.func.min(Volunteer.id), sa.func.max(Volunteer.id)))
    ).one()
    tables = []
    if low is not None:
        for start in range(low, high + 1, CHUNK):
            chunk = await _chunk(session, now, (start, min(start + CHUNK - 1, high)))
            if chunk is not None:
                tables.append(await asyncio.to_thread(_table, chunk))
    return VolunteerTable.concat(tables) if tables else VolunteerTable.from_snapshots([])
