"""Queries for offers: one row, an order's and a volunteer's lists, overlaps, row locks, the
volunteers' names and user accounts."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Offer, Order, Team, TeamMember, User, Volunteer, VolunteerSkill
from service.pagination import PageParams
from service.vocab import DispatchMode, OfferStatus, OrderStatus

HOLDING = (OfferStatus.accepted.value, OfferStatus.checked_in.value)


async def get_offer(*, session: AsyncSession, offer_id: int) -> Offer | None:
    return await session.get(Offer, offer_id, populate_existing=True)


async def offer_for(*, session: AsyncSession, order_id: int, volunteer_id: int) -> Offer | None:
    return await session.scalar(
        sa.select(Offer)
        .where(Offer.order_id == order_id, Offer.volunteer_id == volunteer_id)
        .execution_options(populate_existing=True)
    )


async def open_offer_of(
    *, session: AsyncSession, volunteer_id: int, code: int | None, now: datetime
) -> Offer | None:
    """The volunteer's newest offer awaiting an answer (the one numbered ``code``, if given)."""
    statement = (
        sa.select(Offer)
        .join(Order, Order.id == Offer.order_id)
        .where(
            Offer.volunteer_id == volunteer_id,
            Offer.status == OfferStatus.offered,
            sa.or_(Offer.expires_at.is_(None), Offer.expires_at > now),
        )
        .order_by(Offer.offered_at.desc(), Offer.id.desc())
        .limit(1)
    )
    if code is not None:
        statement = statement.where(Offer.id == code)
    return await session.scalar(statement)


async def lock_volunteer(*, session: AsyncSession, volunteer_id: int) -> None:
    """Serialize one volunteer's accepts, so two overlapping orders cannot both be taken.

    PostgreSQL: a row lock (bounded by lock_timeout). SQLite: FOR UPDATE is ignored, and the
    write transaction's BEGIN IMMEDIATE already serializes every writer.
    """
    await session.execute(
        sa.select(Volunteer.id).where(Volunteer.id == volunteer_id).with_for_update()
    )


async def lock_offer(*, session: AsyncSession, offer_id: int) -> None:
    """Take the offer's row lock, so a concurrent reminder sweep and this change take turns."""
    await session.execute(sa.select(Offer.id).where(Offer.id == offer_id).with_for_update())


async def offers_of_order(
    *, session: AsyncSession, order_id: int, statuses: Sequence[str] | None = None
) -> list[Offer]:
    """An order's offers (optionally only some statuses), freshly loaded, oldest first."""
    statement = sa.select(Offer).where(Offer.order_id == order_id)
    if statuses is not None:
        statement = statement.where(Offer.status.in_(list(statuses)))
    rows = await session.scalars(
        statement.order_by(Offer.id).execution_options(populate_existing=True)
    )
    return list(rows.all())


async def overlapping_order(
    *, session: AsyncSession, volunteer_id: int, order: Order, buffer: timedelta
) -> Order | None:
    """Another order the volunteer holds whose window, widened by the buffer, meets this one."""
    return await session.scalar(
        sa.select(Order)
        .join(Offer, Offer.order_id == Order.id)
        .where(
            Offer.volunteer_id == volunteer_id,
            Offer.status.in_(HOLDING),
            Order.id != order.id,
            Order.starts_at < order.ends_at + buffer,
            Order.ends_at > order.starts_at - buffer,
        )
        .order_by(Order.starts_at)
        .limit(1)
    )


