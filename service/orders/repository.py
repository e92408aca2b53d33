"""Queries for orders: rows, skills, scoped lists, events, offers, the coordinator's queue."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth import policy
from service.models import (
    Area,
    Demand,
    Event,
    Offer,
    Order,
    OrderSkill,
    Skill,
    Team,
    User,
    Venue,
    Volunteer,
)
from service.pagination import PageParams
from service.vocab import AreaLevel, OfferStatus, OrderStatus


async def get_order(*, session: AsyncSession, order_id: int) -> Order | None:
    return await session.get(Order, order_id, populate_existing=True)


async def lock_order(*, session: AsyncSession, order_id: int) -> Order | None:
    """The order row, locked (PostgreSQL): work on one order and its offers takes turns.

    Taken before touching the order's offers (lock order: order → offers); first check-ins,
    completion and the ratings of one order queue here too.
    """
    return await session.scalar(
        sa.select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def get_area(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def community_of_demand(*, session: AsyncSession, demand_id: int) -> int | None:
    """The community a demand was made for (None when there is no such demand)."""
    return await session.scalar(sa.select(Demand.community_id).where(Demand.id == demand_id))


async def get_team(*, session: AsyncSession, team_id: int) -> Team | None:
    return await session.get(Team, team_id)


async def get_venue(*, session: AsyncSession, venue_id: int) -> Venue | None:
    return await session.get(Venue, venue_id)


async def venue_named(*, session: AsyncSession, community_id: int, query: str) -> Venue | None:
    """The community's first saved venue whose name or address is exactly ``query``."""
    return await session.scalar(
        sa.select(Venue)
        .where(
            Venue.community_id == community_id,
            sa.or_(Venue.name == query, Venue.address == query),
        )
        .order_by(Venue.id)
        .limit(1)
    )


async def area_named(*, session: AsyncSession, name: str) -> Area | None:
    """The first area (any level) with exactly this name."""
    return await session.scalar(sa.select(Area).where(Area.name == name).order_by(Area.id).limit(1))


async def existing_skill_ids(*, session: AsyncSession, skill_ids: list[int]) -> set[int]:
    """Those of ``skill_ids`` that name a skill new orders may ask for (not retired)."""
    return set(
        await session.scalars(
            sa.select(Skill.id).where(Skill.id.in_(skill_ids), Skill.active.is_(True))
        )
    )


# ---------------------------------------------------------------- choices for the order form


async def skill_tree(*, session: AsyncSession) -> list[tuple[Skill, list[Skill]]]:
    """The active taxonomy: each domain (领域) with its active skills, in the admin's order."""
    rows = list(
        await session.scalars(
            sa.select(Skill).where(Skill.active.is_(True)).order_by(Skill.sort_order, Skill.id)
        )
    )
    children: dict[int, list[Skill]] = {}
    for skill in rows:
        if skill.parent_id is not None:
            children.setdefault(skill.parent_id, []).append(skill)
    return [(d, children.get(d.id, [])) for d in rows if d.parent_id is None]


async def communities_in_scope(*, session: AsyncSession, actor: Actor) -> list[Area]:
    """The communities the actor may make orders for (admins: every one), by name."""
    statement = sa.select(Area).where(Area.level == AreaLevel.community)
    areas = policy.areas_in_scope(actor)
    if areas is not None:
        statement = statement.where(Area.id.in_(areas))
    return list(await session.scalars(statement.order_by(Area.path).limit(2000)))


async def venues_of(*, session: AsyncSession, community_ids: list[int]) -> list[Venue]:
    """The saved venues of these communities, by community and name."""
    if not community_ids:
        return []
    rows = await session.scalars(
        sa.select(Venue)
        .where(Venue.community_id.in_(community_ids))
        .order_by(Venue.community_id, Venue.name)
    )
    return list(rows.all())


async def active_teams(*, session: AsyncSession) -> list[Team]:
    """Teams an order may be given to (按队派单), by name."""
    return list(
        await session.scalars(sa.select(Team).where(Team.active.is_(True)).order_by(Team.name))
    )


async def skill_ids_of(*, session: AsyncSession, order_id: int) -> list[int]:
    rows = await session.scalars(
        sa.select(OrderSkill.skill_id).where(OrderSkill.order_id == order_id)
    )
    return sorted(rows)


async def skill_ids_by_order(*, session: AsyncSession, order_ids) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {oid: [] for oid in order_ids}
    rows = await session.execute(
        sa.select(OrderSkill.order_id, OrderSkill.skill_id).where(
            OrderSkill.order_id.in_(list(order_ids))
        )
    )
    for oid, sid in rows:
        out[oid].append(sid)
    return out


