"""The dashboard's figures computed again, independently: every row read with plain ORM
selects, then counted in Python following the README's definitions (never the repository)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from service.models import Area, Demand, Evaluation, Offer, Order, OrderSkill, ServiceRecord, Skill

DONE = {"completed", "evaluated"}
HELD = {"in_progress", "completed", "evaluated"}


def utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


@dataclass
class Rows:
    areas: dict
    orders: list
    offers: list
    records: list
    ratings: list
    demands: list
    domains: dict  # order id → set of domain ids


async def read_rows(session) -> Rows:
    skills = {s.id: s for s in await session.scalars(sa.select(Skill))}
    domains = defaultdict(set)
    for link in await session.scalars(sa.select(OrderSkill)):
        skill = skills[link.skill_id]
        domains[link.order_id].add(skill.parent_id or skill.id)
    return Rows(
        areas={a.id: a for a in await session.scalars(sa.select(Area))},
        orders=list(await session.scalars(sa.select(Order))),
        offers=list(await session.scalars(sa.select(Offer))),
        records=list(await session.scalars(sa.select(ServiceRecord))),
        ratings=list(await session.scalars(sa.select(Evaluation))),
        demands=list(await session.scalars(sa.select(Demand))),
        domains=domains,
    )


def gini_by_hand(values: list[float]) -> float:
    """Mean absolute difference over twice the mean (the textbook definition)."""
    n = len(values)
    total = sum(values)
    if not n or not total:
        return 0.0
    return sum(abs(a - b) for a in values for b in values) / (2 * n * total)


def expect(rows: Rows, *, path: str, start: datetime, end: datetime, now: datetime) -> dict:
    under = {a.id for a in rows.areas.values() if a.path.startswith(path)}
    part = [o for o in rows.orders if o.community_id in under and start <= utc(o.starts_at) < end]
    ids = {o.id for o in part}
    published = [o for o in part if o.published_at is not None and o.status != "cancelled"]
    staffed = [o for o in published if o.staffed_at is not None]
    done = [o for o in part if o.status in DONE]
    hours = defaultdict(float)
    for r in rows.records:
        if r.order_id in ids:
            hours[r.volunteer_id] += r.hours
    first_seen = {}
    for r in rows.records:
        v = r.volunteer_id
        first_seen[v] = min(first_seen.get(v, utc(r.started_at)), utc(r.started_at))
    offers = [f for f in rows.offers if f.order_id in ids]
    stars = [e.stars for e in rows.ratings if e.order_id in ids and e.rater_kind == "resident"]
    demands = [
        d for d in rows.demands if d.community_id in under and start <= utc(d.created_at) < end
    ]
    until = min(end, now)
    held_recently = {
        o.community_id for o in rows.orders
        if o.status in HELD and until - timedelta(days=90) <= utc(o.starts_at) < until
    }  # fmt: skip
    communities = {a.id for a in rows.areas.values() if a.level == "community" and a.id in under}
    reached = Counter()
    for o in done:
        reached[o.target_group] += o.expected_attendance
    streets = Counter(rows.areas[o.community_id].parent_id for o in published)
    topics = Counter(d for o in published for d in rows.domains[o.id])
    values = sorted(hours.values(), reverse=True)
    return {
        "orders": len(part),
        "statuses": Counter(o.status for o in part),
        "published": len(published),
        "fill_rate": sum(o.accepted_count for o in published) / sum(o.slots for o in published)
        if published
        else None,
        "expired": sum(o.status == "expired" for o in part),
        "median_staff_hours": statistics.median(
            (utc(o.staffed_at) - utc(o.published_at)).total_seconds() / 3600 for o in staffed
        )
        if staffed
        else None,
        "done": len(done),
        "reached": sum(o.expected_attendance for o in done),
        "reached_by_group": dict(reached),
        "hours": sum(hours.values()),
        "servers": len(hours),
        "gini": gini_by_hand(list(hours.values())),
        "top_share": sum(values[:10]) / sum(values) if values else 0.0,
        "first_timers": sum(1 for v in hours if first_seen[v] >= start),
        "no_show": sum(f.status == "no_show" for f in offers),
        "attended": sum(f.status in ("no_show", "completed") for f in offers),
        "rating": statistics.mean(stars) if stars else None,
        "ratings": len(stars),
        "demands": len(demands),
        "adopted": sum(d.status == "adopted" for d in demands),
        "unserved": communities - held_recently,
        "streets": dict(streets),
        "topics": dict(topics),
        "ids": ids,
        "held_pairs": Counter((o.target_group, d) for o in done for d in rows.domains[o.id]),
    }
