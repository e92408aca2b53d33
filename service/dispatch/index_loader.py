"""The columnar read behind the candidate index: active volunteers as numpy columns, no ORM objects.

One query per list (profiles, skills, weekly windows, blackout days, commitments, recent service),
each read in chunks of volunteer ids so a million volunteers never become a million Python objects
at once and the event loop gets turns between chunks (``/healthz`` answers while the index builds).
The rules match ``candidates.volunteer_snapshots``, the exact per-volunteer path: a property test
compares the two (``tests/service/dispatch/test_live_index.py``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from matching.table import VolunteerTable
from matching.time_windows import epoch_seconds
from service.dispatch import repository as repo

CHUNK = 100_000  # volunteers per read


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
    low, high = await repo.volunteer_id_range(session=session)
    tables = []
    if low is not None:
        for start in range(low, high + 1, CHUNK):
            chunk = await repo.index_rows(
                session=session, now=now, bounds=(start, min(start + CHUNK - 1, high))
            )
            if chunk is not None:
                tables.append(await asyncio.to_thread(_table, chunk))
    return VolunteerTable.concat(tables) if tables else VolunteerTable.from_snapshots([])
