"""The dashboard's and the 上报's queries: every figure aggregated in SQL over one slice of orders.

A *slice* is the orders whose community lies under one area, starting inside the period, of
one topic and target group when those are picked. Each figure is a WHERE clause on that slice
(``figure_clause``): the aggregates count with it and the order list lists with it, so a
number and the orders behind it can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.models import (
    Area,
    Demand,
    Evaluation,
    Offer,
    Order,
    OrderSkill,
    ServiceRecord,
    Skill,
    User,
    Volunteer,
)
from service.vocab import AreaLevel, DemandStatus, OfferStatus, OrderStatus, RaterKind

DONE = (OrderStatus.completed.value, OrderStatus.evaluated.value)
HELD = (OrderStatus.in_progress.value, *DONE)
ATTENDED = (OfferStatus.completed.value, OfferStatus.no_show.value)


@dataclass(frozen=True)
class Slice:
    """Which orders count: under ``area_path``, starting in [start, end), of a topic and group."""

    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive
    area_path: str
    topic_id: int | None = None
    group: str | None = None
    # (start, end) UTC ranges of the campaign months inside the period (全国科普日, 科技活动周)
    campaigns: tuple[tuple[datetime, datetime], ...] = ()
    # The 90 days before the period's end (or now): a community without a held activity there
    # is unserved.
    quiet_since: datetime | None = None
    quiet_until: datetime | None = None


def _community_under(path: str):
    return Order.community_id.in_(sa.select(Area.id).where(Area.path.startswith(path)))


def _domain_of_skill():
    """A skill's top-level domain (a domain is its own)."""
    return sa.func.coalesce(Skill.parent_id, Skill.id)


def _has_topic(topic_id: int):
    return Order.id.in_(
        sa.select(OrderSkill.order_id)
        .join(Skill, Skill.id == OrderSkill.skill_id)
        .where(_domain_of_skill() == topic_id)
    )


def slice_clause(part: Slice):
    """Every order of the slice, drafts and cancelled ones included."""
    conditions = [
        _community_under(part.area_path),
        Order.starts_at >= part.start,
        Order.starts_at < part.end,
    ]
    if part.topic_id is not None:
        conditions.append(_has_topic(part.topic_id))
    if part.group is not None:
        conditions.append(Order.target_group == part.group)
    return sa.and_(*conditions)


# ---------------------------------------------------------------- the figures' rules


def published_clause(t=Order):
    """Published orders: dispatched at least once (published_at set) and not cancelled. The
    base of fill rate, expiry rate and the breakdowns. (``t``: the orders table, or the
    columns of a select of it.)"""
    return sa.and_(t.published_at.is_not(None), t.status != OrderStatus.cancelled.value)


def staffed_clause():
    """Published orders that became fully staffed (staffed_at set): the time-to-staff base."""
    return sa.and_(published_clause(), Order.staffed_at.is_not(None))


def done_clause(t=Order):
    """Held activities: completed or evaluated. People reached counts their expected
    attendance."""
    return t.status.in_(DONE)


def unfilled_clause():
    """Published orders with places still empty (accepted < slots)."""
    return sa.and_(published_clause(), Order.accepted_count < Order.slots)


def _has_offer(*statuses: str):
    return Order.id.in_(sa.select(Offer.order_id).where(Offer.status.in_(statuses)))


def _has_service_record():
    return Order.id.in_(sa.select(ServiceRecord.order_id))


def _has_resident_rating():
    return Order.id.in_(
        sa.select(Evaluation.order_id).where(Evaluation.rater_kind == RaterKind.resident.value)
    )


def _in_campaign(part: Slice, t=Order):
    if not part.campaigns:
        return sa.false()
    return sa.or_(*(sa.and_(t.starts_at >= a, t.starts_at < b) for a, b in part.campaigns))


def _from_period_demand(part: Slice):
    return Order.demand_id.in_(sa.select(Demand.id).where(_demand_clause(part)))


