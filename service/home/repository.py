"""Queries behind the home page."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Order, ServiceRecord, Volunteer
from service.vocab import OrderStatus, VolunteerStatus

PUBLIC_STATUSES = (OrderStatus.published, OrderStatus.staffed)


async def upcoming_orders(*, session: AsyncSession, now: datetime, limit: int) -> list[dict]:
    """Published or staffed activities that have not started yet, soonest first."""
    statement = (
        sa.select(
            Order.id,
            Order.title,
            Order.starts_at,
            Order.venue_name,
            Order.slots,
            Order.accepted_count,
            Order.target_group,
            Area.name.label("community_name"),
        )
        .join(Area, Area.id == Order.community_id)
        .where(Order.status.in_(PUBLIC_STATUSES), Order.starts_at > now)
        .order_by(Order.starts_at, Order.id)
        .limit(limit)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def headline_figures(*, session: AsyncSession, now: datetime) -> dict:
    """Counts shown on the home page: active volunteers, completed activities, hours served."""
    volunteers = await session.scalar(
        sa.select(sa.func.count()).where(Volunteer.status == VolunteerStatus.active)
    )
    completed = await session.scalar(
        sa.select(sa.func.count()).where(
            Order.status.in_((OrderStatus.completed, OrderStatus.evaluated))
        )
    )
    hours = await session.scalar(sa.select(sa.func.coalesce(sa.func.sum(ServiceRecord.hours), 0)))
    return {"volunteers": volunteers or 0, "completed": completed or 0, "hours": float(hours or 0)}
