"""Queries of the volunteer's own pages: their offers with the orders, the orders they already
answered, and the digest of their calendar feed key."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Area, Offer, Order, Volunteer
from service.vocab import OfferStatus


async def offers_with_orders(
    *,
    session: AsyncSession,
    volunteer_id: int,
    statuses: Collection[OfferStatus],
    ends_after: datetime | None = None,
    ends_before: datetime | None = None,
    newest_first: bool = False,
    offer_id: int | None = None,
    limit: int = 200,
) -> list[tuple[Offer, Order]]:
    """(offer, order) pairs of one volunteer's offers in ``statuses``, by the order's start
    (only the offer ``offer_id`` when given: another volunteer's offer is simply not found)."""
    conditions = [
        Offer.volunteer_id == volunteer_id,
        Offer.status.in_([status.value for status in statuses]),
    ]
    if offer_id is not None:
        conditions.append(Offer.id == offer_id)
    if ends_after is not None:
        conditions.append(Order.ends_at > ends_after)
    if ends_before is not None:
        conditions.append(Order.ends_at <= ends_before)
    start = Order.starts_at.desc() if newest_first else Order.starts_at
    rows = await session.execute(
        sa.select(Offer, Order)
        .join(Order, Order.id == Offer.order_id)
        .where(*conditions)
        .order_by(start, Offer.id)
        .limit(limit)
    )
    return [tuple(row) for row in rows.all()]


async def waiting_offers(
    *, session: AsyncSession, volunteer_id: int, now: datetime
) -> list[tuple[Offer, Order]]:
    """Invitations still waiting for the volunteer's answer (not expired, not started)."""
    rows = await session.execute(
        sa.select(Offer, Order)
        .join(Order, Order.id == Offer.order_id)
        .where(
            Offer.volunteer_id == volunteer_id,
            Offer.status == OfferStatus.offered.value,
            sa.or_(Offer.expires_at.is_(None), Offer.expires_at > now),
            Order.starts_at > now,
        )
        .order_by(sa.func.coalesce(Offer.expires_at, Order.starts_at), Offer.id)
    )
    return [tuple(row) for row in rows.all()]


async def answered_order_ids(
    *, session: AsyncSession, volunteer_id: int, order_ids: Collection[int]
) -> set[int]:
    """Those of ``order_ids`` the volunteer has an offer row for that is not withdrawn (an
    invitation, an acceptance, a decline…): the open list does not offer them again."""
    if not order_ids:
        return set()
    rows = await session.scalars(
        sa.select(Offer.order_id).where(
            Offer.volunteer_id == volunteer_id,
            Offer.order_id.in_(list(order_ids)),
            Offer.status != OfferStatus.withdrawn.value,
        )
    )
    return set(rows)


async def community_names(*, session: AsyncSession, area_ids: Collection[int]) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(list(area_ids))))
    return {area_id: name for area_id, name in rows}


async def get_volunteer(*, session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def volunteer_with_calendar_digest(*, session: AsyncSession, digest: str) -> Volunteer | None:
    return await session.scalar(sa.select(Volunteer).where(Volunteer.calendar_key_digest == digest))


async def set_calendar_digest(
    *, session: AsyncSession, volunteer_id: int, digest: str | None
) -> None:
    """Store (or clear) the digest of the volunteer's feed key; the old key stops working."""
    await session.execute(
        sa.update(Volunteer.__table__)
        .where(Volunteer.__table__.c.id == volunteer_id)
        .values(calendar_key_digest=digest)
    )