def _first_timer_ids(part: Slice):
    """Volunteers serving in the slice with no service record that started before it."""
    earlier = aliased(ServiceRecord)
    return (
        sa.select(ServiceRecord.volunteer_id)
        .join(Order, Order.id == ServiceRecord.order_id)
        .where(slice_clause(part))
        .where(
            ~sa.exists().where(
                earlier.volunteer_id == ServiceRecord.volunteer_id,
                earlier.started_at < part.start,
            )
        )
    )


def _unserved_community_ids(part: Slice):
    """Communities under the area with no held activity (of the topic and group) in the 90
    days up to the period's end."""
    held = sa.select(Order.community_id).where(
        Order.status.in_(HELD),
        Order.starts_at >= part.quiet_since,
        Order.starts_at < part.quiet_until,
    )
    if part.topic_id is not None:
        held = held.where(_has_topic(part.topic_id))
    if part.group is not None:
        held = held.where(Order.target_group == part.group)
    return sa.select(Area.id).where(
        Area.level == AreaLevel.community.value,
        Area.path.startswith(part.area_path),
        Area.id.not_in(held),
    )


FIGURES = (
    "all",
    "published",
    "unfilled",
    "staffed",
    "expired",
    "done",
    "noshow",
    "hours",
    "rated",
    "campaign",
    "demands",
    "first",
    "unserved",
)


def figure_clause(figure: str, part: Slice):
    """The orders behind ``figure`` (one of FIGURES, ``status:<s>`` or ``group:<g>``)."""
    if figure.startswith("status:"):
        return sa.and_(slice_clause(part), Order.status == figure.split(":", 1)[1])
    if figure.startswith("group:"):
        return sa.and_(
            slice_clause(part), done_clause(), Order.target_group == figure.split(":", 1)[1]
        )
    if figure == "unserved":
        # Not the slice: the orders of the unserved communities in the quiet window, none held.
        return sa.and_(
            Order.community_id.in_(_unserved_community_ids(part)),
            Order.starts_at >= part.quiet_since,
            Order.starts_at < part.quiet_until,
        )
    if figure == "demands":
        return _from_period_demand(part)
    extra = {
        "all": sa.true(),
        "published": published_clause(),
        "unfilled": unfilled_clause(),
        "staffed": staffed_clause(),
        "expired": Order.status == OrderStatus.expired.value,
        "done": done_clause(),
        "noshow": _has_offer(OfferStatus.no_show.value),
        "hours": _has_service_record(),
        "rated": _has_resident_rating(),
        "campaign": sa.and_(published_clause(), _in_campaign(part)),
        "first": Order.id.in_(
            sa.select(ServiceRecord.order_id).where(
                ServiceRecord.volunteer_id.in_(_first_timer_ids(part))
            )
        ),
    }[figure]
    return sa.and_(slice_clause(part), extra)


def _sum_if(condition, value=1):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _order_metrics(t=Order):
    """The per-group numbers of a breakdown or trend row, all over the slice's orders."""
    return (
        _sum_if(published_clause(t)).label("published"),
        _sum_if(published_clause(t), t.slots).label("slots"),
        _sum_if(published_clause(t), t.accepted_count).label("accepted"),
        _sum_if(done_clause(t)).label("done"),
        _sum_if(done_clause(t), t.expected_attendance).label("reached"),
        _sum_if(t.status == OrderStatus.expired.value).label("expired"),
    )


def _hours_by_order(part: Slice):
    return (
        sa.select(ServiceRecord.order_id, sa.func.sum(ServiceRecord.hours).label("hours"))
        .join(Order, Order.id == ServiceRecord.order_id)
        .where(slice_clause(part))
        .group_by(ServiceRecord.order_id)
        .subquery("order_hours")
    )


def _with_hours(statement: sa.Select, part: Slice) -> sa.Select:
    hours = _hours_by_order(part)
    return statement.add_columns(
        sa.func.coalesce(sa.func.sum(hours.c.hours), 0).label("hours")
    ).outerjoin(hours, hours.c.order_id == Order.id)


# ---------------------------------------------------------------- aggregates


