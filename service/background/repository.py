"""The sweeps' queries: which rows are due, claimed so that concurrent workers split them.

Claims use ``FOR UPDATE SKIP LOCKED`` on PostgreSQL (a row another worker holds is skipped, not
waited for); on SQLite the write transaction already serializes the processes.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Offer, Order, Volunteer
from service.vocab import OfferStatus, OrderStatus

BATCH = 100
UNCONFIRMED = "unconfirmed"


async def locked_order(*, session: AsyncSession, order_id: int) -> Order | None:
    """The order row if nobody else holds it (PostgreSQL SKIP LOCKED; SQLite: plain read)."""
    return await session.scalar(
        sa.select(Order)
        .where(Order.id == order_id)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )


async def orders_with_expired_offers(*, session: AsyncSession, now: datetime) -> list[int]:
    """Orders with at least one offer past its expiry still waiting for an answer."""
    return list(
        await session.scalars(
            sa.select(Offer.order_id)
            .where(Offer.status == OfferStatus.offered.value, Offer.expires_at <= now)
            .group_by(Offer.order_id)
            .order_by(Offer.order_id)
            .limit(BATCH)
        )
    )


async def expired_offer_ids(*, session: AsyncSession, order_id: int, now: datetime) -> list[int]:
    return list(
        await session.scalars(
            sa.select(Offer.id).where(
                Offer.order_id == order_id,
                Offer.status == OfferStatus.offered.value,
                Offer.expires_at <= now,
            )
        )
    )


def _deadline_passed(now: datetime):
    """Published with open slots, and the acceptance deadline (or, without one, the start) past."""
    return sa.and_(
        Order.status == OrderStatus.published.value,
        Order.accepted_count < Order.slots,
        sa.or_(
            Order.accept_deadline <= now,
            sa.and_(Order.accept_deadline.is_(None), Order.starts_at <= now),
        ),
    )


async def orders_past_deadline(*, session: AsyncSession, now: datetime) -> list[int]:
    return list(
        await session.scalars(
            sa.select(Order.id).where(_deadline_passed(now)).order_by(Order.id).limit(BATCH)
        )
    )


async def still_past_deadline(*, session: AsyncSession, order_id: int, now: datetime) -> bool:
    """Re-checked under the lock: an accept may have filled it, or it was cancelled, meanwhile."""
    found = await session.scalar(
        sa.select(Order.id).where(Order.id == order_id, _deadline_passed(now))
    )
    return found is not None


def _awaiting_confirmation(now: datetime):
    """Accepted, not yet confirmed, for an activity that has not started."""
    return sa.and_(
        Offer.status == OfferStatus.accepted.value,
        Offer.confirmed_at.is_(None),
        Order.starts_at > now,
    )


def _unflagged():
    # The flags column is JSON on SQLite and JSONB on PostgreSQL; both print a string
    # element with its quotes, so one LIKE works on either without a dialect branch.
    return sa.cast(Offer.flags, sa.Text).not_like(f'%"{UNCONFIRMED}"%')


async def _locked_rows(session: AsyncSession, *conditions):
    """Offers (with order and volunteer's user) no other sweep holds, oldest first."""
    return (
        await session.execute(
            sa.select(Offer, Order, Volunteer.user_id)
            .join(Order, Order.id == Offer.order_id)
            .join(Volunteer, Volunteer.id == Offer.volunteer_id)
            .where(*conditions)
            .order_by(Offer.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True, of=Offer)
        )
    ).all()


async def offers_to_remind(*, session: AsyncSession, now: datetime, until: datetime):
    """Accepted offers never reminded whose activity starts before ``until``."""
    return await _locked_rows(
        session, _awaiting_confirmation(now), Offer.reminded_at.is_(None), Order.starts_at <= until
    )


async def offers_to_flag_unconfirmed(
    *, session: AsyncSession, now: datetime, reminded_before: datetime, until: datetime
):
    """Reminded long enough ago, still unconfirmed, starting before ``until``, not yet flagged."""
    return await _locked_rows(
        session,
        _awaiting_confirmation(now),
        Offer.reminded_at <= reminded_before,
        Order.starts_at <= until,
        _unflagged(),
    )
