"""Queries on rating codes and evaluations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Evaluation, Offer, Order, RatingCode, ServiceRecord, User, Volunteer
from service.vocab import OfferStatus, RaterKind

_codes = RatingCode.__table__


async def existing_codes(*, session: AsyncSession, codes: Sequence[str]) -> set[str]:
    rows = await session.scalars(sa.select(RatingCode.code).where(RatingCode.code.in_(list(codes))))
    return set(rows.all())


async def add_codes(
    *, session: AsyncSession, order_id: int, codes: Sequence[str]
) -> list[RatingCode]:
    rows = [RatingCode(order_id=order_id, code=code) for code in codes]
    session.add_all(rows)
    await session.flush()
    return rows


async def codes_of_order(*, session: AsyncSession, order_id: int) -> list[RatingCode]:
    rows = await session.scalars(
        sa.select(RatingCode).where(RatingCode.order_id == order_id).order_by(RatingCode.id)
    )
    return list(rows.all())


async def code(*, session: AsyncSession, code: str) -> RatingCode | None:
    return await session.scalar(sa.select(RatingCode).where(RatingCode.code == code))


async def use_code(*, session: AsyncSession, code: str, now: datetime) -> tuple[int, int] | None:
    """Spend a code once: (code id, order id), or None when it is unknown or already used.

    The guarded UPDATE is the single-use rule; UNIQUE(rating_code_id) on evaluations backs it up.
    """
    result = await session.execute(
        sa.update(_codes)
        .where(_codes.c.code == code, _codes.c.used_at.is_(None))
        .values(used_at=now)
        .returning(_codes.c.id, _codes.c.order_id)
    )
    row = result.first()
    return (row.id, row.order_id) if row else None


async def get_order(*, session: AsyncSession, order_id: int) -> Order | None:
    return await session.get(Order, order_id)


async def add_evaluation(*, session: AsyncSession, evaluation: Evaluation) -> Evaluation:
    session.add(evaluation)
    await session.flush()
    return evaluation


async def worker_rating_exists(*, session: AsyncSession, order_id: int, volunteer_id: int) -> bool:
    found = await session.scalar(
        sa.select(Evaluation.id).where(
            Evaluation.order_id == order_id,
            Evaluation.volunteer_id == volunteer_id,
            Evaluation.rater_kind == RaterKind.worker,
        )
    )
    return found is not None


async def completed_volunteer_ids(*, session: AsyncSession, order_id: int) -> set[int]:
    rows = await session.scalars(
        sa.select(Offer.volunteer_id).where(
            Offer.order_id == order_id, Offer.status == OfferStatus.completed
        )
    )
    return set(rows.all())


async def worker_rated_volunteer_ids(*, session: AsyncSession, order_id: int) -> set[int]:
    rows = await session.scalars(
        sa.select(Evaluation.volunteer_id).where(
            Evaluation.order_id == order_id, Evaluation.rater_kind == RaterKind.worker
        )
    )
    return set(rows.all())


async def add_to_volunteer_rating(*, session: AsyncSession, volunteer_id: int, stars: int) -> None:
    """Fold one rating into the running average in one statement (concurrent raters queue)."""
    table = Volunteer.__table__
    count = table.c.rating_count
    await session.execute(
        sa.update(table)
        .where(table.c.id == volunteer_id)
        .values(
            rating_avg=(sa.func.coalesce(table.c.rating_avg, 0.0) * count + stars) / (count + 1),
            rating_count=count + 1,
        )
    )


async def evaluations_of_order(*, session: AsyncSession, order_id: int) -> list[Evaluation]:
    rows = await session.scalars(
        sa.select(Evaluation).where(Evaluation.order_id == order_id).order_by(Evaluation.id)
    )
    return list(rows.all())


async def served_volunteers(
    *, session: AsyncSession, order_id: int
) -> list[tuple[int, str, str | None, float | None]]:
    """(volunteer id, name, phone, recorded hours) of everyone who served on the order."""
    rows = await session.execute(
        sa.select(Offer.volunteer_id, User.name, User.phone, ServiceRecord.hours)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .outerjoin(
            ServiceRecord,
            sa.and_(
                ServiceRecord.order_id == Offer.order_id,
                ServiceRecord.volunteer_id == Offer.volunteer_id,
            ),
        )
        .where(Offer.order_id == order_id, Offer.status == OfferStatus.completed)
        .order_by(Offer.id)
    )
    return [(row[0], row[1], row[2], row[3]) for row in rows]
