"""Queries for the coordinator's queue: names of places and teams, who was asked, which teams
could staff an order, and the queue's version for the live notice."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Offer, Order, Team, TeamMember
from service.vocab import OrderStatus

QUEUED = (OrderStatus.published.value, OrderStatus.expired.value)


async def areas_by_id(*, session: AsyncSession, area_ids: Collection[int]) -> dict[int, Area]:
    """The areas of ``area_ids`` (communities and their streets), by id."""
    if not area_ids:
        return {}
    rows = await session.scalars(sa.select(Area).where(Area.id.in_(list(area_ids))))
    return {area.id: area for area in rows}


async def offer_statuses(
    *, session: AsyncSession, order_ids: Collection[int]
) -> dict[int, list[tuple[int, str]]]:
    """Order id → (volunteer id, offer status) of every offer ever made for it."""
    found: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not order_ids:
        return found
    rows = await session.execute(
        sa.select(Offer.order_id, Offer.volunteer_id, Offer.status).where(
            Offer.order_id.in_(list(order_ids))
        )
    )
    for order_id, volunteer_id, status in rows:
        found[order_id].append((volunteer_id, status))
    return found


async def team_names(*, session: AsyncSession, team_ids: Collection[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    rows = await session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(list(team_ids))))
    return dict(rows.all())


async def active_teams_with_members(
    *, session: AsyncSession, base_areas: sa.Select | None
) -> list[tuple[Team, int | None, list[int]]]:
    """(team, street id of its base, member volunteer ids) of every active team whose base
    lies in ``base_areas`` (a select of area ids; None: everywhere)."""
    statement = (
        sa.select(Team, Area.parent_id)
        .join(Area, Area.id == Team.base_area_id)
        .where(Team.active.is_(True))
        .order_by(Team.id)
    )
    if base_areas is not None:
        statement = statement.where(Team.base_area_id.in_(base_areas))
    teams = [tuple(row) for row in (await session.execute(statement)).all()]
    if not teams:
        return []
    members: dict[int, list[int]] = defaultdict(list)
    rows = await session.execute(
        sa.select(TeamMember.team_id, TeamMember.volunteer_id)
        .where(TeamMember.team_id.in_([team.id for team, _ in teams]))
        .order_by(TeamMember.volunteer_id)
    )
    for team_id, volunteer_id in rows:
        members[team_id].append(volunteer_id)
    return [(team, street_id, members[team.id]) for team, street_id in teams]


async def queue_version(*, session: AsyncSession, scope) -> str:
    """A short fingerprint of the queue inside ``scope``: it moves when an item comes or goes."""
    row = (
        await session.execute(
            sa.select(
                sa.func.count(), sa.func.max(Order.needs_attention_at), sa.func.sum(Order.id)
            ).where(scope, Order.needs_attention_at.is_not(None), Order.status.in_(QUEUED))
        )
    ).one()
    count, latest, ids = row
    stamp = latest.isoformat() if latest is not None else "-"
    return f"{int(count or 0)}.{int(ids or 0)}.{stamp}"


async def is_queued(*, session: AsyncSession, order_id: int) -> bool:
    """Whether the order is (still) in the coordinator's queue."""
    found = await session.scalar(
        sa.select(Order.id).where(
            Order.id == order_id,
            Order.needs_attention_at.is_not(None),
            Order.status.in_(QUEUED),
        )
    )
    return found is not None