async def set_skills(*, session: AsyncSession, order_id: int, skill_ids: list[int]) -> None:
    await session.execute(sa.delete(OrderSkill).where(OrderSkill.order_id == order_id))
    for skill_id in sorted(set(skill_ids)):
        session.add(OrderSkill(order_id=order_id, skill_id=skill_id))
    await session.flush()


def _order_filters(
    scope,
    *,
    status: OrderStatus | None = None,
    community_id: int | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    text: str | None = None,
) -> list:
    conditions = [scope]
    if status is not None:
        conditions.append(Order.status == status.value)
    if community_id is not None:
        conditions.append(Order.community_id == community_id)
    if starts_after is not None:
        conditions.append(Order.starts_at >= starts_after)
    if starts_before is not None:
        conditions.append(Order.starts_at < starts_before)
    if text:
        # autoescape: "%" and "_" typed by a person are literal characters, not wildcards.
        conditions.append(
            sa.or_(
                Order.title.icontains(text, autoescape=True),
                Order.venue_name.icontains(text, autoescape=True),
            )
        )
    return conditions


async def list_orders(
    *,
    session: AsyncSession,
    scope,
    page: PageParams,
    status: OrderStatus | None = None,
    community_id: int | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    text: str | None = None,
    upcoming_first: datetime | None = None,
) -> tuple[list[Order], int]:
    """Orders inside ``scope`` with optional filters (``text``: in the title or venue), soonest
    first; with ``upcoming_first`` (now), those not yet over come first, soonest first, then the
    past ones, latest first."""
    conditions = _order_filters(
        scope,
        status=status,
        community_id=community_id,
        starts_after=starts_after,
        starts_before=starts_before,
        text=text,
    )
    ordering = (Order.starts_at, Order.id)
    if upcoming_first is not None:
        over = sa.case((Order.ends_at < upcoming_first, 1), else_=0)
        soonest = sa.case((Order.ends_at >= upcoming_first, Order.starts_at), else_=None)
        ordering = (over, soonest, Order.starts_at.desc(), Order.id.desc())
    total = await session.scalar(sa.select(sa.func.count()).select_from(Order).where(*conditions))
    rows = await session.scalars(
        sa.select(Order)
        .where(*conditions)
        .order_by(*ordering)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(rows), int(total or 0)


async def status_counts(
    *,
    session: AsyncSession,
    scope,
    community_id: int | None = None,
    starts_after: datetime | None = None,
    starts_before: datetime | None = None,
    text: str | None = None,
) -> dict[str, int]:
    """How many orders inside ``scope`` (and the other filters) each status has."""
    conditions = _order_filters(
        scope,
        community_id=community_id,
        starts_after=starts_after,
        starts_before=starts_before,
        text=text,
    )
    rows = await session.execute(
        sa.select(Order.status, sa.func.count()).where(*conditions).group_by(Order.status)
    )
    return {str(status): int(count) for status, count in rows}


# Today's desk: what needs the community's hand now. The buckets do not overlap, so an order
# shows up once, under the action it needs first.
_UNDER_WAY = [
    OrderStatus.published.value,
    OrderStatus.staffed.value,
    OrderStatus.expired.value,
    OrderStatus.in_progress.value,
]
DESK_BUCKETS = ("confirm", "today", "expiring", "open", "drafts", "rate")


def _desk_condition(bucket: str, *, now: datetime, day_end: datetime, soon: datetime):
    open_slots = Order.accepted_count < Order.slots
    closes = sa.func.coalesce(Order.accept_deadline, Order.starts_at)
    later = Order.starts_at >= day_end
    published = Order.status == OrderStatus.published.value
    conditions = {
        # The activity is over and nobody has confirmed it (or it found nobody at all).
        "confirm": sa.and_(Order.status.in_(_UNDER_WAY), Order.ends_at <= now),
        # Taking place today (or running now).
        "today": sa.and_(
            Order.status.in_(_UNDER_WAY), Order.ends_at > now, Order.starts_at < day_end
        ),
        # Acceptance closes soon with open 名额, or has closed (expired).
        "expiring": sa.and_(
            later,
            sa.or_(
                sa.and_(published, open_slots, closes < soon),
                Order.status == OrderStatus.expired.value,
            ),
        ),
        "open": sa.and_(later, published, open_slots, closes >= soon),
        "drafts": Order.status == OrderStatus.draft.value,
        "rate": Order.status == OrderStatus.completed.value,
    }
    return conditions[bucket]


_DESK_ORDERING = {
    "confirm": (Order.ends_at, Order.id),
    "today": (Order.starts_at, Order.id),
    "expiring": (sa.func.coalesce(Order.accept_deadline, Order.starts_at), Order.id),
    "open": (Order.starts_at, Order.id),
    "drafts": (Order.starts_at, Order.id),
    "rate": (Order.ends_at.desc(), Order.id.desc()),
}


async def desk_bucket(
    *,
    session: AsyncSession,
    scope,
    bucket: str,
    now: datetime,
    day_end: datetime,
    soon: datetime,
    limit: int,
) -> tuple[list[Order], int]:
    """The first ``limit`` orders of one of ``DESK_BUCKETS`` inside ``scope``, and how many
    there are. ``day_end``: the end of the local day; ``soon``: acceptance closing before it
    counts as expiring."""
    condition = _desk_condition(bucket, now=now, day_end=day_end, soon=soon)
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(scope, condition)
    )
    rows = await session.scalars(
        sa.select(Order).where(scope, condition).order_by(*_DESK_ORDERING[bucket]).limit(limit)
    )
    return list(rows), int(total or 0)


