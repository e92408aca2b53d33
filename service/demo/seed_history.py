"""Each order's story up to ``now``: offers, check-in/out, and the event log that got it there."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from service.demo.geo import distance_km
from service.demo.seed_offers import HALF_HOUR, Calendar, OfferStory, offers_for, pending_offers
from service.demo.seed_orders import HOUR, OrderPlan
from service.demo.seed_places import jitter
from service.demo.timing import LOCAL
from service.demo.world import DemoWorld
from service.dispatch.disclosure import distance_band
from service.localtime import local_text
from service.messages import text
from service.models import Notification
from service.vocab import OfferStatus, OrderStatus, Role, VolunteerStatus

ACCEPTED_LIKE = (
    OfferStatus.accepted,
    OfferStatus.checked_in,
    OfferStatus.completed,
    OfferStatus.no_show,
)
STAFFED_OR_LATER = (
    OrderStatus.staffed,
    OrderStatus.in_progress,
    OrderStatus.completed,
    OrderStatus.evaluated,
)
NO_SHOW_RATE = 0.07


def accepted_target(world: DemoWorld, plan: OrderPlan) -> tuple[int, datetime | None]:
    """How many accepted before the story's cut-off, and that cut-off (None: nobody was asked)."""
    order, now = plan.order, world.now_floor
    if order.published_at is None:
        return 0, None
    if order.status in STAFFED_OR_LATER:
        return order.slots, order.staffed_at
    open_count = world.rng.randint(0, order.slots - 1)
    if order.status == OrderStatus.cancelled:
        return open_count, plan.cancelled_at - HALF_HOUR
    return open_count, min(order.accept_deadline, now - HOUR)


def attend(world: DemoWorld, plan: OrderPlan, stories: list[OfferStory]) -> None:
    """Check-in on the day; after the activity the worker confirms completion or a no-show."""
    order, rng = plan.order, world.rng
    worker = plan.worker.id
    for index, story in enumerate(stories):
        offer = story.offer
        if offer.status != OfferStatus.accepted:
            continue
        reminder = order.starts_at - 24 * HOUR
        if offer.responded_at < reminder <= world.now_floor:
            offer.reminded_at = reminder
        if order.status in (OrderStatus.published, OrderStatus.staffed):
            continue
        finished = order.status in (OrderStatus.completed, OrderStatus.evaluated)
        if finished and index > 0 and rng.random() < NO_SHOW_RATE:
            offer.confirmed_at = plan.confirmed_at
            story.step(OfferStatus.no_show, plan.confirmed_at, worker, Role.worker)
            continue
        checked_in = order.starts_at + timedelta(minutes=rng.randint(-20, 10))
        if not finished and (checked_in > world.now or rng.random() < 0.15):
            continue  # in progress and not here yet
        offer.checked_in_at = checked_in
        offer.check_in_lat, offer.check_in_lng = jitter(
            rng, order.venue_lat, order.venue_lng, 0.0008
        )
        if rng.random() < 0.04:
            offer.flags = ["outside_geofence"]
        story.step(
            OfferStatus.checked_in,
            checked_in,
            world.volunteer_user[offer.volunteer_id].id,
            Role.volunteer,
        )
        if finished:
            offer.checked_out_at = order.ends_at + timedelta(minutes=rng.randint(-10, 25))
            offer.confirmed_at = plan.confirmed_at
            story.step(OfferStatus.completed, plan.confirmed_at, worker, Role.worker)


def withdraw_on_cancel(plan: OrderPlan, stories: list[OfferStory]) -> None:
    """A cancelled order releases its volunteers (they are told)."""
    for story in stories:
        if story.offer.status in (OfferStatus.accepted, OfferStatus.offered):
            story.step(
                OfferStatus.withdrawn, plan.cancelled_at, plan.worker.id, Role.worker, "活动取消"
            )


def suggestion_for(world: DemoWorld, plan: OrderPlan, asked: set[int]) -> dict:
    """What the coordinator is told: who is just outside the radius, and how far to widen it."""
    order = plan.order
    wanted = set(plan.skill_ids)
    outside = []
    for volunteer in world.volunteers:
        if volunteer.status != VolunteerStatus.active or volunteer.id in asked:
            continue
        if not world.volunteer_skills[volunteer.id] & wanted:
            continue
        distance = distance_km(
            volunteer.home_lat, volunteer.home_lng, order.venue_lat, order.venue_lng
        )
        if distance > min(volunteer.radius_km, order.max_distance_km):
            outside.append((round(distance, 1), volunteer))
    outside.sort(key=lambda pair: (pair[0], pair[1].id))
    nearest = outside[:3]
    # Whole kilometres: the radius must not repeat a volunteer's exact distance.
    widen_to = float(math.ceil(max([order.max_distance_km + 5, *(d for d, _ in nearest)])))
    return {
        "kind": "widen_radius",
        "text": f"截止时仍缺 {order.slots - order.accepted_count} 人；放宽到 {widen_to:.0f} km 可增加候选志愿者",
        "radius_km": widen_to,
        "just_outside": [
            {
                "volunteer_id": v.id,
                "name": world.volunteer_user[v.id].name,
                "distance_band": distance_band(d).label,
            }
            for d, v in nearest
        ],
    }


