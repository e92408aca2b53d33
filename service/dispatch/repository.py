"""Queries for dispatch: active volunteers near an order, their profiles, skill and area names."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime

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
