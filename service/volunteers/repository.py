"""Queries for a volunteer's own profile: the row, skills, weekly windows, blackout dates, areas."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.models import Area, AvailabilityWindow, BlackoutDate, Skill, Volunteer, VolunteerSkill
from service.vocab import AreaLevel


async def volunteer(*, session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def area(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def areas_by_id(*, session: AsyncSession, area_ids: Iterable[int]) -> dict[int, Area]:
    ids = sorted({i for i in area_ids if i is not None})
    if not ids:
        return {}
    rows = await session.scalars(sa.select(Area).where(Area.id.in_(ids)))
    return {row.id: row for row in rows}


async def centroid_box(*, session: AsyncSession, path_prefix: str):
    """(min lat, max lat, min lng, max lng) of the centroids of every area under a path."""
    row = (
        await session.execute(
            sa.select(
                sa.func.min(Area.lat),
                sa.func.max(Area.lat),
                sa.func.min(Area.lng),
                sa.func.max(Area.lng),
            ).where(Area.path.startswith(path_prefix, autoescape=True))
        )
    ).one()
    return None if row[0] is None else tuple(row)


async def communities_with_streets(*, session: AsyncSession) -> list[tuple[Area, Area | None]]:
    """Every community with its street, by street then community name."""
    street = aliased(Area)
    rows = await session.execute(
        sa.select(Area, street)
        .outerjoin(street, street.id == Area.parent_id)
        .where(Area.level == AreaLevel.community.value)
        .order_by(street.name, street.id, Area.name, Area.id)
    )
    return [(community, parent) for community, parent in rows.all()]


async def skills(*, session: AsyncSession) -> list[Skill]:
    """The whole taxonomy (domains and skills, retired ones too), in display order."""
    rows = await session.scalars(sa.select(Skill).order_by(Skill.sort_order, Skill.id))
    return list(rows)


async def skill_ids_of(*, session: AsyncSession, volunteer_id: int) -> list[int]:
    rows = await session.scalars(
        sa.select(VolunteerSkill.skill_id)
        .where(VolunteerSkill.volunteer_id == volunteer_id)
        .order_by(VolunteerSkill.skill_id)
    )
    return list(rows)


async def replace_skills(*, session: AsyncSession, volunteer_id: int, skill_ids: list[int]) -> None:
    await session.execute(
        sa.delete(VolunteerSkill).where(VolunteerSkill.volunteer_id == volunteer_id)
    )
    session.add_all(VolunteerSkill(volunteer_id=volunteer_id, skill_id=s) for s in skill_ids)
    await session.flush()


async def windows_of(*, session: AsyncSession, volunteer_id: int) -> list[AvailabilityWindow]:
    rows = await session.scalars(
        sa.select(AvailabilityWindow)
        .where(AvailabilityWindow.volunteer_id == volunteer_id)
        .order_by(
            AvailabilityWindow.weekday, AvailabilityWindow.start_minute, AvailabilityWindow.id
        )
    )
    return list(rows)


async def replace_windows(
    *, session: AsyncSession, volunteer_id: int, windows: list[tuple[int, int, int]]
) -> None:
    """Replace the weekly windows with (weekday, start minute, end minute) triples."""
    await session.execute(
        sa.delete(AvailabilityWindow).where(AvailabilityWindow.volunteer_id == volunteer_id)
    )
    session.add_all(
        AvailabilityWindow(volunteer_id=volunteer_id, weekday=d, start_minute=s, end_minute=e)
        for d, s, e in windows
    )
    await session.flush()


async def blackout_days_of(*, session: AsyncSession, volunteer_id: int) -> list[date]:
    rows = await session.scalars(
        sa.select(BlackoutDate.day)
        .where(BlackoutDate.volunteer_id == volunteer_id)
        .order_by(BlackoutDate.day)
    )
    return list(rows)


async def add_blackout_day(*, session: AsyncSession, volunteer_id: int, day: date) -> None:
    session.add(BlackoutDate(volunteer_id=volunteer_id, day=day))
    await session.flush()


async def remove_blackout_day(*, session: AsyncSession, volunteer_id: int, day: date) -> int:
    """Delete one blackout date; returns how many rows went (0 or 1)."""
    result = await session.execute(
        sa.delete(BlackoutDate).where(
            BlackoutDate.volunteer_id == volunteer_id, BlackoutDate.day == day
        )
    )
    return result.rowcount or 0
