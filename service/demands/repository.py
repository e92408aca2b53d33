"""Queries on demands and their upvotes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Demand, DemandUpvote, Order, User
from service.vocab import DemandStatus


@dataclass(frozen=True)
class DemandFilters:
    community_ids: Sequence[int] | None = None  # None: any community
    area_paths: Sequence[str] | None = None  # coordinators: any community under these
    status: DemandStatus | None = None
    target_group: str | None = None
    skill_id: int | None = None
    text: str | None = None


async def get(*, session: AsyncSession, demand_id: int, lock: bool = False) -> Demand | None:
    statement = sa.select(Demand).where(Demand.id == demand_id)
    if lock:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def area(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def open_demands_of(
    *, session: AsyncSession, community_ids: Sequence[int], limit: int = 500
) -> list[Demand]:
    """New and adopted demands of these communities (what a duplicate may be merged into)."""
    rows = await session.scalars(
        sa.select(Demand)
        .where(
            Demand.community_id.in_(list(community_ids)),
            Demand.status.in_([DemandStatus.new, DemandStatus.adopted]),
        )
        .order_by(Demand.upvotes.desc(), Demand.id.desc())
        .limit(limit)
    )
    return list(rows.all())


async def topics(*, session: AsyncSession, demand_ids: Sequence[int]) -> dict[int, str]:
    if not demand_ids:
        return {}
    rows = await session.execute(
        sa.select(Demand.id, Demand.topic).where(Demand.id.in_(list(demand_ids)))
    )
    return dict(rows.all())


async def area_names(*, session: AsyncSession, area_ids: Sequence[int]) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(list(area_ids))))
    return dict(rows.all())


async def orders_of_demands(
    *, session: AsyncSession, demand_ids: Sequence[int]
) -> dict[int, Order]:
    """The order made from each demand (the first, if a demand was ever adopted twice)."""
    if not demand_ids:
        return {}
    rows = await session.scalars(
        sa.select(Order).where(Order.demand_id.in_(list(demand_ids))).order_by(Order.id.desc())
    )
    return {order.demand_id: order for order in rows}


def _conditions(filters: DemandFilters) -> list[Any]:
    conditions: list[Any] = []
    scope = []
    if filters.community_ids is not None:
        scope.append(Demand.community_id.in_(list(filters.community_ids)))
    if filters.area_paths:
        under = sa.or_(*(Area.path.startswith(path) for path in filters.area_paths))
        scope.append(Demand.community_id.in_(sa.select(Area.id).where(under)))
    if filters.community_ids is not None or filters.area_paths is not None:
        conditions.append(sa.or_(*scope) if scope else sa.false())
    if filters.status:
        conditions.append(Demand.status == filters.status)
    if filters.target_group:
        conditions.append(Demand.target_group == filters.target_group)
    if filters.skill_id:
        conditions.append(Demand.skill_id == filters.skill_id)
    if filters.text:
        # autoescape: "%" and "_" typed by a person are literal characters, not wildcards.
        conditions.append(
            sa.or_(
                Demand.topic.contains(filters.text, autoescape=True),
                Demand.description.contains(filters.text, autoescape=True),
            )
        )
    return conditions


async def page(
    *, session: AsyncSession, filters: DemandFilters, order_by: str, limit: int, offset: int
) -> tuple[list[Demand], int]:
    """One page of demands; ``order_by`` is "popular" (most upvotes first) or "newest"."""
    conditions = _conditions(filters)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Demand).where(*conditions))
    ordering = (
        (Demand.upvotes.desc(), Demand.id.desc()) if order_by == "popular" else (Demand.id.desc(),)
    )
    rows = await session.scalars(
        sa.select(Demand).where(*conditions).order_by(*ordering).limit(limit).offset(offset)
    )
    return list(rows.all()), int(total or 0)


def _insert_ignoring_duplicates(session: AsyncSession):
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(DemandUpvote.__table__)


async def add_upvote(
    *, session: AsyncSession, demand_id: int, voter_key: str, now: datetime
) -> bool:
    """Record one vote; False (and nothing changed) when this voter already voted."""
    statement = (
        _insert_ignoring_duplicates(session)
        .values(demand_id=demand_id, voter_key=voter_key, created_at=now)
        .on_conflict_do_nothing(index_elements=["demand_id", "voter_key"])
    )
    result = await session.execute(statement)
    return result.rowcount == 1


async def count_one_more_upvote(*, session: AsyncSession, demand_id: int, now: datetime) -> int:
    """Add one to the counter atomically (concurrent voters queue on the row lock)."""
    table = Demand.__table__
    result = await session.execute(
        sa.update(table)
        .where(table.c.id == demand_id)
        .values(upvotes=table.c.upvotes + 1, updated_at=now)
        .returning(table.c.upvotes)
    )
    return int(result.scalar_one())


async def recount_upvotes(*, session: AsyncSession, demand_id: int, now: datetime) -> int:
    """Set the counter from the vote rows (after a merge, with the demand row locked)."""
    count = sa.select(sa.func.count()).where(DemandUpvote.demand_id == demand_id)
    await session.execute(
        sa.update(Demand.__table__)
        .where(Demand.__table__.c.id == demand_id)
        .values(upvotes=count.scalar_subquery(), updated_at=now)
    )
    return int(await session.scalar(count) or 0)


async def voter_keys(*, session: AsyncSession, demand_id: int) -> list[str]:
    rows = await session.scalars(
        sa.select(DemandUpvote.voter_key).where(DemandUpvote.demand_id == demand_id)
    )
    return list(rows.all())


async def has_upvote(*, session: AsyncSession, demand_id: int, voter_keys: Sequence[str]) -> bool:
    if not voter_keys:
        return False
    found = await session.scalar(
        sa.select(DemandUpvote.id)
        .where(DemandUpvote.demand_id == demand_id, DemandUpvote.voter_key.in_(list(voter_keys)))
        .limit(1)
    )
    return found is not None


async def user_phone(*, session: AsyncSession, user_id: int) -> str | None:
    return await session.scalar(sa.select(User.phone).where(User.id == user_id))