async def offers_of_volunteer(
    *,
    session: AsyncSession,
    volunteer_id: int,
    page: PageParams,
    status: OfferStatus | None = None,
) -> tuple[list[tuple[Offer, Order]], int]:
    """A volunteer's offers with their orders, soonest activity first."""
    conditions = [Offer.volunteer_id == volunteer_id]
    if status is not None:
        conditions.append(Offer.status == status.value)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Offer).where(*conditions))
    rows = await session.execute(
        sa.select(Offer, Order)
        .join(Order, Order.id == Offer.order_id)
        .where(*conditions)
        .order_by(Order.starts_at, Offer.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return [tuple(row) for row in rows], int(total or 0)


async def team_member_ids(*, session: AsyncSession, team_id: int) -> set[int]:
    rows = await session.scalars(
        sa.select(TeamMember.volunteer_id).where(TeamMember.team_id == team_id)
    )
    return set(rows)


async def volunteer_names(*, session: AsyncSession, volunteer_ids: Sequence[int]) -> dict[int, str]:
    if not volunteer_ids:
        return {}
    rows = await session.execute(
        sa.select(Volunteer.id, User.name)
        .join(User, User.id == Volunteer.user_id)
        .where(Volunteer.id.in_(list(volunteer_ids)))
    )
    return {row.id: row.name for row in rows}


async def user_of_volunteer(*, session: AsyncSession, volunteer_id: int) -> int | None:
    return await session.scalar(sa.select(Volunteer.user_id).where(Volunteer.id == volunteer_id))


async def skill_ids_of_volunteers(
    *, session: AsyncSession, volunteer_ids: Collection[int]
) -> set[int]:
    """Every skill any of the volunteers has."""
    rows = await session.scalars(
        sa.select(VolunteerSkill.skill_id).where(VolunteerSkill.volunteer_id.in_(volunteer_ids))
    )
    return set(rows)


async def user_ids_in_volunteer_order(
    *, session: AsyncSession, volunteer_ids: Collection[int]
) -> list[int]:
    """The volunteers' user ids, ordered by volunteer id."""
    rows = await session.scalars(
        sa.select(Volunteer.user_id).where(Volunteer.id.in_(volunteer_ids)).order_by(Volunteer.id)
    )
    return list(rows)


# ---------------------------------------------------------------- the team leader's desk

_UNDER_WAY = tuple(
    s.value for s in (OrderStatus.published, OrderStatus.staffed, OrderStatus.in_progress)
)


async def waiting_team_orders(
    *, session: AsyncSession, team_ids: Collection[int], now: datetime
) -> list[Order]:
    """Orders dispatched to the teams that still wait for them: published, not started, before
    the deadline, with open slots; the nearest deadline first."""
    if not team_ids:
        return []
    deadline = sa.func.coalesce(Order.accept_deadline, Order.starts_at)
    rows = await session.scalars(
        sa.select(Order)
        .where(
            Order.dispatch_mode == DispatchMode.team.value,
            Order.team_id.in_(list(team_ids)),
            Order.status == OrderStatus.published.value,
            Order.starts_at > now,
            deadline > now,
            Order.accepted_count < Order.slots,
        )
        .order_by(deadline, Order.starts_at, Order.id)
    )
    return list(rows)


async def team_names(*, session: AsyncSession, team_ids: Collection[int]) -> dict[int, str]:
    if not team_ids:
        return {}
    rows = await session.execute(sa.select(Team.id, Team.name).where(Team.id.in_(team_ids)))
    return dict(rows.all())


async def area_names(*, session: AsyncSession, area_ids: Collection[int]) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(area_ids)))
    return dict(rows.all())


async def team_roster(*, session: AsyncSession, team_id: int) -> list[tuple[int, str, str]]:
    """(volunteer id, name, volunteer status) of every member of the team, by name."""
    rows = await session.execute(
        sa.select(Volunteer.id, User.name, Volunteer.status)
        .join(TeamMember, TeamMember.volunteer_id == Volunteer.id)
        .join(User, User.id == Volunteer.user_id)
        .where(TeamMember.team_id == team_id)
        .order_by(User.name, Volunteer.id)
    )
    return [tuple(row) for row in rows]


async def order_titles(*, session: AsyncSession, order_ids: Collection[int]) -> dict[int, str]:
    if not order_ids:
        return {}
    rows = await session.execute(sa.select(Order.id, Order.title).where(Order.id.in_(order_ids)))
    return dict(rows.all())


async def team_engagements(
    *, session: AsyncSession, team_ids: Collection[int], now: datetime
) -> list[tuple[Order, int, str, str, int]]:
    """(order, volunteer id, name, offer status, team id) of every member the teams send to an
    activity that has not ended, soonest first."""
    if not team_ids:
        return []
    rows = await session.execute(
        sa.select(Order, Offer.volunteer_id, User.name, Offer.status, Offer.team_id)
        .join(Offer, Offer.order_id == Order.id)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(
            Offer.team_id.in_(list(team_ids)),
            Offer.status.in_(HOLDING),
            Order.ends_at > now,
            Order.status.in_(_UNDER_WAY),
        )
        .order_by(Order.starts_at, Order.id, User.name)
    )
    return [tuple(row) for row in rows]
