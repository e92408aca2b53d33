"""评单 and what stays after an activity: rating codes, evaluations, service hours, reliability."""

from __future__ import annotations

from collections import defaultdict

from service.demo.activities_data import RESIDENT_COMMENTS, WORKER_COMMENTS
from service.demo.seed_orders import HOUR, OrderPlan
from service.demo.world import DemoWorld
from service.evaluations import codes
from service.models import Evaluation, RatingCode, ServiceRecord
from service.vocab import OfferStatus, OrderStatus, RaterKind

STARS, STAR_WEIGHTS = (5, 4, 3, 2), (60, 30, 8, 2)


def rating_code(world: DemoWorld, taken: set[str]) -> str:
    while True:
        # The service's own alphabet and length: a demo code must be one the rating page takes.
        code = "".join(world.rng.choices(codes.ALPHABET, k=codes.LENGTH))
        if code not in taken:
            taken.add(code)
            return code


def hours_served(offer) -> float:
    """Check-in to check-out, rounded to the half hour as the community confirms it."""
    hours = (offer.checked_out_at - offer.checked_in_at) / HOUR
    return max(0.5, round(hours * 2) / 2)


async def seed_ratings(world: DemoWorld, plans: list[OrderPlan]) -> None:
    """Codes for finished activities (used ones for evaluated orders), worker ratings per
    volunteer, service records for completed offers, then each volunteer's counters."""
    rng = world.rng
    finished = [
        p for p in plans if p.order.status in (OrderStatus.completed, OrderStatus.evaluated)
    ]
    taken: set[str] = set()
    codes: list[tuple[OrderPlan, RatingCode]] = []
    for plan in finished:
        issued = rng.randint(5, 12)
        used = rng.randint(3, 8) if plan.evaluated_at else 0
        span = max(int((plan.evaluated_at - plan.order.ends_at) / HOUR), 1) if used else 0
        for index in range(issued):
            code = RatingCode(order_id=plan.order.id, code=rating_code(world, taken))
            if index < used:
                code.used_at = plan.order.ends_at + rng.randint(0, span) * HOUR
            codes.append((plan, code))
    await world.insert([code for _plan, code in codes])

    evaluations, records = [], []
    for plan, code in codes:
        if code.used_at:
            evaluations.append(
                Evaluation(
                    order_id=plan.order.id,
                    rater_kind=RaterKind.resident,
                    rating_code_id=code.id,
                    stars=rng.choices(STARS, STAR_WEIGHTS)[0],
                    comment=rng.choice(RESIDENT_COMMENTS),
                    created_at=code.used_at,
                )
            )
    for plan in finished:
        for offer in plan.accepted:
            if offer.status != OfferStatus.completed:
                continue
            records.append(
                ServiceRecord(
                    order_id=plan.order.id,
                    volunteer_id=offer.volunteer_id,
                    hours=hours_served(offer),
                    started_at=offer.checked_in_at,
                    ended_at=offer.checked_out_at,
                    confirmed_by_user_id=plan.worker.id,
                    confirmed_at=plan.confirmed_at,
                    flags=list(offer.flags),
                )
            )
            if plan.evaluated_at:
                evaluations.append(
                    Evaluation(
                        order_id=plan.order.id,
                        volunteer_id=offer.volunteer_id,
                        rater_kind=RaterKind.worker,
                        rater_user_id=plan.worker.id,
                        stars=rng.choices(STARS, STAR_WEIGHTS)[0],
                        comment=rng.choice(WORKER_COMMENTS),
                        created_at=plan.evaluated_at,
                    )
                )
    await world.insert(evaluations, need_ids=False)
    await world.insert(records, need_ids=False)
    update_reliability(world, plans, evaluations)
    await world.session.flush()


def update_reliability(world: DemoWorld, plans: list[OrderPlan], evaluations) -> None:
    """Counters derived from the history just written, so profiles and history agree."""
    completed, no_show = defaultdict(int), defaultdict(int)
    for plan in plans:
        for offer in plan.accepted:
            if offer.status == OfferStatus.completed:
                completed[offer.volunteer_id] += 1
            elif offer.status == OfferStatus.no_show:
                no_show[offer.volunteer_id] += 1
    stars = defaultdict(list)
    for evaluation in evaluations:
        if evaluation.rater_kind == RaterKind.worker:
            stars[evaluation.volunteer_id].append(evaluation.stars)
    for volunteer in world.volunteers:
        volunteer.completed_count = completed[volunteer.id]
        volunteer.no_show_count = no_show[volunteer.id]
        given = stars[volunteer.id]
        volunteer.rating_count = len(given)
        volunteer.rating_avg = round(sum(given) / len(given), 2) if given else None
