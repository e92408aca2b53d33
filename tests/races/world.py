"""Seed an open order and many volunteers with bearer tokens, straight into a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Offer, Order
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)


@dataclass
class RaceWorld:
    order_id: int
    volunteer_tokens: list[str]
    worker_token: str
    community_id: int


async def seed_open_order(
    session: AsyncSession,
    *,
    volunteers: int,
    slots: int,
    now: datetime,
    accept_deadline: datetime | None = None,
) -> RaceWorld:
    """An open, published order needing ``slots`` people, and ``volunteers`` eligible people."""
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    order = await make_order(
        session,
        community=community,
        starts_at=now + timedelta(days=3),
        skills=[skill],
        slots=slots,
        status=OrderStatus.published,
        dispatch_mode=DispatchMode.open,
        accept_deadline=accept_deadline,
        published_at=now,
    )
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    worker_token = await make_api_token(session, user_id=worker.id)
    tokens = []
    for _ in range(volunteers):
        volunteer = await make_volunteer(session, home_area=community, skills=[skill])
        tokens.append(await make_api_token(session, user_id=volunteer.user_id))
    await session.commit()
    return RaceWorld(order.id, tokens, worker_token, community.id)


async def staffing_of(session: AsyncSession, order_id: int) -> tuple[str, int, int]:
    """(status, accepted_count, number of accepted offer rows) as the database holds them."""
    status, count = (
        await session.execute(
            sa.select(Order.status, Order.accepted_count).where(Order.id == order_id)
        )
    ).one()
    rows = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Offer)
        .where(
            Offer.order_id == order_id,
            Offer.status.in_([OfferStatus.accepted.value, OfferStatus.checked_in.value]),
        )
    )
    return status, count, rows