async def coordinator_queue(
    *, session: AsyncSession, scope, page: PageParams
) -> tuple[list[Order], int]:
    """Orders that need a coordinator: expired, or published with nobody left to ask."""
    conditions = [
        scope,
        Order.needs_attention_at.is_not(None),
        Order.status.in_([OrderStatus.published.value, OrderStatus.expired.value]),
    ]
    total = await session.scalar(sa.select(sa.func.count()).select_from(Order).where(*conditions))
    rows = await session.scalars(
        sa.select(Order)
        .where(*conditions)
        .order_by(Order.needs_attention_at, Order.id)
        .limit(page.limit)
        .offset(page.offset)
    )
    return list(rows), int(total or 0)


async def events_of(
    *, session: AsyncSession, order_id: int, page: PageParams
) -> tuple[list[Event], int]:
    """The order's own events and those of its offers, oldest first."""
    condition = Event.order_id == order_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Event).where(condition))
    rows = await session.scalars(
        sa.select(Event).where(condition).order_by(Event.id).limit(page.limit).offset(page.offset)
    )
    return list(rows), int(total or 0)


async def recent_events(
    *, session: AsyncSession, order_id: int, limit: int
) -> tuple[list[Event], int]:
    """The newest ``limit`` events of an order and its offers (newest first), and the total."""
    condition = Event.order_id == order_id
    total = await session.scalar(sa.select(sa.func.count()).select_from(Event).where(condition))
    rows = await session.scalars(
        sa.select(Event).where(condition).order_by(Event.id.desc()).limit(limit)
    )
    return list(rows), int(total or 0)


async def live_version(*, session: AsyncSession, order_id: int) -> str:
    """A short text that changes whenever the order page would show something new: the newest
    event (every status change of the order and its offers), the offers' count and latest
    change (a confirmation changes no status), and the order's own latest change (a
    re-dispatch may change only its terms)."""
    newest_event = (
        sa.select(sa.func.max(Event.id)).where(Event.order_id == order_id).scalar_subquery()
    )
    offer_count = (
        sa.select(sa.func.count(Offer.id)).where(Offer.order_id == order_id).scalar_subquery()
    )
    offer_changed = (
        sa.select(sa.func.max(Offer.updated_at)).where(Offer.order_id == order_id)
    ).scalar_subquery()
    order_changed = sa.select(Order.updated_at).where(Order.id == order_id).scalar_subquery()
    row = (
        await session.execute(sa.select(newest_event, offer_count, offer_changed, order_changed))
    ).one()
    return ".".join(_version_part(value) for value in row)


def _version_part(value) -> str:
    if value is None:
        return "0"
    if isinstance(value, datetime):
        return str(int(value.timestamp() * 1000))
    # Some drivers hand back a max() of a timestamp column as text: keep only its digits.
    return "".join(ch for ch in str(value) if ch.isdigit()) or "0"


async def offers_with_people(
    *, session: AsyncSession, order_id: int
) -> list[tuple[Offer, int, str, str | None, str | None]]:
    """An order's offers with (offer, volunteer's user id, name, phone, team name)."""
    rows = await session.execute(
        sa.select(Offer, User.id, User.name, User.phone, Team.name)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .join(User, User.id == Volunteer.user_id)
        .outerjoin(Team, Team.id == Offer.team_id)
        .where(Offer.order_id == order_id)
        .order_by(Offer.id)
        .execution_options(populate_existing=True)
    )
    return [tuple(row) for row in rows.all()]