async def plan_without_jit(*, session: AsyncSession) -> None:
    """Turn PostgreSQL's JIT off for this transaction: the dashboard's aggregates look costly to
    the planner, and compiling them took 1.2 s of a 2.3 s query at 100k orders (measured with
    EXPLAIN ANALYZE); they run faster interpreted."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(sa.text("SET LOCAL jit = off"))


async def status_counts(*, session: AsyncSession, part: Slice) -> dict[str, int]:
    rows = await session.execute(
        sa.select(Order.status, sa.func.count()).where(slice_clause(part)).group_by(Order.status)
    )
    return {status: int(count) for status, count in rows}


def _seconds_between(session: AsyncSession, later, earlier):
    if session.bind.dialect.name == "postgresql":
        return sa.func.extract("epoch", later - earlier)
    return (sa.func.julianday(later) - sa.func.julianday(earlier)) * 86400.0


async def median_seconds_to_staff(*, session: AsyncSession, part: Slice) -> float | None:
    """Median of staffed_at − published_at over the slice's staffed orders (SQL windows, so
    no order travels to Python)."""
    seconds = _seconds_between(session, Order.staffed_at, Order.published_at)
    ranked = (
        sa.select(
            seconds.label("s"),
            sa.func.row_number().over(order_by=seconds).label("n"),
            sa.func.count().over().label("total"),
        )
        .where(slice_clause(part), staffed_clause())
        .subquery()
    )
    middle = sa.select(sa.func.avg(ranked.c.s)).where(
        ranked.c.n.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2])
    )
    value = await session.scalar(middle)
    return float(value) if value is not None else None


async def offer_outcomes(*, session: AsyncSession, part: Slice) -> dict[str, int]:
    """Offers that reached the activity day: completed and no-show."""
    row = (
        await session.execute(
            sa.select(
                _sum_if(Offer.status == OfferStatus.no_show.value).label("no_show"),
                _sum_if(Offer.status.in_(ATTENDED)).label("attended"),
            )
            .join(Order, Order.id == Offer.order_id)
            .where(slice_clause(part))
        )
    ).one()
    return {"no_show": int(row.no_show), "attended": int(row.attended)}


async def hours_per_volunteer(*, session: AsyncSession, part: Slice) -> list[float]:
    """Each serving volunteer's hours in the slice (one number per volunteer, for the Gini)."""
    rows = await session.scalars(
        sa.select(sa.func.sum(ServiceRecord.hours))
        .join(Order, Order.id == ServiceRecord.order_id)
        .where(slice_clause(part))
        .group_by(ServiceRecord.volunteer_id)
    )
    return [float(h) for h in rows]


async def first_timer_count(*, session: AsyncSession, part: Slice) -> int:
    ids = _first_timer_ids(part).distinct().subquery()
    return int(await session.scalar(sa.select(sa.func.count()).select_from(ids)) or 0)


async def resident_rating(*, session: AsyncSession, part: Slice) -> tuple[float | None, int]:
    """(average stars, number) of the residents' ratings of the slice's activities."""
    row = (
        await session.execute(
            sa.select(sa.func.avg(Evaluation.stars), sa.func.count())
            .join(Order, Order.id == Evaluation.order_id)
            .where(slice_clause(part), Evaluation.rater_kind == RaterKind.resident.value)
        )
    ).one()
    return (float(row[0]) if row[0] is not None else None, int(row[1]))


def _demand_clause(part: Slice):
    conditions = [
        Demand.community_id.in_(sa.select(Area.id).where(Area.path.startswith(part.area_path))),
        Demand.created_at >= part.start,
        Demand.created_at < part.end,
    ]
    if part.topic_id is not None:
        conditions.append(
            Demand.skill_id.in_(sa.select(Skill.id).where(_domain_of_skill() == part.topic_id))
        )
    if part.group is not None:
        conditions.append(Demand.target_group == part.group)
    return sa.and_(*conditions)


