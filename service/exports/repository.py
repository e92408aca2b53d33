"""Queries of the exports: the areas one may export, and the rows of each export as a stream.

Rows are read as a stream, never as a list: a server-side cursor on PostgreSQL (``yield_per``),
keyset pages of ``CHUNK`` rows on SQLite (whose driver would otherwise read everything first).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.models import Area, Order, OrderSkill, ServiceRecord, Skill, User, Volunteer
from service.vocab import AreaLevel, OrderStatus

CHUNK = 2_000


async def area_by_code_or_id(*, session: AsyncSession, key: str) -> Area | None:
    """The area with this 12-digit code, or this id."""
    key = key.strip()
    if len(key) == 12 and key.isdigit():
        return await session.scalar(sa.select(Area).where(Area.code == key))
    if key.isdigit() and 0 < int(key) < 2**31:
        return await session.get(Area, int(key))
    return None


async def areas_to_export(*, session: AsyncSession, scope: sa.Select | None) -> list[Area]:
    """Districts and streets the actor may export (``scope``: area ids, None: all), by path."""
    levels = (AreaLevel.district.value, AreaLevel.street.value)
    statement = sa.select(Area).where(Area.level.in_(levels)).order_by(Area.path)
    if scope is not None:
        statement = statement.where(Area.id.in_(scope))
    return list(await session.scalars(statement))


async def skill_domains(*, session: AsyncSession) -> dict[int, tuple[str, str]]:
    """Skill id → (its domain's name, its own name); a domain maps to itself."""
    domain = aliased(Skill)
    rows = await session.execute(
        sa.select(Skill.id, sa.func.coalesce(domain.name, Skill.name), Skill.name).outerjoin(
            domain, domain.id == Skill.parent_id
        )
    )
    return {skill_id: (domain_name, name) for skill_id, domain_name, name in rows}


def _in_area(path_column, area_path: str | None):
    return sa.true() if area_path is None else path_column.startswith(area_path)


def _orders_statement(area_path: str | None, starts_from: datetime, starts_before: datetime):
    community, street = aliased(Area), aliased(Area)
    skill_ids = (
        sa.select(sa.func.aggregate_strings(sa.cast(OrderSkill.skill_id, sa.String), ","))
        .where(OrderSkill.order_id == Order.id)
        .scalar_subquery()
    )
    return (
        sa.select(
            Order.id,
            Order.title,
            community.name,
            street.name,
            skill_ids,
            Order.target_group,
            Order.starts_at,
            Order.ends_at,
            Order.status,
            Order.slots,
            Order.accepted_count,
            Order.expected_attendance,
            Order.published_at,
            Order.staffed_at,
        )
        .join(community, community.id == Order.community_id)
        .outerjoin(street, street.id == community.parent_id)
        .where(
            _in_area(community.path, area_path),
            Order.status != OrderStatus.draft.value,
            Order.starts_at >= starts_from,
            Order.starts_at < starts_before,
        )
    )


def _hours_statement(area_path: str | None, starts_from: datetime, starts_before: datetime):
    community, home = aliased(Area), aliased(Area)
    return (
        sa.select(
            ServiceRecord.volunteer_id,
            User.name,
            User.phone,
            home.name,
            sa.func.count(ServiceRecord.id),
            sa.func.sum(ServiceRecord.hours),
            sa.func.min(ServiceRecord.started_at),
            sa.func.max(ServiceRecord.started_at),
        )
        .join(Order, Order.id == ServiceRecord.order_id)
        .join(community, community.id == Order.community_id)
        .join(Volunteer, Volunteer.id == ServiceRecord.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .join(home, home.id == Volunteer.home_area_id)
        .where(
            _in_area(community.path, area_path),
            ServiceRecord.started_at >= starts_from,
            ServiceRecord.started_at < starts_before,
        )
        .group_by(ServiceRecord.volunteer_id, User.name, User.phone, home.name)
    )


async def count_orders(
    *, session: AsyncSession, area_path: str | None, starts_from: datetime, starts_before: datetime
) -> int:
    """How many rows the orders export will have (for a progress bar)."""
    inner = _orders_statement(area_path, starts_from, starts_before).subquery()
    return await session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0


async def count_hours(
    *, session: AsyncSession, area_path: str | None, starts_from: datetime, starts_before: datetime
) -> int:
    """How many rows (volunteers) the hours export will have."""
    inner = _hours_statement(area_path, starts_from, starts_before).subquery()
    return await session.scalar(sa.select(sa.func.count()).select_from(inner)) or 0


def order_rows(
    *, session: AsyncSession, area_path: str | None, starts_from: datetime, starts_before: datetime
) -> AsyncIterator[sa.Row]:
    """Orders (not drafts) of the area's subtree starting in the period, by id: (id, title,
    community, street, skill ids "3,7", group, starts, ends, status, slots, accepted,
    expected attendance, published at, staffed at)."""
    statement = _orders_statement(area_path, starts_from, starts_before)
    return _stream(session, statement, Order.id)


def hours_rows(
    *, session: AsyncSession, area_path: str | None, starts_from: datetime, starts_before: datetime
) -> AsyncIterator[sa.Row]:
    """Per volunteer who served on the area's orders in the period, by volunteer id:
    (volunteer id, name, phone, home community, activities, hours, first, last service)."""
    statement = _hours_statement(area_path, starts_from, starts_before)
    return _stream(session, statement, ServiceRecord.volunteer_id)


async def _stream(session: AsyncSession, statement: sa.Select, key) -> AsyncIterator[sa.Row]:
    """The statement's rows ordered by ``key`` (unique per row), a chunk in memory at a time."""
    if session.get_bind().dialect.name == "postgresql":
        result = await session.stream(statement.order_by(key).execution_options(yield_per=CHUNK))
        async for partition in result.partitions():
            for row in partition:
                yield row
        return
    last = None
    while True:
        page = statement if last is None else statement.where(key > last)
        rows = (await session.execute(page.order_by(key).limit(CHUNK))).all()
        for row in rows:
            yield row
        if len(rows) < CHUNK:
            return
        last = rows[-1][0]
