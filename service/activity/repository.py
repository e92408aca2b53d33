"""Queries of the activity day: check-out stamps, service records, counters."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.models import Evaluation, Offer, Order, ServiceRecord, User, Volunteer
from service.vocab import OfferStatus, RaterKind

_offers = Offer.__table__


async def stamp_checkout(
    *, session: AsyncSession, offer_id: int, at: datetime, flags: list, now: datetime
) -> bool:
    """Set the check-out once: only a checked-in offer without one is changed."""
    result = await session.execute(
        sa.update(_offers)
        .where(
            _offers.c.id == offer_id,
            _offers.c.status == OfferStatus.checked_in.value,
            _offers.c.checked_out_at.is_(None),
        )
        .values(checked_out_at=at, flags=flags, updated_at=now)
    )
    return result.rowcount == 1


async def record_pending_check_in(
    *,
    session: AsyncSession,
    offer_id: int,
    at: datetime,
    lat: float | None,
    lng: float | None,
    flags: list,
) -> bool:
    """Keep a check-in that awaits a worker's confirmation (the offer stays accepted)."""
    result = await session.execute(
        sa.update(_offers)
        .where(_offers.c.id == offer_id, _offers.c.status == OfferStatus.accepted.value)
        .values(checked_in_at=at, check_in_lat=lat, check_in_lng=lng, flags=flags, updated_at=at)
    )
    return result.rowcount == 1


async def forgotten_checkouts(
    *, session: AsyncSession, now: datetime, order_id: int | None = None, limit: int = 500
) -> list[tuple[Offer, datetime]]:
    """Checked-in offers with no check-out whose order has ended, with the order's end."""
    statement = (
        sa.select(Offer, Order.ends_at)
        .join(Order, Order.id == Offer.order_id)
        .where(
            Offer.status == OfferStatus.checked_in,
            Offer.checked_out_at.is_(None),
            Order.ends_at <= now,
        )
        .order_by(Offer.id)
        .limit(limit)
        .execution_options(populate_existing=True)
    )
    if order_id is not None:
        statement = statement.where(Offer.order_id == order_id)
    if session.bind.dialect.name == "postgresql":
        statement = statement.with_for_update(of=Offer, skip_locked=True)
    rows = await session.execute(statement)
    return [(row[0], row[1]) for row in rows]


async def add_service_record(*, session: AsyncSession, record: ServiceRecord) -> ServiceRecord:
    session.add(record)
    await session.flush()
    return record


async def count_completion(*, session: AsyncSession, volunteer_id: int) -> None:
    """Atomic +1 on the reliability counters that matching reads."""
    table = Volunteer.__table__
    await session.execute(
        sa.update(table)
        .where(table.c.id == volunteer_id)
        .values(completed_count=table.c.completed_count + 1)
    )


async def count_no_show(*, session: AsyncSession, volunteer_id: int) -> None:
    table = Volunteer.__table__
    await session.execute(
        sa.update(table)
        .where(table.c.id == volunteer_id)
        .values(no_show_count=table.c.no_show_count + 1)
    )


async def service_records_page(
    *, session: AsyncSession, volunteer_id: int, limit: int, offset: int
) -> tuple[list[tuple[ServiceRecord, str]], int, float]:
    """A volunteer's records (newest first) with order titles, the count and total hours."""
    condition = ServiceRecord.volunteer_id == volunteer_id
    total, hours = (
        await session.execute(
            sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0.0)
            ).where(condition)
        )
    ).one()
    rows = await session.execute(
        sa.select(ServiceRecord, Order.title)
        .join(Order, Order.id == ServiceRecord.order_id)
        .where(condition)
        .order_by(ServiceRecord.started_at.desc(), ServiceRecord.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [(row[0], row[1]) for row in rows], int(total), float(hours)


async def people_of_volunteers(
    *, session: AsyncSession, volunteer_ids: list[int]
) -> dict[int, tuple[str, str | None]]:
    """volunteer id → (name, phone), for an attendance list (callers mask both)."""
    if not volunteer_ids:
        return {}
    rows = await session.execute(
        sa.select(Volunteer.id, User.name, User.phone)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(volunteer_ids))
    )
    return {row.id: (row.name, row.phone) for row in rows}


async def service_records_of_order(*, session: AsyncSession, order_id: int) -> list[ServiceRecord]:
    rows = await session.scalars(
        sa.select(ServiceRecord)
        .where(ServiceRecord.order_id == order_id)
        .order_by(ServiceRecord.id)
    )
    return list(rows.all())


async def service_records_between(
    *, session: AsyncSession, volunteer_id: int, start: datetime, end: datetime
) -> list[tuple[ServiceRecord, str, str | None]]:
    """A volunteer's records started in [start, end), oldest first, with the order's title and
    the name of whoever confirmed them (the volunteer's 我的服务时长 page)."""
    confirmer = aliased(User)
    rows = await session.execute(
        sa.select(ServiceRecord, Order.title, confirmer.name)
        .join(Order, Order.id == ServiceRecord.order_id)
        .outerjoin(confirmer, confirmer.id == ServiceRecord.confirmed_by_user_id)
        .where(
            ServiceRecord.volunteer_id == volunteer_id,
            ServiceRecord.started_at >= start,
            ServiceRecord.started_at < end,
        )
        .order_by(ServiceRecord.started_at, ServiceRecord.id)
    )
    return [(row[0], row[1], row[2]) for row in rows]


async def first_service_year_start(*, session: AsyncSession, volunteer_id: int) -> datetime | None:
    """When the volunteer's first recorded service started (for the years the page offers)."""
    return await session.scalar(
        sa.select(sa.func.min(ServiceRecord.started_at)).where(
            ServiceRecord.volunteer_id == volunteer_id
        )
    )


async def rating_summary(*, session: AsyncSession, volunteer_id: int) -> tuple[float | None, int]:
    """The running average and count of the workers' ratings of a volunteer."""
    row = (
        await session.execute(
            sa.select(Volunteer.rating_avg, Volunteer.rating_count).where(
                Volunteer.id == volunteer_id
            )
        )
    ).one_or_none()
    return (row[0], int(row[1])) if row else (None, 0)


async def ratings_of_volunteer(
    *, session: AsyncSession, volunteer_id: int, limit: int
) -> list[tuple[Evaluation, str, datetime]]:
    """The workers' ratings of a volunteer, newest first, with the order's title and start
    (never who rated)."""
    rows = await session.execute(
        sa.select(Evaluation, Order.title, Order.starts_at)
        .join(Order, Order.id == Evaluation.order_id)
        .where(
            Evaluation.volunteer_id == volunteer_id,
            Evaluation.rater_kind == RaterKind.worker,
        )
        .order_by(Evaluation.created_at.desc(), Evaluation.id.desc())
        .limit(limit)
    )
    return [(row[0], row[1], row[2]) for row in rows]
