"""The columnar read behind the candidate index: active volunteers as numpy columns, no ORM objects.

One read per list (profiles, skills, weekly windows, blackout days, commitments, recent service;
binary COPY on PostgreSQL, ``repository.index_columns``), in chunks of volunteer ids so the event
loop gets turns while they stream (``/healthz`` answers while the index builds). The rules match
``snapshots``, the exact per-volunteer path: a property test compares the two
(``tests/service/dispatch/test_live_index.py``).
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from matching.table import VolunteerTable
from service.dispatch import repository as repo

CHUNK = 100_000  # volunteers per read


def _rows_of(ids: np.ndarray, volunteer_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``volunteer_ids`` in the sorted ``ids``, and which of them are there at all."""
    position = np.searchsorted(ids, volunteer_ids)
    clipped = np.minimum(position, len(ids) - 1)
    return position, (position < len(ids)) & (ids[clipped] == volunteer_ids)


def _table(c: repo.IndexColumns) -> VolunteerTable:
    """A ``VolunteerTable`` from one chunk's columns (skills, windows and blackout days are
    read for active volunteers only; commitments and service for all, kept for the active)."""
    ids = c.ids
    held_row, held = _rows_of(ids, c.commitments[0])
    hours = np.zeros(len(ids))
    activities = np.zeros(len(ids), dtype=np.int64)
    rec_row, found = _rows_of(ids, c.recent[0])
    hours[rec_row[found]] = c.recent[1][found]
    activities[rec_row[found]] = c.recent[2][found]
    return VolunteerTable.from_columns(
        ids=ids,
        lat=c.lat,
        lng=c.lng,
        radius_km=c.radius_km,
        skills=(np.searchsorted(ids, c.skills[0]), c.skills[1]),
        windows=(np.searchsorted(ids, c.windows[0]), *c.windows[1:]),
        community_id=c.community_id,
        street_id=c.street_id,
        recent_hours=hours,
        activities_this_month=activities,
        completed=c.completed,
        no_shows=c.no_shows,
        rating_avg=c.rating_avg,
        rating_count=c.rating_count,
        blackouts=(np.searchsorted(ids, c.blackouts[0]), c.blackouts[1]),
        commitments=(held_row[held], *(column[held] for column in c.commitments[1:])),
    )


async def load_table(session: AsyncSession, *, now: datetime) -> VolunteerTable:
    """Every active volunteer, as columns (chunks of ``CHUNK`` ids)."""
    low, high = await repo.volunteer_id_range(session=session)
    tables = []
    if low is not None:
        # PostgreSQL streams one COPY per list (chunks would repeat the joins' scans);
        # SQLite reads Python rows, so in chunks.
        step = high - low + 1 if session.bind.dialect.name == "postgresql" else CHUNK
        for start in range(low, high + 1, step):
            chunk = await repo.index_columns(
                session=session, now=now, bounds=(start, min(start + step - 1, high))
            )
            if chunk is not None:
                tables.append(await asyncio.to_thread(_table, chunk))
    return VolunteerTable.concat(tables) if tables else VolunteerTable.from_snapshots([])
