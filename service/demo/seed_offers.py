"""Who was asked and who said yes: candidates and offers, consistent with each order's mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.demo.activities_data import DECLINE_REASONS
from service.demo.geo import distance_km
from service.demo.seed_orders import HOUR, OrderPlan
from service.demo.world import DemoWorld
from service.dispatch.disclosure import distance_band
from service.models import Offer, Volunteer
from service.vocab import DispatchMode, OfferStatus, Role, VolunteerStatus

OFFER_EXPIRY = timedelta(minutes=120)  # Settings.offer_expiry_minutes' default
TRAVEL_BUFFER = timedelta(minutes=30)
HALF_HOUR = HOUR / 2


@dataclass
class Candidate:
    volunteer: Volunteer
    distance: float
    score: float
    parts: list[dict]


@dataclass
class OfferStory:
    """An offer and its transitions (from, to, at, actor user id, actor role, reason)."""

    offer: Offer
    steps: list[tuple] = field(default_factory=list)

    def step(self, to: str, at: datetime, actor_id=None, role=None, reason=None) -> None:
        before = self.steps[-1][1] if self.steps else None
        self.steps.append((before, to, at, actor_id, role, reason))
        self.offer.status = to
        self.offer.updated_at = at


class Calendar:
    """Accepted commitments per volunteer, so nobody holds two overlapping activities."""

    def __init__(self) -> None:
        self.busy: dict[int, list[tuple[datetime, datetime]]] = {}

    def is_free(self, volunteer_id: int, start: datetime, end: datetime) -> bool:
        return all(
            end + TRAVEL_BUFFER <= s or e + TRAVEL_BUFFER <= start
            for s, e in self.busy.get(volunteer_id, ())
        )

    def book(self, volunteer_id: int, start: datetime, end: datetime) -> None:
        self.busy.setdefault(volunteer_id, []).append((start, end))


def rank_candidates(world: DemoWorld, plan: OrderPlan, calendar: Calendar) -> list[Candidate]:
    """Active, free volunteers with a required skill, nearest and best-fitting first; the
    distance limit is relaxed (then the skill) only when too few remain."""
    order = plan.order
    wanted = set(plan.skill_ids)
    team_mode = order.dispatch_mode == DispatchMode.team
    pool = world.team_members[order.team_id] if team_mode else world.volunteers
    names = {skill.id: skill.name for skill in world.skills.values()}
    tiers: list[list[Candidate]] = [[], [], []]
    for volunteer in pool:
        if volunteer.status != VolunteerStatus.active:
            continue
        if not calendar.is_free(volunteer.id, order.starts_at, order.ends_at):
            continue
        overlap = world.volunteer_skills[volunteer.id] & wanted
        distance = distance_km(
            volunteer.home_lat, volunteer.home_lng, order.venue_lat, order.venue_lng
        )
        reach = min(volunteer.radius_km, order.max_distance_km)
        tier = 0 if overlap and (team_mode or distance <= reach) else 1 if overlap else 2
        skill_points = len(overlap) / len(wanted)
        near_points = max(0.0, 1 - distance / order.max_distance_km)
        score = 0.5 * skill_points + 0.3 * near_points + 0.2 * world.rng.random()
        # Others see the distance as a band only (issue #12), never a number to solve for.
        band = distance_band(distance)
        shown_near = max(0.0, 1 - band.typical_km / order.max_distance_km)
        if volunteer is world.volunteers[0] and (
            world.rng.random() < 0.5 or own_upcoming_at_home(world, plan)
        ):
            # The demo volunteer should find offers waiting, and always holds an upcoming
            # activity of their own in their home community (the demo worker's), whatever day
            # the demo is loaded: 我的日程 is never empty there, and a worker can copy it.
            score += 0.5
        skill_text = "、".join(f"{names[s]} ✓" for s in sorted(overlap)) or "技能不完全匹配"
        # The same stored shape as service.dispatch.cascade.score_parts_of, so pages and the
        # API explain demo offers exactly like real ones.
        parts = [
            {
                "code": "skill",
                "value": round(skill_points, 3),
                "weight": 0.5,
                "detail": {"matched_skill_ids": sorted(overlap)},
            },
            {
                "code": "distance",
                "value": round(shown_near, 2),
                "weight": 0.3,
                "detail": {"band": band.label},
            },
            {"code": "explanation", "text": f"{band.label} · {skill_text}"},
        ]
        tiers[tier].append(Candidate(volunteer, distance, round(score, 4), parts))
    ranked: list[Candidate] = []
    for tier in tiers:
        tier.sort(key=lambda c: (-c.score, c.volunteer.id))
        ranked += tier
        if len(ranked) >= order.slots + 4:
            break
    return ranked


def own_upcoming_at_home(world: DemoWorld, plan: OrderPlan) -> bool:
    """Whether ``plan`` is a not-yet-started order in the first community that volunteers take
    on their own (not through a team)."""
    order = plan.order
    return (
        order.community_id == world.communities[0].id
        and order.dispatch_mode != DispatchMode.team
        and order.starts_at > world.now
    )


def acceptance_times(
    world: DemoWorld, plan: OrderPlan, count: int, limit: datetime
) -> list[datetime]:
    """``count`` half-hour moments after publication; the last equals ``staffed_at`` if full."""
    order, rng = plan.order, world.rng
    span = max(int((limit - order.published_at) / HALF_HOUR), 1)
    times = sorted(order.published_at + rng.randint(1, span) * HALF_HOUR for _ in range(count))
    times = [min(t, limit) for t in times]
    if order.staffed_at and times:
        times[-1] = order.staffed_at
    return times


def offers_for(
    world: DemoWorld, plan: OrderPlan, accepted: int, limit: datetime, calendar: Calendar
) -> list[OfferStory]:
    """``accepted`` acceptances before ``limit``, plus declines, expiries and pending offers."""
    order, rng = plan.order, world.rng
    ranked = rank_candidates(world, plan, calendar)
    accepted = min(accepted, len(ranked))
    if order.staffed_at and accepted < order.slots:
        order.slots = max(accepted, 1)  # too few candidates: a smaller activity, still full
    times = acceptance_times(world, plan, accepted, limit)
    stories: list[OfferStory] = []
    user_of = world.volunteer_user
    mode = order.dispatch_mode
    leader_id = user_of[leader_of(world, plan).id].id if order.team_id else None
    pick = iter(ranked)
    for rank, moment in enumerate(times, start=1):
        cand = next(pick)
        offered = (
            moment
            if mode == DispatchMode.open
            else max(order.published_at, moment - rng.randint(1, 4) * HALF_HOUR)
        )
        story = new_story(plan, cand, rank if mode != DispatchMode.open else None, offered)
        if mode == DispatchMode.team:
            story.step(OfferStatus.offered, offered)
            story.step(OfferStatus.accepted, moment, leader_id, Role.team_leader)
        elif mode == DispatchMode.targeted:
            story.step(OfferStatus.offered, offered)
            story.step(OfferStatus.accepted, moment, user_of[cand.volunteer.id].id, Role.volunteer)
        else:
            story.step(OfferStatus.accepted, moment, user_of[cand.volunteer.id].id, Role.volunteer)
        story.offer.responded_at = moment
        calendar.book(cand.volunteer.id, order.starts_at, order.ends_at)
        stories.append(story)
    if mode == DispatchMode.open:
        return stories
    rest = list(pick)
    # Declines and silent expiries happen while the order is still open.
    for cand in rest[: rng.randint(0, 2)]:
        offered = order.published_at + rng.randint(0, 6) * HALF_HOUR
        if offered + OFFER_EXPIRY > limit:
            continue
        story = new_story(plan, cand, len(stories) + 1, offered)
        story.step(OfferStatus.offered, offered)
        if rng.random() < 0.7:
            answered = offered + rng.randint(1, 3) * HALF_HOUR
            story.offer.responded_at = answered
            story.offer.decline_reason = rng.choice(DECLINE_REASONS)
            story.step(
                OfferStatus.declined,
                answered,
                user_of[cand.volunteer.id].id,
                Role.volunteer,
                story.offer.decline_reason,
            )
        else:
            story.step(OfferStatus.expired, offered + OFFER_EXPIRY)
        stories.append(story)
    return stories


def pending_offers(
    world: DemoWorld, plan: OrderPlan, stories: list[OfferStory], calendar: Calendar
) -> list[OfferStory]:
    """Offers awaiting an answer right now for a published order with open slots."""
    order = plan.order
    open_slots = order.slots - len([s for s in stories if s.offer.status == OfferStatus.accepted])
    asked = {s.offer.volunteer_id for s in stories}
    ranked = [c for c in rank_candidates(world, plan, calendar) if c.volunteer.id not in asked]
    offered = world.now_floor - HALF_HOUR
    pending = []
    if order.dispatch_mode == DispatchMode.team:  # the team leader alone is asked
        ranked = [c for c in ranked if c.volunteer is leader_of(world, plan)]
    else:
        # Whoever tries the demo as its volunteer finds offers waiting wherever they are among
        # the candidates (stable: everyone else keeps their rank).
        ranked.sort(key=lambda c: c.volunteer is not world.volunteers[0])
    for cand in ranked[: min(open_slots, world.rng.randint(1, 3))]:
        story = new_story(plan, cand, len(stories) + len(pending) + 1, offered)
        story.step(OfferStatus.offered, offered)
        pending.append(story)
    return pending


def leader_of(world: DemoWorld, plan: OrderPlan) -> Volunteer:
    team_id = plan.order.team_id
    leader_id = next(t.leader_volunteer_id for t in world.teams if t.id == team_id)
    return next(v for v in world.team_members[team_id] if v.id == leader_id)


def new_story(plan: OrderPlan, cand: Candidate, rank: int | None, offered: datetime) -> OfferStory:
    order = plan.order
    team_mode = order.dispatch_mode == DispatchMode.team
    return OfferStory(
        Offer(
            order_id=order.id,
            volunteer_id=cand.volunteer.id,
            team_id=order.team_id if team_mode else None,
            score=cand.score,
            score_parts=cand.parts,
            rank=rank,
            offered_at=offered,
            expires_at=None if order.dispatch_mode == DispatchMode.open else offered + OFFER_EXPIRY,
            updated_at=offered,
            flags=[],
        )
    )
