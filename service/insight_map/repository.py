"""Queries for the activity map: the areas in view, orders by status group (one by one or
counted per community), and active volunteers counted per community — never their homes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Order, Volunteer
from service.vocab import OrderStatus, VolunteerStatus

OPEN, UNFILLED, DONE = "open", "unfilled", "done"
STATUS_GROUPS = (OPEN, UNFILLED, DONE)


@dataclass(frozen=True)
class Window:
    """Orders starting in [start, end) (UTC), as seen at ``now``."""

    start: datetime
    end: datetime
    now: datetime


def status_group(now: datetime):
    """The status group of an order as a SQL expression (NULL for drafts, staffed, running and
    cancelled orders, which the map does not draw).

    open: published, places left, nobody flagged it and it has not started; unfilled: expired,
    flagged as needing a coordinator, or its start passed while places were still open (it
    ended short); done: completed or evaluated."""
    published = Order.status == OrderStatus.published.value
    return sa.case(
        (Order.status.in_([OrderStatus.completed.value, OrderStatus.evaluated.value]), DONE),
        (Order.status == OrderStatus.expired.value, UNFILLED),
        (
            sa.and_(
                published, sa.or_(Order.needs_attention_at.is_not(None), Order.starts_at <= now)
            ),
            UNFILLED,
        ),
        (sa.and_(published, Order.accepted_count < Order.slots), OPEN),
        else_=sa.null(),
    )


def _orders_where(scope: sa.Select | None, window: Window, group: str | None, grouped):
    conditions = [
        Order.starts_at >= window.start,
        Order.starts_at < window.end,
        # Only statuses that can fall into a group: keeps the CASE off most rows.
        Order.status.in_(
            [
                OrderStatus.published.value,
                OrderStatus.expired.value,
                OrderStatus.completed.value,
                OrderStatus.evaluated.value,
            ]
        ),
        grouped == group if group else grouped.is_not(None),
    ]
    if scope is not None:
        conditions.append(Order.community_id.in_(scope))
    return conditions


async def areas_in_view(*, session: AsyncSession, scope: sa.Select | None) -> list[sa.Row]:
    """(id, name, level, parent_id, path, lat, lng) of every area in ``scope`` (None: all)."""
    statement = sa.select(
        Area.id, Area.name, Area.level, Area.parent_id, Area.path, Area.lat, Area.lng
    ).order_by(Area.code)
    if scope is not None:
        statement = statement.where(Area.id.in_(scope))
    return list((await session.execute(statement)).all())


async def orders_one_by_one(
    *, session: AsyncSession, scope: sa.Select | None, window: Window, group: str | None
) -> list[sa.Row]:
    """(id, title, starts_at, community_id, venue_name, lat, lng, slots, accepted, group) of each
    order to draw, soonest first."""
    grouped = status_group(window.now).label("group")
    statement = (
        sa.select(
            Order.id,
            Order.title,
            Order.starts_at,
            Order.community_id,
            Order.venue_name,
            Order.venue_lat.label("lat"),
            Order.venue_lng.label("lng"),
            Order.slots,
            Order.accepted_count.label("accepted"),
            grouped,
        )
        .where(*_orders_where(scope, window, group, status_group(window.now)))
        .order_by(Order.starts_at, Order.id)
    )
    return list((await session.execute(statement)).all())


async def orders_per_community(
    *, session: AsyncSession, scope: sa.Select | None, window: Window, group: str | None
) -> list[sa.Row]:
    """(community_id, group, orders, slots, accepted) per community and status group."""
    grouped = status_group(window.now)
    statement = (
        sa.select(
            Order.community_id,
            grouped.label("group"),
            sa.func.count().label("orders"),
            sa.func.sum(Order.slots).label("slots"),
            sa.func.sum(Order.accepted_count).label("accepted"),
        )
        .where(*_orders_where(scope, window, group, grouped))
        .group_by(Order.community_id, grouped)
    )
    return list((await session.execute(statement)).all())


async def active_volunteers_per_community(
    *, session: AsyncSession, scope: sa.Select | None
) -> dict[int, int]:
    """Home community id → number of active volunteers living there. Only counts leave the
    database: a volunteer's home point is theirs alone (policy.can_see_home_location)."""
    statement = (
        sa.select(Volunteer.home_area_id, sa.func.count())
        .where(Volunteer.status == VolunteerStatus.active.value)
        .group_by(Volunteer.home_area_id)
    )
    if scope is not None:
        statement = statement.where(Volunteer.home_area_id.in_(scope))
    return {area_id: int(count) for area_id, count in (await session.execute(statement)).all()}
