"""Queries behind the residents' pages: public activities, the community picker."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.models import Area, Order
from service.vocab import AreaLevel, OrderStatus

# What a resident may see: an activity that is on (or was, for its rating), never a draft,
# a cancelled or an expired one.
UPCOMING_STATUSES = (OrderStatus.published, OrderStatus.staffed, OrderStatus.in_progress)
PUBLIC_STATUSES = (*UPCOMING_STATUSES, OrderStatus.completed, OrderStatus.evaluated)
LIST_LIMIT = 300  # a district's upcoming activities; sorted by distance in Python

_COLUMNS = (
    Order.id,
    Order.title,
    Order.description,
    Order.status,
    Order.target_group,
    Order.starts_at,
    Order.ends_at,
    Order.venue_name,
    Order.venue_address,
    Order.venue_lat,
    Order.venue_lng,
    Order.slots,
    Order.accepted_count,
    Order.community_id,
    Area.name.label("community_name"),
)


async def upcoming_activities(*, session: AsyncSession, now: datetime) -> list[dict]:
    """Public activities that have not ended yet, soonest first (no personal data)."""
    statement = (
        sa.select(*_COLUMNS)
        .join(Area, Area.id == Order.community_id)
        .where(Order.status.in_(UPCOMING_STATUSES), Order.ends_at > now)
        .order_by(Order.starts_at, Order.id)
        .limit(LIST_LIMIT)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def public_activity(*, session: AsyncSession, order_id: int) -> dict | None:
    """One activity as residents may see it, or None when it is unknown or not public."""
    statement = (
        sa.select(*_COLUMNS)
        .join(Area, Area.id == Order.community_id)
        .where(Order.id == order_id, Order.status.in_(PUBLIC_STATUSES))
    )
    row = (await session.execute(statement)).first()
    return dict(row._mapping) if row else None


async def communities_with_streets(*, session: AsyncSession) -> list[dict]:
    """Every community with its street's name and its centre, in tree order."""
    street = aliased(Area)
    statement = (
        sa.select(Area.id, Area.name, Area.lat, Area.lng, street.name.label("street_name"))
        .outerjoin(street, street.id == Area.parent_id)
        .where(Area.level == AreaLevel.community)
        .order_by(Area.path)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def community(*, session: AsyncSession, area_id: int) -> Area | None:
    area = await session.get(Area, area_id)
    return area if area is not None and area.level == AreaLevel.community else None