async def demand_counts(*, session: AsyncSession, part: Slice) -> dict[str, int]:
    """Demands made in the period by status."""
    rows = await session.execute(
        sa.select(Demand.status, sa.func.count())
        .where(_demand_clause(part))
        .group_by(Demand.status)
    )
    found = {status.value: 0 for status in DemandStatus}
    found.update({status: int(count) for status, count in rows})
    return found


async def unserved_communities(*, session: AsyncSession, part: Slice) -> list[tuple[int, str]]:
    """(id, name) of the area's communities with no held activity in the quiet window."""
    rows = await session.execute(
        sa.select(Area.id, Area.name)
        .where(Area.id.in_(_unserved_community_ids(part)))
        .order_by(Area.code)
    )
    return [tuple(row) for row in rows]


# ---------------------------------------------------------------- breakdowns and trends


def _bucket(column, edges: list[datetime]):
    """The index of the bucket [edges[i], edges[i+1]) that ``column`` falls in."""
    return sa.case(
        *((column < edge, index) for index, edge in enumerate(edges[1:])),
        else_=len(edges) - 1,
    )


async def slice_figures(
    *, session: AsyncSession, part: Slice, weeks: list[datetime], months: list[datetime]
) -> dict[str, dict[str, dict]]:
    """The slice's order figures (``_order_metrics``, campaign, hours) in total, per street,
    community, target group, topic, week and month — one statement: the slice's orders and
    their hours are read once (a CTE) and grouped seven ways. An order with skills of two
    domains counts under each topic. Returns dimension → key (as text) → figures."""
    community = aliased(Area)
    in_slice = sa.select(Order.id).where(slice_clause(part))
    hours = (
        sa.select(ServiceRecord.order_id, sa.func.sum(ServiceRecord.hours).label("hours"))
        .where(ServiceRecord.order_id.in_(in_slice))
        .group_by(ServiceRecord.order_id)
        .subquery("order_hours")
    )
    rows = (
        sa.select(
            Order.id,
            Order.status,
            Order.slots,
            Order.accepted_count,
            Order.published_at,
            Order.expected_attendance,
            Order.target_group,
            Order.starts_at,
            community.id.label("community"),
            community.parent_id.label("street"),
            sa.func.coalesce(hours.c.hours, 0).label("hours"),
        )
        .join(community, community.id == Order.community_id)
        .outerjoin(hours, hours.c.order_id == Order.id)
        .where(slice_clause(part))
        .cte("slice_orders")
    )
    c = rows.c
    pairs = (
        sa.select(OrderSkill.order_id, _domain_of_skill().label("topic"))
        .join(Skill, Skill.id == OrderSkill.skill_id)
        .where(OrderSkill.order_id.in_(sa.select(c.id)))
        .distinct()
        .subquery("order_domains")
    )

    def grouped(name: str, key, source=rows):
        statement = sa.select(
            sa.literal_column(f"'{name}'").label("dimension"),
            sa.cast(key, sa.String).label("key"),
            *_order_metrics(c),
            _sum_if(sa.and_(published_clause(c), _in_campaign(part, c))).label("campaign"),
            sa.func.coalesce(sa.func.sum(c.hours), 0).label("hours"),
        ).select_from(source)
        return statement if name == "total" else statement.group_by(key)

    parts = [
        grouped("total", sa.literal_column("''")),
        grouped("street", c.street),
        grouped("community", c.community),
        grouped("group", c.target_group),
        grouped("topic", pairs.c.topic, rows.join(pairs, pairs.c.order_id == c.id)),
    ]
    for name, edges in (("week", weeks), ("month", months)):
        if len(edges) >= 2:
            parts.append(grouped(name, _bucket(c.starts_at, edges)))
    found: dict[str, dict[str, dict]] = {}
    for row in await session.execute(sa.union_all(*parts)):
        values = dict(row._mapping)
        found.setdefault(values.pop("dimension"), {})[values.pop("key")] = values
    return found


