"""Every SQL statement of the certificates: the service records behind one, the volunteers of
an area with hours in a period, and the certificates themselves."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Certificate, Order, ServiceRecord, User, Volunteer


@dataclass(frozen=True)
class VolunteerIdentity:
    volunteer_id: int
    name: str
    home_area_path: str


@dataclass(frozen=True)
class ServiceLine:
    order_id: int
    started_at: datetime
    title: str
    community: str
    hours: float


@dataclass(frozen=True)
class ServedVolunteer:
    """One row of the desk's list: a volunteer of the area with their hours in the period."""

    volunteer_id: int
    name: str
    phone: str
    community: str
    activities: int
    hours: float


async def volunteer_identity(
    *, session: AsyncSession, volunteer_id: int
) -> VolunteerIdentity | None:
    row = (
        await session.execute(
            sa.select(Volunteer.id, User.name, Area.path)
            .join(User, User.id == Volunteer.user_id)
            .join(Area, Area.id == Volunteer.home_area_id)
            .where(Volunteer.id == volunteer_id)
        )
    ).first()
    return VolunteerIdentity(*row) if row else None


async def service_lines(
    *, session: AsyncSession, volunteer_id: int, start: datetime, end: datetime
) -> list[ServiceLine]:
    """The volunteer's confirmed records that started in [start, end) with hours, oldest first."""
    rows = await session.execute(
        sa.select(
            ServiceRecord.order_id,
            ServiceRecord.started_at,
            Order.title,
            Area.name,
            ServiceRecord.hours,
        )
        .join(Order, Order.id == ServiceRecord.order_id)
        .join(Area, Area.id == Order.community_id)
        .where(
            ServiceRecord.volunteer_id == volunteer_id,
            ServiceRecord.started_at >= start,
            ServiceRecord.started_at < end,
            ServiceRecord.hours > 0,
        )
        .order_by(ServiceRecord.started_at, ServiceRecord.id)
    )
    return [ServiceLine(*row) for row in rows]


def _served(paths: tuple[str, ...] | None, start: datetime, end: datetime):
    """Volunteers (of the areas under ``paths``; None: everywhere) with hours in [start, end)."""
    statement = (
        sa.select(
            ServiceRecord.volunteer_id.label("volunteer_id"),
            sa.func.count().label("activities"),
            sa.func.sum(ServiceRecord.hours).label("hours"),
        )
        .where(
            ServiceRecord.started_at >= start,
            ServiceRecord.started_at < end,
            ServiceRecord.hours > 0,
        )
        .group_by(ServiceRecord.volunteer_id)
    )
    if paths is not None:
        home = (
            sa.select(Volunteer.id)
            .join(Area, Area.id == Volunteer.home_area_id)
            .where(sa.or_(*(Area.path.startswith(p) for p in paths)) if paths else sa.false())
        )
        statement = statement.where(ServiceRecord.volunteer_id.in_(home))
    return statement.subquery()


async def count_served(
    *, session: AsyncSession, paths: tuple[str, ...] | None, start: datetime, end: datetime
) -> int:
    served = _served(paths, start, end)
    return await session.scalar(sa.select(sa.func.count()).select_from(served)) or 0


async def served_volunteers(
    *,
    session: AsyncSession,
    paths: tuple[str, ...] | None,
    start: datetime,
    end: datetime,
    limit: int | None = None,
    offset: int = 0,
) -> list[ServedVolunteer]:
    """A page of the volunteers with hours in the period, most hours first."""
    served = _served(paths, start, end)
    statement = (
        sa.select(
            served.c.volunteer_id,
            User.name,
            User.phone,
            Area.name,
            served.c.activities,
            served.c.hours,
        )
        .join(Volunteer, Volunteer.id == served.c.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .join(Area, Area.id == Volunteer.home_area_id)
        .order_by(served.c.hours.desc(), served.c.volunteer_id)
        .offset(offset)
    )
    if limit is not None:
        statement = statement.limit(limit)
    rows = await session.execute(statement)
    return [ServedVolunteer(r[0], r[1], r[2], r[3], r[4], round(float(r[5]), 2)) for r in rows]


async def lock_volunteer(*, session: AsyncSession, volunteer_id: int) -> None:
    """Serialize issuing for one volunteer (a double click): the row lock on PostgreSQL;
    SQLite has one writer at a time, and the partial unique index is the backstop on both."""
    await session.execute(
        sa.select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update()
    )


async def current_certificate(
    *, session: AsyncSession, volunteer_id: int, first: date, last: date
) -> Certificate | None:
    """The certificate of this volunteer and period that is neither superseded nor revoked."""
    return await session.scalar(
        sa.select(Certificate).where(
            Certificate.volunteer_id == volunteer_id,
            Certificate.period_from == first,
            Certificate.period_to == last,
            Certificate.superseded_at.is_(None),
            Certificate.revoked_at.is_(None),
        )
    )


async def current_serials(
    *, session: AsyncSession, volunteer_ids: list[int], first: date, last: date
) -> dict[int, str]:
    if not volunteer_ids:
        return {}
    rows = await session.execute(
        sa.select(Certificate.volunteer_id, Certificate.serial).where(
            Certificate.volunteer_id.in_(volunteer_ids),
            Certificate.period_from == first,
            Certificate.period_to == last,
            Certificate.superseded_at.is_(None),
            Certificate.revoked_at.is_(None),
        )
    )
    return {volunteer_id: serial for volunteer_id, serial in rows}


async def add_certificate(*, session: AsyncSession, certificate: Certificate) -> Certificate:
    session.add(certificate)
    await session.flush()
    return certificate


async def flush(*, session: AsyncSession) -> None:
    await session.flush()


async def certificate_by_serial(*, session: AsyncSession, serial: str) -> Certificate | None:
    return await session.scalar(sa.select(Certificate).where(Certificate.serial == serial))


async def serial_of(*, session: AsyncSession, certificate_id: int | None) -> str | None:
    if certificate_id is None:
        return None
    return await session.scalar(
        sa.select(Certificate.serial).where(Certificate.id == certificate_id)
    )


async def home_area_path(*, session: AsyncSession, volunteer_id: int) -> str | None:
    return await session.scalar(
        sa.select(Area.path)
        .join(Volunteer, Volunteer.home_area_id == Area.id)
        .where(Volunteer.id == volunteer_id)
    )


async def certificates_of(*, session: AsyncSession, volunteer_id: int) -> list[Certificate]:
    """A volunteer's certificates, newest first (superseded and revoked ones included)."""
    rows = await session.scalars(
        sa.select(Certificate)
        .where(Certificate.volunteer_id == volunteer_id)
        .order_by(Certificate.id.desc())
    )
    return list(rows)


async def current_certificates(
    *, session: AsyncSession, paths: tuple[str, ...] | None, first: date, last: date
) -> list[Certificate]:
    """The current certificates of the period of volunteers living under ``paths`` (None:
    everywhere), by serial."""
    statement = sa.select(Certificate).where(
        Certificate.period_from == first,
        Certificate.period_to == last,
        Certificate.superseded_at.is_(None),
        Certificate.revoked_at.is_(None),
    )
    if paths is not None:
        home = (
            sa.select(Volunteer.id)
            .join(Area, Area.id == Volunteer.home_area_id)
            .where(sa.or_(*(Area.path.startswith(p) for p in paths)) if paths else sa.false())
        )
        statement = statement.where(Certificate.volunteer_id.in_(home))
    return list(await session.scalars(statement.order_by(Certificate.id)))
