"""Seed an open order and many volunteers with bearer tokens, straight into a database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import ApiToken, Offer, Order
from service.tokens import hash_secret
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import make_area_tree, make_order, make_skill, make_user, make_volunteer


@dataclass
class RaceWorld:
    order_id: int
    volunteer_tokens: list[str]
    worker_token: str
    community_id: int


async def give_token(session: AsyncSession, user_id: int, secret: str) -> str:
    """A bearer token for a user (the API resolves it like a real personal access token)."""
    session.add(ApiToken(user_id=user_id, name="race", token_hash=hash_secret(secret)))
    await session.flush()
    return secret


async def seed_open_order(
    session: AsyncSession,
    *,
    volunteers: int,
    slots: int,
    now: datetime,
    tag: str = "r",
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
    worker_token = await give_token(session, worker.id, f"kp_{tag}_worker_{order.id}")
    tokens = []
    for n in range(volunteers):
        volunteer = await make_volunteer(session, home_area=community, skills=[skill])
        tokens.append(await give_token(session, volunteer.user_id, f"kp_{tag}_{order.id}_{n}"))
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


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
