"""评单: rating codes for residents, worker ratings of volunteers, and closing the loop."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.throttle import Limit, ThrottleStore, enforce_rate_limit
from service.context import ActionContext
from service.errors import Conflict, InvalidInput, NotFound
from service.evaluations import codes as rating_codes
from service.evaluations import repository
from service.lifecycle.machine import change_order_status
from service.masking import mask_name, mask_phone
from service.messages import text
from service.models import Evaluation, Order, RatingCode
from service.orders import repository as orders_repo
from service.vocab import OrderStatus, RaterKind

RATEABLE = (OrderStatus.completed, OrderStatus.evaluated)
MAX_CODES_PER_ORDER = 1000


async def issue_rating_codes(
    session: AsyncSession, *, order_id: int, count: int
) -> list[RatingCode]:
    """``count`` new unique codes for an order (collisions with existing codes are redrawn)."""
    if count <= 0:
        return []
    existing = len(await repository.codes_of_order(session=session, order_id=order_id))
    if existing + count > MAX_CODES_PER_ORDER:
        raise InvalidInput(
            text("refusal.evaluation.too_many_codes", limit=MAX_CODES_PER_ORDER), field="count"
        )
    chosen: set[str] = set()
    while len(chosen) < count:
        batch = {rating_codes.new_code() for _ in range(count - len(chosen))} - chosen
        taken = await repository.existing_codes(session=session, codes=sorted(batch))
        chosen |= batch - taken
    return await repository.add_codes(session=session, order_id=order_id, codes=sorted(chosen))


@dataclass(frozen=True)
class CodeInfo:
    code: str
    used: bool
    order: Order


async def _count_code_attempt(ctx: ActionContext, throttle: ThrottleStore, ip: str | None) -> None:
    """Every look-up or rating with a code costs one slot per IP (429 past the limit).

    Six characters of a 31-letter alphabet are only safe if nobody can try them quickly.
    """
    key = f"rating-code:ip:{(ip or 'unknown')[:64]}"
    limit = Limit(key=key, max_failures=ctx.settings.rating_code_max_attempts)
    await enforce_rate_limit(throttle, [limit], now=ctx.now)


async def look_up_code(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    raw_code: str,
    throttle: ThrottleStore,
    ip: str | None,
) -> CodeInfo:
    """What a rating link shows before the resident rates: which activity, still usable or not."""
    await _count_code_attempt(ctx, throttle, ip)
    code = rating_codes.normalize(raw_code)
    row = (
        await repository.code(session=session, code=code)
        if rating_codes.looks_valid(code)
        else None
    )
    if row is None:
        raise NotFound(text("refusal.evaluation.code_invalid"))
    order = await repository.get_order(session=session, order_id=row.order_id)
    return CodeInfo(code=row.code, used=row.used_at is not None, order=order)


async def rate_with_code(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    raw_code: str,
    stars: int,
    comment: str,
    throttle: ThrottleStore,
    ip: str | None,
) -> Evaluation:
    """A resident rates the activity; each code counts once, whoever holds it (no login)."""
    await _count_code_attempt(ctx, throttle, ip)
    code = rating_codes.normalize(raw_code)
    if not rating_codes.looks_valid(code):
        raise NotFound(text("refusal.evaluation.code_invalid"))
    spent = await repository.use_code(session=session, code=code, now=ctx.now)
    if spent is None:
        if await repository.code(session=session, code=code) is None:
            raise NotFound(text("refusal.evaluation.code_invalid"))
        raise Conflict(text("refusal.evaluation.code_used"), code="code_used")
    code_id, order_id = spent
    return await repository.add_evaluation(
        session=session,
        evaluation=Evaluation(
            order_id=order_id,
            rater_kind=RaterKind.resident,
            rater_user_id=ctx.actor.user_id,
            rating_code_id=code_id,
            stars=stars,
            comment=comment,
            created_at=ctx.now,
        ),
    )


def ensure_rateable(order: Order) -> None:
    """Volunteers are rated once the activity is confirmed as completed (409 before)."""
    if order.status not in RATEABLE:
        raise Conflict(text("refusal.evaluation.not_completed"), code="not_completed")


async def rate_volunteer(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    order: Order,
    volunteer_id: int,
    stars: int,
    comment: str,
) -> tuple[Evaluation, bool]:
    """The worker rates one volunteer who served; returns (rating, order now evaluated)."""
    # Ratings of one order are decided one at a time.
    order = await orders_repo.lock_order(session=session, order_id=order.id)
    ensure_rateable(order)
    served = await repository.completed_volunteer_ids(session=session, order_id=order.id)
    if volunteer_id not in served:
        raise InvalidInput(text("refusal.evaluation.not_served"), field="volunteer_id")
    if await repository.worker_rating_exists(
        session=session, order_id=order.id, volunteer_id=volunteer_id
    ):
        raise Conflict(text("refusal.evaluation.already_rated"), code="already_rated")
    evaluation = await repository.add_evaluation(
        session=session,
        evaluation=Evaluation(
            order_id=order.id,
            volunteer_id=volunteer_id,
            rater_kind=RaterKind.worker,
            rater_user_id=ctx.actor.user_id,
            stars=stars,
            comment=comment,
            created_at=ctx.now,
        ),
    )
    # Reliability figures feed matching: update them in the same transaction as the rating.
    await repository.add_to_volunteer_rating(
        session=session, volunteer_id=volunteer_id, stars=stars
    )
    rated = await repository.worker_rated_volunteer_ids(session=session, order_id=order.id)
    closed = False
    if order.status == OrderStatus.completed and served <= rated:
        await change_order_status(
            session, ctx, order_id=order.id, to=OrderStatus.evaluated, reason="社区已评价全部志愿者"
        )
        closed = True
    return evaluation, closed


async def summary(
    session: AsyncSession, *, order: Order
) -> tuple[list[Evaluation], list[RatingCode]]:
    return (
        await repository.evaluations_of_order(session=session, order_id=order.id),
        await repository.codes_of_order(session=session, order_id=order.id),
    )


async def add_rating_codes(session: AsyncSession, *, order: Order, count: int) -> list[RatingCode]:
    """More codes for an order that took place (追加评价码); before completion there are none."""
    if order.status not in RATEABLE:
        raise Conflict(text("refusal.evaluation.codes_not_completed"), code="not_completed")
    return await issue_rating_codes(session, order_id=order.id, count=count)


@dataclass(frozen=True)
class ServedVolunteer:
    """A volunteer who served on an order, and the worker's rating of them if given."""

    volunteer_id: int
    name: str  # masked
    phone: str | None  # masked
    hours: float | None
    rating: Evaluation | None


async def volunteers_to_rate(session: AsyncSession, *, order: Order) -> list[ServedVolunteer]:
    """Everyone who served on the order (whom ``rate_volunteer`` accepts), with their rating."""
    served = await repository.served_volunteers(session=session, order_id=order.id)
    ratings = {
        evaluation.volunteer_id: evaluation
        for evaluation in await repository.evaluations_of_order(session=session, order_id=order.id)
        if evaluation.rater_kind == RaterKind.worker
    }
    return [
        ServedVolunteer(
            volunteer_id=volunteer_id,
            name=mask_name(name),
            phone=mask_phone(phone),
            hours=hours,
            rating=ratings.get(volunteer_id),
        )
        for volunteer_id, name, phone, hours in served
    ]