def order_events(world: DemoWorld, plan: OrderPlan) -> list:
    """The order's own transitions, from creation to its current status."""
    order, worker = plan.order, plan.worker.id
    steps = [(None, OrderStatus.draft, order.created_at, worker, Role.worker, None)]
    if order.published_at:
        steps.append(
            (
                OrderStatus.draft,
                OrderStatus.published,
                order.published_at,
                worker,
                Role.worker,
                None,
            )
        )
    if order.status in STAFFED_OR_LATER:
        steps.append(
            (OrderStatus.published, OrderStatus.staffed, order.staffed_at, None, None, "名额已满")
        )
    if order.status in (OrderStatus.in_progress, OrderStatus.completed, OrderStatus.evaluated):
        steps.append(
            (OrderStatus.staffed, OrderStatus.in_progress, order.starts_at, None, None, None)
        )
    if plan.confirmed_at:
        steps.append(
            (
                OrderStatus.in_progress,
                OrderStatus.completed,
                plan.confirmed_at,
                worker,
                Role.worker,
                None,
            )
        )
    if plan.evaluated_at:
        steps.append(
            (
                OrderStatus.completed,
                OrderStatus.evaluated,
                plan.evaluated_at,
                worker,
                Role.worker,
                None,
            )
        )
    if order.status == OrderStatus.expired:
        steps.append(
            (
                OrderStatus.published,
                OrderStatus.expired,
                order.accept_deadline,
                None,
                None,
                "截止时仍有空缺",
            )
        )
    if order.status == OrderStatus.cancelled:
        before = OrderStatus.published if order.published_at else OrderStatus.draft
        steps.append(
            (
                before,
                OrderStatus.cancelled,
                plan.cancelled_at,
                worker,
                Role.worker,
                order.status_reason,
            )
        )
    order.updated_at = steps[-1][2]
    return [
        world.event(
            "order", order.id, f, t, at=at, actor_id=a, role=r, order_id=order.id, reason=why
        )
        for f, t, at, a, r, why in steps
    ]


def notifications_for(
    world: DemoWorld, plan: OrderPlan, stories: list[OfferStory]
) -> list[Notification]:
    """The inbox messages this story sent: invitations, reminders, cancellations, staffing."""
    order = plan.order
    payload = {"order_id": order.id}
    rows = []
    for story in stories:
        user = world.volunteer_user[story.offer.volunteer_id]
        for _before, to, at, *_rest in story.steps:
            if to == OfferStatus.offered:
                rows.append(
                    world.notification(
                        user,
                        kind="offer_new",
                        title=text("notification.offer_new.title", order_title=order.title),
                        body=text(
                            "notification.offer_new.body",
                            expires_at=local_text(story.offer.expires_at or at, LOCAL.key),
                        ),
                        at=at,
                        payload={**payload, "offer_id": story.offer.id},
                    )
                )
            if to == OfferStatus.withdrawn:
                rows.append(
                    world.notification(
                        user,
                        kind="order_cancelled",
                        title=text("notification.order_cancelled.title", order_title=order.title),
                        body=order.status_reason or "",
                        at=at,
                        payload=payload,
                    )
                )
        if story.offer.reminded_at:
            rows.append(
                world.notification(
                    user,
                    kind="offer_reminder",
                    title=text("notification.offer_reminder.title", order_title=order.title),
                    body=text(
                        "notification.offer_reminder.body",
                        starts_at=local_text(order.starts_at, LOCAL.key),
                    ),
                    at=story.offer.reminded_at,
                    payload={**payload, "offer_id": story.offer.id},
                )
            )
    if order.status == OrderStatus.expired:
        rows.append(
            world.notification(
                world.demo_users["coordinator"],
                kind="order_needs_attention",
                title=text(
                    "notification.order_needs_attention.no_candidates.title",
                    order_title=order.title,
                ),
                body=order.suggestion["text"],
                at=order.needs_attention_at,
                payload=payload,
            )
        )
    return rows


async def seed_history(world: DemoWorld, plans: list[OrderPlan]) -> None:
    """Offers and their events for every order, then the orders' events and inbox messages."""
    calendar = Calendar()
    all_stories: list[OfferStory] = []
    stories_of: list[list[OfferStory]] = []
    for plan in plans:
        target, limit = accepted_target(world, plan)
        stories = offers_for(world, plan, target, limit, calendar) if limit else []
        # Open orders wait for volunteers to come; the others have offers out right now.
        if plan.order.status == OrderStatus.published and plan.order.dispatch_mode != "open":
            stories += pending_offers(world, plan, stories, calendar)
        attend(world, plan, stories)
        if plan.order.status == OrderStatus.cancelled:
            withdraw_on_cancel(plan, stories)
        plan.accepted = [s.offer for s in stories if s.offer.status in ACCEPTED_LIKE]
        plan.order.accepted_count = len(plan.accepted)
        if plan.order.status == OrderStatus.expired:
            plan.order.suggestion = suggestion_for(
                world, plan, {s.offer.volunteer_id for s in stories}
            )
        stories_of.append(stories)
        all_stories += stories
    await world.insert([story.offer for story in all_stories])

    events, notes = [], []
    for plan, stories in zip(plans, stories_of, strict=True):
        events += order_events(world, plan)
        for story in stories:
            offer = story.offer
            events += [
                world.event(
                    "offer",
                    offer.id,
                    f,
                    t,
                    at=at,
                    actor_id=a,
                    role=r,
                    order_id=offer.order_id,
                    reason=why,
                )
                for f, t, at, a, r, why in story.steps
            ]
        notes += notifications_for(world, plan, stories)
    # The log reads in time order; at the same instant an offer's step precedes the order's.
    events.sort(key=lambda event: (event.at, event.entity == "order"))
    notes.sort(key=lambda note: note.created_at)
    await world.insert(events, need_ids=False)
    await world.insert(notes, need_ids=False)