async def user_names(*, session: AsyncSession, user_ids: Collection[int]) -> dict[int, str]:
    """Names of the given users (for who did what in an order's history)."""
    if not user_ids:
        return {}
    rows = await session.execute(sa.select(User.id, User.name).where(User.id.in_(list(user_ids))))
    return {user_id: name for user_id, name in rows}


async def skill_names_of(*, session: AsyncSession, order_id: int) -> list[str]:
    """The names of the skills an order needs, in the taxonomy's order."""
    rows = await session.scalars(
        sa.select(Skill.name)
        .join(OrderSkill, OrderSkill.skill_id == Skill.id)
        .where(OrderSkill.order_id == order_id)
        .order_by(Skill.sort_order, Skill.id)
    )
    return list(rows)


async def area_names(*, session: AsyncSession, area_ids: Collection[int]) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(list(area_ids))))
    return {area_id: name for area_id, name in rows}


async def offers_of(*, session: AsyncSession, order_id: int) -> list[Offer]:
    rows = await session.scalars(
        sa.select(Offer).where(Offer.order_id == order_id).order_by(Offer.rank, Offer.id)
    )
    return list(rows)


async def offer_ids_with_status(
    *, session: AsyncSession, order_id: int, statuses: tuple[OfferStatus, ...]
) -> list[int]:
    rows = await session.scalars(
        sa.select(Offer.id)
        .where(Offer.order_id == order_id, Offer.status.in_([s.value for s in statuses]))
        .order_by(Offer.id)
    )
    return list(rows)


async def nearby_open_orders(
    *, session: AsyncSession, lat: float, lng: float, reach_km: float, now: datetime, limit: int
) -> list[Order]:
    """Published open-mode orders not yet started, inside a bounding box around a point."""
    import math

    dlat = reach_km / 111.0
    dlng = reach_km / (111.0 * max(math.cos(math.radians(lat)), 0.01))
    rows = await session.scalars(
        sa.select(Order)
        .where(
            Order.status == OrderStatus.published.value,
            Order.dispatch_mode == "open",
            Order.starts_at > now,
            Order.venue_lat.between(lat - dlat, lat + dlat),
            Order.venue_lng.between(lng - dlng, lng + dlng),
        )
        .order_by(Order.starts_at, Order.id)
        .limit(limit)
    )
    return list(rows)


async def volunteer_by_id(*, session: AsyncSession, volunteer_id: int) -> Volunteer | None:
    return await session.get(Volunteer, volunteer_id)


async def set_attention(
    *, session: AsyncSession, order_id: int, at: datetime | None, suggestion: dict | None
) -> None:
    """Put an order in the coordinator's queue (``at`` set) or take it out (``at`` None)."""
    await session.execute(
        sa.update(Order.__table__)
        .where(Order.__table__.c.id == order_id)
        .values(needs_attention_at=at, suggestion=suggestion)
    )


async def rewrite_order(*, session: AsyncSession, order: Order, values: dict) -> None:
    """Write columns of an order straight to its row (no status change), then reload it."""
    await session.execute(
        sa.update(Order.__table__).where(Order.__table__.c.id == order.id).values(**values)
    )
    await session.refresh(order)


async def offers_with_user_ids(
    *, session: AsyncSession, order_id: int, statuses: tuple[OfferStatus, ...]
) -> list[tuple[int, int]]:
    """(offer id, volunteer's user id) of an order's offers in ``statuses``, oldest first."""
    rows = await session.execute(
        sa.select(Offer.id, Volunteer.user_id)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(Offer.order_id == order_id, Offer.status.in_([s.value for s in statuses]))
        .order_by(Offer.id)
    )
    return [tuple(row) for row in rows.all()]


async def user_id_of_volunteer(*, session: AsyncSession, volunteer_id: int) -> int | None:
    return await session.scalar(sa.select(Volunteer.user_id).where(Volunteer.id == volunteer_id))


async def title_of(*, session: AsyncSession, order_id: int) -> str | None:
    return await session.scalar(sa.select(Order.title).where(Order.id == order_id))


async def team_ids_on_offers(
    *, session: AsyncSession, order_id: int, statuses: Sequence[str]
) -> frozenset[int]:
    """The teams whose members hold offers of the order in ``statuses`` (team acceptances)."""
    rows = await session.scalars(
        sa.select(Offer.team_id)
        .where(
            Offer.order_id == order_id,
            Offer.team_id.is_not(None),
            Offer.status.in_([str(s) for s in statuses]),
        )
        .distinct()
    )
    return frozenset(rows)
