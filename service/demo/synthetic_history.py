"""A year of synthetic history for the insight benchmarks (``kepu demo synth --history-orders``):
orders in every state over the past year and the next month, the demands they answer, their
offers, service records, ratings and the event log, generated in chunks so memory stays flat.

Rows are plausible rather than exact: counts agree with each other (an order's accepted_count
equals its accepted-like offers, every completed offer has a service record) because the
dashboard's figures are computed from them; personal stories are not modelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from service.demo.activities_data import ACTIVITIES
from service.demo.synthetic_columns import Columns, Taxonomy
from service.demo.timing import ACTIVITY_SLOTS, at_local, local_date
from service.vocab import DemandStatus, DispatchMode, OfferStatus, OrderStatus, RaterKind

PAST_DAYS, FUTURE_DAYS = 365, 30
CAMPAIGN_MONTHS = (5, 9)  # 科技活动周 (May) and 全国科普日 (September): busier
HOUR = timedelta(hours=1)
# Past orders' fates and the chance of each (the rest are evaluated).
PAST_FATES = (
    (OrderStatus.completed, 0.25),
    (OrderStatus.expired, 0.10),
    (OrderStatus.cancelled, 0.05),
)
FUTURE_FATES = ((OrderStatus.staffed, 0.40), (OrderStatus.draft, 0.10))  # the rest published
NO_SHOW_SHARE = 0.06
DEMAND_SHARE = 0.3  # orders that answer a resident's demand


@dataclass(frozen=True)
class People:
    """The volunteers offers may go to, grouped by home community (people serve near home)."""

    ids: np.ndarray  # volunteer ids sorted by home community
    start: dict[int, int]  # community id → first index into ids
    count: dict[int, int]

    @classmethod
    def of(cls, volunteer_ids: np.ndarray, home_area_ids: np.ndarray) -> People:
        order = np.argsort(home_area_ids, kind="stable")
        ids, areas = volunteer_ids[order], home_area_ids[order]
        values, first, counts = np.unique(areas, return_index=True, return_counts=True)
        return cls(
            ids,
            dict(zip(values.tolist(), first.tolist(), strict=True)),
            dict(zip(values.tolist(), counts.tolist(), strict=True)),
        )

    def pick(self, rng: np.random.Generator, community_id: int, how_many: int) -> np.ndarray:
        """``how_many`` distinct volunteers, from the community when it has enough."""
        start, count = self.start.get(community_id, 0), self.count.get(community_id, 0)
        if count < how_many:
            start, count = 0, len(self.ids)
        base = int(rng.integers(0, count))
        return self.ids[start + (base + np.arange(how_many)) % count]


@dataclass
class Ids:
    """The next free id per table, advanced as chunks are generated."""

    order: int
    demand: int
    offer: int


def _fates(rng: np.random.Generator, past: np.ndarray) -> np.ndarray:
    draw = rng.random(len(past))
    status = np.full(len(past), OrderStatus.evaluated.value, dtype=object)
    future = np.full(len(past), OrderStatus.published.value, dtype=object)
    edge = 0.0
    for fate, share in PAST_FATES:
        status[(draw >= edge) & (draw < edge + share)] = fate.value
        edge += share
    edge = 0.0
    for fate, share in FUTURE_FATES:
        future[(draw >= edge) & (draw < edge + share)] = fate.value
        edge += share
    return np.where(past, status, future)


def _days(rng: np.random.Generator, count: int, now: datetime) -> list:
    """Start days over the past year and next month, campaign months twice as busy."""
    today = local_date(now)
    days = [today + timedelta(days=n) for n in range(-PAST_DAYS, FUTURE_DAYS + 1) if n != 0]
    weights = np.array([2.0 if d.month in CAMPAIGN_MONTHS else 1.0 for d in days])
    picked = rng.choice(len(days), size=count, p=weights / weights.sum())
    return [days[i] for i in picked.tolist()]


def chunk(
    rng: np.random.Generator,
    ids: Ids,
    count: int,
    taxonomy: Taxonomy,
    people: People,
    now: datetime,
    offers_per_order: float,
) -> list[Columns]:
    """``count`` orders with everything that hangs off them, as tables in insert order."""
    order_ids = np.arange(ids.order, ids.order + count)
    template = rng.integers(0, len(ACTIVITIES), count)
    pick = rng.integers(0, len(taxonomy.community_ids), count)
    community = taxonomy.community_ids[pick]
    slot = rng.integers(0, len(ACTIVITY_SLOTS), count).tolist()
    starts = [
        at_local(day, ACTIVITY_SLOTS[s][0])
        for day, s in zip(_days(rng, count, now), slot, strict=True)
    ]
    ends = [
        at_local(local_date(start), ACTIVITY_SLOTS[s][1])
        for start, s in zip(starts, slot, strict=True)
    ]
    past = np.array([start < now for start in starts])
    status = _fates(rng, past)
    slots = rng.integers(1, 7, count)
    full = rng.random(count) < 0.9
    accepted = np.where(full, slots, rng.integers(0, slots))  # 0 ≤ accepted < slots when short
    accepted = np.where(status == OrderStatus.expired.value, rng.integers(0, slots), accepted)
    accepted = np.where(status == OrderStatus.published.value, rng.integers(0, slots), accepted)
    accepted = np.where(status == OrderStatus.staffed.value, slots, accepted)
    accepted = np.where(status == OrderStatus.draft.value, 0, accepted)
    lead_days = rng.integers(2, 15, count)
    published_at = [
        None if s == OrderStatus.draft.value else start - timedelta(days=int(d))
        for start, s, d in zip(starts, status.tolist(), lead_days.tolist(), strict=True)
    ]
    staff_hours = rng.gamma(1.5, 20.0, count)
    staffed_at = [
        min(p + timedelta(hours=float(h)), start - HOUR)
        if p is not None and a == n and s != OrderStatus.cancelled.value
        else None
        for p, a, n, s, h, start in zip(
            published_at,
            accepted.tolist(),
            slots.tolist(),
            status.tolist(),
            staff_hours.tolist(),
            starts,
            strict=True,
        )
    ]
    created_at = [
        (p or start - timedelta(days=15)) - HOUR
        for p, start in zip(published_at, starts, strict=True)
    ]
    targets = [ACTIVITIES[t].target_group for t in template.tolist()]

    with_demand = rng.random(count) < DEMAND_SHARE
    demand_ids: list[int | None] = []
    next_demand = ids.demand
    for asked in with_demand.tolist():
        demand_ids.append(next_demand if asked else None)
        next_demand += int(asked)
    skill_of = [taxonomy.skill_id_by_code[ACTIVITIES[t].skills[0]] for t in template.tolist()]
    asked_rows = [i for i, d in enumerate(demand_ids) if d is not None]
    demands = Columns(
        "demands",
        [
            "id",
            "community_id",
            "skill_id",
            "topic",
            "target_group",
            "contact_name",
            "description",
            "upvotes",
            "status",
            "created_at",
            "updated_at",
        ],
        [
            [demand_ids[i] for i in asked_rows],
            [int(community[i]) for i in asked_rows],
            [skill_of[i] for i in asked_rows],
            [ACTIVITIES[int(template[i])].title for i in asked_rows],
            [targets[i] for i in asked_rows],
            ["居民"] * len(asked_rows),
            [""] * len(asked_rows),
            [0] * len(asked_rows),
            [DemandStatus.adopted.value] * len(asked_rows),
            [created_at[i] - timedelta(days=3) for i in asked_rows],
            [created_at[i] for i in asked_rows],
        ],
    )
    ids.demand = next_demand
    _unanswered_demands(rng, ids, demands, community, skill_of, targets, template, created_at)

    orders = Columns(
        "orders",
        [
            "id",
            "title",
            "description",
            "community_id",
            "demand_id",
            "target_group",
            "venue_name",
            "venue_address",
            "venue_lat",
            "venue_lng",
            "starts_at",
            "ends_at",
            "accept_deadline",
            "expected_attendance",
            "slots",
            "accepted_count",
            "max_distance_km",
            "dispatch_mode",
            "status",
            "created_at",
            "updated_at",
            "published_at",
            "staffed_at",
        ],
        [
            order_ids.tolist(),
            [ACTIVITIES[t].title for t in template.tolist()],
            [""] * count,
            community.tolist(),
            demand_ids,
            targets,
            ["社区党群服务中心"] * count,
            [""] * count,
            np.round(taxonomy.community_lat[pick] + rng.normal(0, 0.003, count), 6).tolist(),
            np.round(taxonomy.community_lng[pick] + rng.normal(0, 0.004, count), 6).tolist(),
            starts,
            ends,
            [start - timedelta(days=1) for start in starts],
            (rng.integers(2, 20, count) * 5).tolist(),
            slots.tolist(),
            # Cancelling withdraws everyone (service.orders.service.cancel_order).
            np.where(status == OrderStatus.cancelled.value, 0, accepted).tolist(),
            [10.0] * count,
            [DispatchMode.targeted.value] * count,
            status.tolist(),
            created_at,
            [staffed or created for staffed, created in zip(staffed_at, created_at, strict=True)],
            published_at,
            staffed_at,
        ],
    )
    order_skill_owner, order_skill = [], []
    for order_id, t in zip(order_ids.tolist(), template.tolist(), strict=True):
        for code in ACTIVITIES[t].skills:
            order_skill_owner.append(order_id)
            order_skill.append(taxonomy.skill_id_by_code[code])
    order_skills = Columns(
        "order_skills", ["order_id", "skill_id"], [order_skill_owner, order_skill]
    )

    offers, records, ratings, events = _offers(
        rng,
        ids,
        order_ids,
        community,
        status,
        accepted,
        starts,
        ends,
        published_at,
        people,
        offers_per_order,
    )
    _order_events(events, order_ids, status, published_at, staffed_at, starts, ends, created_at)
    ids.order += count
    return [demands, orders, order_skills, offers, records, ratings, _events(events)]


def _unanswered_demands(rng, ids, demands, community, skill_of, targets, template, created_at):
    """About one demand in ten is still waiting or was declined: adoption is not a formality."""
    for i in np.flatnonzero(rng.random(len(community)) < 0.1).tolist():
        fate = DemandStatus.new if rng.random() < 0.5 else DemandStatus.declined
        for name, value in zip(
            demands.names,
            (
                ids.demand,
                int(community[i]),
                skill_of[i],
                ACTIVITIES[int(template[i])].title,
                targets[i],
                "居民",
                "",
                0,
                fate.value,
                created_at[i] - timedelta(days=3),
                created_at[i],
            ),
            strict=True,
        ):
            demands.values[demands.names.index(name)].append(value)
        ids.demand += 1


def _offers(
    rng, ids, order_ids, community, status, accepted, starts, ends, published_at, people, mean
):
    """Each order's accepted-like offers (its accepted_count) and declined or expired others."""
    extra = rng.poisson(max(mean - float(accepted.mean()), 0.0), len(order_ids))
    offer_cols: dict[str, list] = {name: [] for name in OFFER_NAMES}
    record_cols: dict[str, list] = {name: [] for name in RECORD_NAMES}
    rating_cols: dict[str, list] = {name: [] for name in RATING_NAMES}
    events: dict[str, list] = {name: [] for name in EVENT_NAMES}
    for i, order_id in enumerate(order_ids.tolist()):
        order_status, published = status[i], published_at[i]
        if published is None:
            continue
        taken, others = int(accepted[i]), int(extra[i])
        start, end = starts[i], ends[i]
        hours = round((end - start).total_seconds() / 3600, 2)
        who = people.pick(rng, int(community[i]), taken + others).tolist()
        window = max((start - published).total_seconds() / 3600 - 2, 1.0)
        for k, volunteer_id in enumerate(who):
            offered = published + timedelta(hours=float(rng.uniform(0, window)))
            answered = offered + timedelta(minutes=int(rng.integers(10, 120)))
            checked_in = checked_out = None
            if k < taken:
                fate = OfferStatus.accepted.value
                if order_status in (OrderStatus.completed.value, OrderStatus.evaluated.value):
                    no_show = rng.random() < NO_SHOW_SHARE
                    fate = (OfferStatus.no_show if no_show else OfferStatus.completed).value
                    if not no_show:
                        checked_in, checked_out = start - timedelta(minutes=5), end
                elif order_status == OrderStatus.cancelled.value:
                    fate = OfferStatus.withdrawn.value
            elif order_status == OrderStatus.published.value and start > offered + 2 * HOUR:
                fate = (
                    OfferStatus.offered.value if rng.random() < 0.3 else OfferStatus.declined.value
                )
            else:
                fate = (
                    OfferStatus.declined.value if rng.random() < 0.5 else OfferStatus.expired.value
                )
            offer_id = ids.offer
            ids.offer += 1
            responded = (
                None if fate in (OfferStatus.offered.value, OfferStatus.expired.value) else answered
            )
            for name, value in zip(
                OFFER_NAMES,
                (
                    offer_id,
                    order_id,
                    volunteer_id,
                    fate,
                    0.5,
                    k + 1,
                    offered,
                    offered + 2 * HOUR,
                    responded,
                    checked_in,
                    checked_out,
                    "[]",
                    responded or offered,
                ),
                strict=True,
            ):
                offer_cols[name].append(value)
            _event(events, "offer", offer_id, order_id, None, OfferStatus.offered.value, offered)
            if fate != OfferStatus.offered.value:
                first = OfferStatus.accepted.value if k < taken else fate
                _event(
                    events,
                    "offer",
                    offer_id,
                    order_id,
                    "offered",
                    first,
                    responded or offered + 2 * HOUR,
                )
                if k < taken and fate != OfferStatus.accepted.value:
                    _event(events, "offer", offer_id, order_id, first, fate, end)
            if fate == OfferStatus.completed.value:
                for name, value in zip(
                    RECORD_NAMES,
                    (order_id, volunteer_id, hours, start, end, end + timedelta(days=1), "[]"),
                    strict=True,
                ):
                    record_cols[name].append(value)
        if order_status == OrderStatus.evaluated.value:
            stars = int(rng.choice([3, 4, 5], p=[0.1, 0.3, 0.6]))
            for name, value in zip(
                RATING_NAMES,
                (order_id, RaterKind.resident.value, stars, "", end + timedelta(days=2)),
                strict=True,
            ):
                rating_cols[name].append(value)
    offers = Columns("offers", list(OFFER_NAMES), [offer_cols[n] for n in OFFER_NAMES])
    records = Columns("service_records", list(RECORD_NAMES), [record_cols[n] for n in RECORD_NAMES])
    ratings = Columns("evaluations", list(RATING_NAMES), [rating_cols[n] for n in RATING_NAMES])
    return offers, records, ratings, events


