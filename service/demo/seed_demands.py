"""点单: ~80 resident demands — adopted into orders, new, declined or merged — with upvotes."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from service.demo.activities_data import ACTIVITIES, DEMAND_DECLINE_REASONS, DEMAND_NOTES
from service.demo.seed_orders import HOUR, OrderPlan
from service.demo.timing import local_date, pick_day, pick_slot
from service.demo.world import DemoWorld
from service.models import Demand, DemandUpvote
from service.vocab import DemandStatus, Role

ADOPTED, NEW, DECLINED, MERGED = 35, 25, 12, 8


def voter_key_for_phone(phone: str) -> str:
    """Anonymous upvoters are keyed by a hash of their phone number, never the number itself."""
    return "phone:" + hashlib.sha256(phone.encode()).hexdigest()[:40]


def contact_for(world: DemoWorld, demand: Demand) -> None:
    """Half come from registered residents, some anonymous by phone, some typed in by a worker."""
    rng = world.rng
    roll = rng.random()
    if roll < 0.5:
        resident = rng.choice(world.residents)
        demand.submitter_user_id = resident.id
        demand.contact_name, demand.contact_phone = resident.name, resident.phone
    elif roll < 0.8:
        demand.contact_name = rng.choice("王李张刘孙于曲姜") + rng.choice(
            ("阿姨", "大爷", "女士", "先生")
        )
        demand.contact_phone = f"158{rng.randrange(10**8):08d}"
    else:
        worker = world.workers_of[demand.community_id][0]
        demand.submitter_user_id = worker.id
        demand.contact_name = worker.name


def new_demand(world: DemoWorld, template, community_id: int, created: datetime, status) -> Demand:
    rng = world.rng
    demand = Demand(
        community_id=community_id,
        skill_id=world.skills[template.skills[0]].id,
        topic=template.title,
        target_group=template.target_group,
        description=rng.choice(DEMAND_NOTES),
        status=status,
        created_at=created,
        updated_at=created,
    )
    if rng.random() < 0.5:
        day = pick_day(
            rng, local_date(created) + timedelta(days=7), local_date(created) + timedelta(days=30)
        )
        demand.preferred_start, demand.preferred_end = pick_slot(rng, day)
    contact_for(world, demand)
    return demand


async def seed_demands(world: DemoWorld, plans: list[OrderPlan]) -> None:
    """Demands behind some orders (linked via ``Order.demand_id``) and the rest of the inbox."""
    rng, now = world.rng, world.now_floor
    candidates = [p for p in plans if p.campaign is None]
    adopted_plans = sorted(rng.sample(candidates, ADOPTED), key=lambda p: p.order.starts_at)
    demands: list[Demand] = []
    decided_at: dict[int, datetime] = {}  # index in ``demands`` → when the worker decided
    for plan in adopted_plans:
        created = plan.order.created_at - rng.randint(1, 10) * 24 * HOUR - rng.randint(0, 8) * HOUR
        demand = new_demand(
            world, plan.template, plan.order.community_id, created, DemandStatus.adopted
        )
        demand.updated_at = plan.order.created_at
        decided_at[len(demands)] = plan.order.created_at
        demands.append(demand)
    for status, count in ((DemandStatus.new, NEW), (DemandStatus.declined, DECLINED)):
        for _ in range(count):
            created = now - rng.randint(1, 30 if status == DemandStatus.new else 50) * 24 * HOUR
            created -= rng.randint(0, 10) * HOUR
            community = (
                world.communities[0] if rng.random() < 0.15 else rng.choice(world.communities)
            )
            demand = new_demand(world, rng.choice(ACTIVITIES), community.id, created, status)
            if status == DemandStatus.declined:
                demand.decline_reason = rng.choice(DEMAND_DECLINE_REASONS)
                demand.updated_at = min(created + rng.randint(2, 72) * HOUR, now)
                decided_at[len(demands)] = demand.updated_at
            demands.append(demand)
    await world.insert(demands)
    for plan, demand in zip(adopted_plans, demands, strict=False):
        plan.order.demand_id = demand.id

    merged = []
    open_targets = [d for d in demands if d.status in (DemandStatus.new, DemandStatus.adopted)]
    for _ in range(MERGED):
        target = rng.choice(open_targets)
        template = next(t for t in ACTIVITIES if t.title == target.topic)
        created = target.created_at + rng.randint(2, 96) * HOUR
        created = min(created, now - HOUR)
        demand = new_demand(world, template, target.community_id, created, DemandStatus.merged)
        demand.merged_into_id = target.id
        demand.updated_at = min(created + rng.randint(1, 24) * HOUR, now)
        merged.append(demand)
    await world.insert(merged)
    for demand in merged:
        decided_at[len(demands)] = demand.updated_at
        demands.append(demand)

    await world.insert(upvotes_for(world, demands), need_ids=False)
    await world.insert(demand_events(world, demands, decided_at), need_ids=False)


def upvotes_for(world: DemoWorld, demands: list[Demand]) -> list[DemandUpvote]:
    """0–25 "我也想要" per demand from residents and anonymous phones; ``upvotes`` matches."""
    rng, now = world.rng, world.now_floor
    rows = []
    for demand in demands:
        count = rng.choices((0, rng.randint(1, 6), rng.randint(7, 25)), (2, 5, 2))[0]
        voters = rng.sample(world.residents, min(count, len(world.residents) // 2))
        keys = [f"user:{user.id}" for user in voters if user.id != demand.submitter_user_id]
        while len(keys) < count:
            key = voter_key_for_phone(f"159{rng.randrange(10**8):08d}")
            if key not in keys:
                keys.append(key)
        demand.upvotes = len(keys)
        span = max(int((now - demand.created_at) / HOUR), 1)
        rows += [
            DemandUpvote(
                demand_id=demand.id,
                voter_key=key,
                created_at=demand.created_at + rng.randint(1, span) * HOUR,
            )
            for key in keys
        ]
    return rows


def demand_events(world: DemoWorld, demands: list[Demand], decided_at: dict) -> list:
    """Submitted (→ new), then the worker's decision for those decided."""
    events = []
    for index, demand in enumerate(demands):
        worker = world.workers_of[demand.community_id][0]
        by_worker = demand.submitter_user_id == worker.id
        events.append(
            world.event(
                "demand",
                demand.id,
                None,
                DemandStatus.new,
                at=demand.created_at,
                actor_id=demand.submitter_user_id,
                role=Role.worker if by_worker else Role.resident,
            )
        )
        if index in decided_at:
            events.append(
                world.event(
                    "demand",
                    demand.id,
                    DemandStatus.new,
                    demand.status,
                    at=decided_at[index],
                    actor_id=worker.id,
                    role=Role.worker,
                    reason=demand.decline_reason,
                )
            )
    return events
