"""Plan ~150 orders across every status around ``now``, themed on campaign days where they fall."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from service.demo.activities_data import ACTIVITIES, CAMPAIGN_DAYS, CANCEL_REASONS, ActivityTemplate
from service.demo.seed_places import jitter
from service.demo.timing import LOCAL, at_local, local_date, pick_day, pick_slot
from service.demo.world import DemoWorld
from service.models import Area, Order, OrderSkill, Team, User
from service.vocab import DispatchMode, OrderStatus, TargetGroup

# How many orders of each status, and the range of days (relative to today) they start on.
STATUS_PLAN: dict[OrderStatus, tuple[int, int, int]] = {
    OrderStatus.draft: (12, 3, 28),
    OrderStatus.published: (28, 2, 21),
    OrderStatus.staffed: (22, 1, 21),
    OrderStatus.in_progress: (6, 0, 0),
    OrderStatus.completed: (20, -6, -1),
    OrderStatus.evaluated: (40, -56, -3),
    OrderStatus.expired: (10, -30, -1),
    OrderStatus.cancelled: (12, -40, 14),
}
PAST_WINDOW_DAYS, FUTURE_WINDOW_DAYS = 56, 28
# Peri-urban streets (黄务、只楚、幸福) host the farmers' activities; 芝罘岛 and 东山 the sea.
FARM_STREETS, SEA_STREETS = (9, 10, 12), (8, 2)
TEMPLATE_BY_TITLE = {template.title: template for template in ACTIVITIES}
HOUR = timedelta(hours=1)


@dataclass
class OrderPlan:
    """An order and the story behind its status (times the history builder needs)."""

    order: Order
    template: ActivityTemplate
    worker: User
    skill_ids: list[int]
    campaign: str | None = None
    cancelled_at: datetime | None = None
    confirmed_at: datetime | None = None  # the worker confirmed completion
    evaluated_at: datetime | None = None
    accepted: list = field(default_factory=list)  # accepted-like offers, filled by the history


def community_for(world: DemoWorld, template: ActivityTemplate) -> Area:
    """Farm topics go to peri-urban streets and the sea to coastal ones; the first community
    (the demo worker's) gets a generous share so its pages are full."""
    rng = world.rng
    if template.target_group == TargetGroup.farmers:
        return rng.choice([c for s in FARM_STREETS for c in world.communities_of_street(s)])
    if any(code.startswith("ecology.marine") for code in template.skills):
        return rng.choice([c for s in SEA_STREETS for c in world.communities_of_street(s)])
    if rng.random() < 0.12:
        return world.communities[0]
    return rng.choice(world.communities)


def team_for(world: DemoWorld, skill_ids: set[int]) -> Team | None:
    """The team whose members cover most of the order's skills (None when none cover any)."""
    best, best_cover = None, 0
    for team in world.teams:
        members = world.team_members[team.id]
        covered = set().union(*(world.volunteer_skills[m.id] for m in members))
        if len(covered & skill_ids) > best_cover:
            best, best_cover = team, len(covered & skill_ids)
    return best


def in_progress_window(world: DemoWorld) -> tuple[datetime, datetime]:
    """An activity running now; at night, the evening one still awaiting confirmation."""
    local = world.now_floor.astimezone(LOCAL)
    if 8 <= local.hour < 21:
        start = world.now_floor - timedelta(minutes=world.rng.choice((30, 60, 90)))
        return start, start + 2 * HOUR
    day = local.date() - timedelta(days=1 if local.hour < 8 else 0)
    return at_local(day, time(19, 0)), at_local(day, time(20, 30))


def is_night_activity(template: ActivityTemplate) -> bool:
    return "youth_science.astronomy" in template.skills


def campaign_specs(world: DemoWorld, quotas: dict[OrderStatus, int]) -> list[tuple]:
    """One themed order per campaign day inside the demo's window, status by its date."""
    today = local_date(world.now)
    specs = []
    for campaign in CAMPAIGN_DAYS:
        for year in (today.year - 1, today.year, today.year + 1):
            day = date(year, campaign.month, campaign.day)
            offset = (day - today).days
            if not -PAST_WINDOW_DAYS <= offset <= FUTURE_WINDOW_DAYS or offset == 0:
                continue
            if offset <= -3:
                status = OrderStatus.evaluated
            elif offset < 0:
                status = OrderStatus.completed
            elif offset < 2 or world.rng.random() < 0.5:
                status = OrderStatus.staffed
            else:
                status = OrderStatus.published
            if quotas[status] > 0:
                quotas[status] -= 1
                specs.append(
                    (status, TEMPLATE_BY_TITLE[campaign.activity_title], day, campaign.name)
                )
    return specs


def plan_orders(world: DemoWorld) -> list[OrderPlan]:
    """All order plans, sorted by start time so ids follow the calendar."""
    rng = world.rng
    today = local_date(world.now)
    quotas = {status: plan[0] for status, plan in STATUS_PLAN.items()}
    specs = campaign_specs(world, quotas)
    for status, (_count, first, last) in STATUS_PLAN.items():
        for _ in range(quotas[status]):
            day = pick_day(rng, today + timedelta(days=first), today + timedelta(days=last))
            template = rng.choice(ACTIVITIES)
            while status == OrderStatus.in_progress and is_night_activity(template):
                template = rng.choice(ACTIVITIES)  # "now" may be daytime: no stargazing at noon
            specs.append((status, template, day, None))
    plans = [plan_order(world, *spec) for spec in specs]
    plans.sort(key=lambda plan: (plan.order.starts_at, plan.order.title))
    return plans


def plan_order(
    world: DemoWorld, status: OrderStatus, template: ActivityTemplate, day: date, campaign
) -> OrderPlan:
    """One order with its place, time, mode and the timestamps its status implies."""
    rng, now = world.rng, world.now_floor
    community = community_for(world, template)
    if status == OrderStatus.in_progress:
        starts, ends = in_progress_window(world)
    else:
        starts, ends = pick_slot(
            rng,
            day,
            evening=is_night_activity(template),
            daytime=template.target_group == TargetGroup.farmers,
        )
    skill_ids = [world.skills[code].id for code in template.skills]
    slots = rng.randint(*template.slots)
    team = team_for(world, set(skill_ids)) if rng.random() < 0.2 else None
    if team is not None:
        mode, slots = DispatchMode.team, min(slots + 1, len(world.team_members[team.id]))
    else:
        mode = DispatchMode.open if rng.random() < 0.3 else DispatchMode.targeted
    created = min(
        starts - timedelta(days=rng.randint(5, 14)), now - timedelta(days=rng.randint(1, 6))
    )
    created -= rng.randint(0, 6) * HOUR
    published = None
    if status != OrderStatus.draft and not (status == OrderStatus.cancelled and rng.random() < 0.3):
        published = created + rng.randint(1, 20) * HOUR
    deadline = starts - 24 * HOUR
    order = Order(
        title=f"{campaign}·{template.title}" if campaign else template.title,
        description=template.description,
        community_id=community.id,
        target_group=template.target_group,
        starts_at=starts,
        ends_at=ends,
        accept_deadline=deadline,
        expected_attendance=5 * (rng.randint(*template.attendance) // 5),
        slots=slots,
        max_distance_km=rng.choice((5.0, 8.0, 10.0, 10.0, 15.0)),
        dispatch_mode=mode,
        team_id=team.id if team else None,
        status=status,
        created_at=created,
        updated_at=created,
        published_at=published,
        **venue_fields(world, community, template),
    )
    worker = world.workers_of[community.id][0]
    order.created_by_user_id = worker.id
    plan = OrderPlan(order, template, worker, skill_ids, campaign)
    if status in (OrderStatus.staffed, OrderStatus.in_progress) or status in FINISHED:
        latest = min(deadline, now - HOUR / 2)
        order.staffed_at = max(
            min(published + rng.randint(2, 72) * HOUR, latest), published + HOUR / 2
        )
    if status in FINISHED:
        plan.confirmed_at = min(ends + rng.randint(1, 40) * HOUR / 2, now)
    if status == OrderStatus.evaluated:
        plan.evaluated_at = min(plan.confirmed_at + rng.randint(1, 48) * HOUR, now)
    if status == OrderStatus.expired:
        order.needs_attention_at = deadline
    if status == OrderStatus.cancelled:
        order.status_reason = rng.choice(CANCEL_REASONS)
        moment = min(starts - rng.randint(3, 72) * HOUR, now - rng.randint(0, 12) * HOUR)
        plan.cancelled_at = max(moment, (published or created) + HOUR)
    return plan


FINISHED = (OrderStatus.completed, OrderStatus.evaluated)


def venue_fields(world: DemoWorld, community: Area, template: ActivityTemplate) -> dict:
    """A saved venue of the community (a school hall for youth if it has one); farm topics
    happen in the fields."""
    rng = world.rng
    if template.target_group == TargetGroup.farmers:
        lat, lng = jitter(rng, community.lat, community.lng, 0.006)
        place = "苹果园" if "orchard" in template.skills[0] else "蔬菜大棚基地"
        street = world.street_of[community.id]
        return dict(
            venue_name=f"{community.name.removesuffix('社区')}{place}",
            venue_address=f"烟台市芝罘区{street.name}{community.name}",
            venue_lat=lat,
            venue_lng=lng,
        )
    venues = world.venues_of[community.id]
    schools = [v for v in venues if "学" in v.name or "幼儿园" in v.name]
    venue = rng.choice(schools if schools and template.target_group == "youth" else venues)
    return dict(
        venue_id=venue.id,
        venue_name=venue.name,
        venue_address=venue.address,
        venue_lat=venue.lat,
        venue_lng=venue.lng,
    )


async def insert_orders(world: DemoWorld, plans: list[OrderPlan]) -> None:
    """Orders, then their required skills."""
    await world.insert([plan.order for plan in plans])
    await world.insert(
        [OrderSkill(order_id=plan.order.id, skill_id=s) for plan in plans for s in plan.skill_ids],
        need_ids=False,
    )
