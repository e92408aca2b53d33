"""Queries for dispatch: active volunteers near an order, their profiles, skill and area names."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

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


async def _rows(session: AsyncSession, statement) -> list[tuple]:
    return [tuple(row) for row in (await session.execute(statement)).all()]


async def index_rows(*, session: AsyncSession, now: datetime, bounds: tuple[int, int]):
    """The raw rows of the active volunteers whose ids lie in ``bounds`` (inclusive): profiles
    in id order, skills, weekly windows, blackout days from yesterday on, held orders that
    have not ended, and (hours, activities) of the last ``RECENT_DAYS``; None when none."""

    def in_bounds(column):
        return column.between(*bounds)

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
    if not profiles:
        return None

    def of_active(column):
        active = sa.select(Volunteer.id).where(_ACTIVE, in_bounds(Volunteer.id))
        return sa.and_(in_bounds(column), column.in_(active))

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
        .where(in_bounds(Offer.volunteer_id), Offer.status.in_(HOLDING), Order.ends_at > now),
    )
    since = now - timedelta(days=RECENT_DAYS)
    recent = await _rows(
        session,
        sa.select(ServiceRecord.volunteer_id, sa.func.sum(ServiceRecord.hours), sa.func.count())
        .where(in_bounds(ServiceRecord.volunteer_id), ServiceRecord.started_at >= since)
        .group_by(ServiceRecord.volunteer_id),
    )
    return profiles, skills, windows, blackouts, commitments, recent


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