async def group_by_topic(*, session: AsyncSession, part: Slice) -> list[dict]:
    """The slice's order figures per (target group, topic) pair: the 上报's key-group table."""
    pairs = (
        sa.select(OrderSkill.order_id, _domain_of_skill().label("topic"))
        .join(Skill, Skill.id == OrderSkill.skill_id)
        .distinct()
        .subquery("order_domains")
    )
    statement = _with_hours(
        sa.select(Order.target_group.label("group"), pairs.c.topic, *_order_metrics())
        .join(pairs, pairs.c.order_id == Order.id)
        .where(slice_clause(part)),
        part,
    ).group_by(Order.target_group, pairs.c.topic)
    return [dict(row._mapping) for row in await session.execute(statement)]


# ---------------------------------------------------------------- order lists and names


@dataclass(frozen=True)
class OrderLine:
    id: int
    title: str
    community_id: int
    community_name: str
    community_path: str
    starts_at: datetime
    status: str
    slots: int
    accepted: int


async def orders_behind(
    *, session: AsyncSession, part: Slice, figure: str, limit: int, offset: int
) -> tuple[list[OrderLine], int]:
    """One page of the orders behind ``figure``, latest first, and how many there are."""
    where = figure_clause(figure, part)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Order).where(where))
    rows = await session.execute(
        sa.select(
            Order.id,
            Order.title,
            Order.community_id,
            Area.name,
            Area.path,
            Order.starts_at,
            Order.status,
            Order.slots,
            Order.accepted_count,
        )
        .join(Area, Area.id == Order.community_id)
        .where(where)
        .order_by(Order.starts_at.desc(), Order.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [OrderLine(*row) for row in rows], int(total or 0)


async def area_by_id(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def top_areas(*, session: AsyncSession) -> list[Area]:
    """The roots of the area tree (the districts), for an admin's default."""
    return list(
        await session.scalars(sa.select(Area).where(Area.parent_id.is_(None)).order_by(Area.code))
    )


async def areas_under(*, session: AsyncSession, path: str, levels: tuple[str, ...]) -> list[Area]:
    """The areas of ``levels`` under ``path`` (itself included), by code."""
    rows = await session.scalars(
        sa.select(Area)
        .where(Area.path.startswith(path), Area.level.in_(levels))
        .order_by(Area.code)
    )
    return list(rows)


async def names_of_areas(*, session: AsyncSession, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(ids)))
    return dict(rows.all())


async def topics(*, session: AsyncSession) -> list[tuple[int, str]]:
    """(id, name) of the skill domains, in their order."""
    rows = await session.execute(
        sa.select(Skill.id, Skill.name)
        .where(Skill.parent_id.is_(None))
        .order_by(Skill.sort_order, Skill.id)
    )
    return [tuple(row) for row in rows]


# ---------------------------------------------------------------- 优秀科技志愿者


@dataclass(frozen=True)
class VolunteerYear:
    volunteer_id: int
    name: str
    activities: int
    hours: float


async def volunteers_over(
    *,
    session: AsyncSession,
    area_path: str,
    start: datetime,
    end: datetime,
    min_activities: int,
    min_hours: float,
) -> list[VolunteerYear]:
    """Volunteers with at least ``min_activities`` activities and ``min_hours`` hours served on
    orders of the area that started in [start, end), most hours first."""
    activities = sa.func.count(sa.distinct(ServiceRecord.order_id))
    hours = sa.func.sum(ServiceRecord.hours)
    rows = await session.execute(
        sa.select(ServiceRecord.volunteer_id, User.name, activities, hours)
        .join(Order, Order.id == ServiceRecord.order_id)
        .join(Volunteer, Volunteer.id == ServiceRecord.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .where(
            _community_under(area_path),
            ServiceRecord.started_at >= start,
            ServiceRecord.started_at < end,
        )
        .group_by(ServiceRecord.volunteer_id, User.name)
        .having(activities >= min_activities, hours >= min_hours)
        .order_by(hours.desc(), ServiceRecord.volunteer_id)
    )
    return [VolunteerYear(v, name, int(n), float(h)) for v, name, n, h in rows]
