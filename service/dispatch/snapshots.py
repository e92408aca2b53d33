"""Volunteer snapshots read row by row: the exact reference path of matching.

Used where few volunteers are involved — one volunteer's own checks, refreshing the volunteers a
change-log entry names, re-checking the few about to be offered an order — and by
``KEPU_CANDIDATE_SOURCE=database`` (the old whole-box read, kept as the benchmark's baseline).
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.types import AvailabilityWindow as WindowSnapshot
from matching.types import Commitment, VolunteerSnapshot
from service.dispatch import repository as repo

BY_ID_CHUNK = 5_000  # ids per query: far below the drivers' limits on bound parameters


async def snapshots_by_id(
    session: AsyncSession, volunteer_ids: list[int], *, now: datetime
) -> list[VolunteerSnapshot]:
    """Snapshots of the active volunteers among ``volunteer_ids``."""
    found: list[VolunteerSnapshot] = []
    for start in range(0, len(volunteer_ids), BY_ID_CHUNK):
        chunk = volunteer_ids[start : start + BY_ID_CHUNK]
        rows = await repo.active_volunteers_by_id(session=session, volunteer_ids=chunk)
        found.extend(await _snapshots(session, rows, now))
    return found


async def snapshots_in_box(
    session: AsyncSession,
    *,
    lat: float,
    lng: float,
    reach_km: float,
    skill_ids: frozenset[int],
    now: datetime,
) -> list[VolunteerSnapshot]:
    """Active volunteers with one of the skills living roughly within ``reach_km`` (the old
    path: fine for a district, fails past ~32k volunteers in the box on PostgreSQL)."""
    dlat = (reach_km + 1.0) / 111.0
    dlng = (reach_km + 1.0) / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = await repo.active_volunteers_in_box(
        session=session,
        lat_range=(lat - dlat, lat + dlat),
        lng_range=(lng - dlng, lng + dlng),
        skill_ids=skill_ids,
    )
    return await _snapshots(session, rows, now)


async def _snapshots(session: AsyncSession, rows, now: datetime) -> list[VolunteerSnapshot]:
    ids = [volunteer.id for volunteer, _ in rows]
    if not ids:
        return []
    skills, windows, blackouts, commitments, hours, months = await _profiles(session, ids, now)
    return [
        VolunteerSnapshot(
            id=v.id,
            lat=v.home_lat,
            lng=v.home_lng,
            radius_km=v.radius_km,
            skills=frozenset(skills[v.id]),
            weekly_availability=tuple(windows[v.id]),
            blackout_dates=frozenset(blackouts[v.id]),
            community_id=v.home_area_id,
            street_id=street_id,
            recent_hours=hours.get(v.id, 0.0),
            activities_this_month=months.get(v.id, 0),
            completed=v.completed_count,
            no_shows=v.no_show_count,
            rating_avg=v.rating_avg,
            rating_count=v.rating_count,
            commitments=tuple(commitments[v.id]),
        )
        for v, street_id in rows
    ]


async def _profiles(session: AsyncSession, ids: list[int], now: datetime):
    skills: dict[int, list[int]] = defaultdict(list)
    for vid, sid in await repo.skill_pairs(session=session, volunteer_ids=ids):
        skills[vid].append(sid)
    windows: dict[int, list[WindowSnapshot]] = defaultdict(list)
    for w in await repo.availability_windows(session=session, volunteer_ids=ids):
        windows[w.volunteer_id].append(WindowSnapshot(w.weekday, w.start_minute, w.end_minute))
    blackouts: dict[int, list] = defaultdict(list)
    for vid, day in await repo.blackout_days(session=session, volunteer_ids=ids):
        blackouts[vid].append(day)
    commitments: dict[int, list[Commitment]] = defaultdict(list)
    for vid, oid, start, end in await repo.commitments(session=session, volunteer_ids=ids, now=now):
        commitments[vid].append(Commitment(oid, start, end))
    since = now - timedelta(days=30)
    hours, months = {}, {}
    for vid, total, count in await repo.service_totals_since(
        session=session, volunteer_ids=ids, since=since
    ):
        hours[vid], months[vid] = float(total or 0), int(count)
    return skills, windows, blackouts, commitments, hours, months