OFFER_NAMES = (
    "id", "order_id", "volunteer_id", "status", "score", "rank", "offered_at", "expires_at",
    "responded_at", "checked_in_at", "checked_out_at", "flags", "updated_at",
)  # fmt: skip
RECORD_NAMES = (
    "order_id", "volunteer_id", "hours", "started_at", "ended_at", "confirmed_at", "flags",
)  # fmt: skip
RATING_NAMES = ("order_id", "rater_kind", "stars", "comment", "created_at")
EVENT_NAMES = ("at", "entity", "entity_id", "order_id", "from_status", "to_status")


def _event(events, entity, entity_id, order_id, before, after, at) -> None:
    for name, value in zip(
        EVENT_NAMES, (at, entity, entity_id, order_id, before, after), strict=True
    ):
        events[name].append(value)


def _order_events(events, order_ids, status, published_at, staffed_at, starts, ends, created_at):
    """The order's way through its machine, as the lifecycle would have logged it."""
    for i, order_id in enumerate(order_ids.tolist()):
        final, published, staffed = status[i], published_at[i], staffed_at[i]
        _event(events, "order", order_id, order_id, None, OrderStatus.draft.value, created_at[i])
        if published is None:
            continue
        _event(events, "order", order_id, order_id, "draft", "published", published)
        now_status = OrderStatus.published.value
        if staffed is not None:
            _event(events, "order", order_id, order_id, now_status, "staffed", staffed)
            now_status = OrderStatus.staffed.value
        if final in (OrderStatus.completed.value, OrderStatus.evaluated.value):
            _event(events, "order", order_id, order_id, now_status, "in_progress", starts[i])
            _event(events, "order", order_id, order_id, "in_progress", "completed", ends[i])
            if final == OrderStatus.evaluated.value:
                _event(
                    events,
                    "order",
                    order_id,
                    order_id,
                    "completed",
                    "evaluated",
                    ends[i] + 2 * 24 * HOUR,
                )
        elif final in (OrderStatus.expired.value, OrderStatus.cancelled.value):
            _event(events, "order", order_id, order_id, now_status, final, starts[i] - 24 * HOUR)


def _events(events: dict[str, list]) -> Columns:
    return Columns("events", list(EVENT_NAMES), [events[n] for n in EVENT_NAMES])
