"""Queries of 一键派单: the open orders of an area and period, who was asked already, plans,
the row locks of applying, and the bulk writes of the offers it sends."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased, load_only

from service.models import (
    Area,
    DispatchPlan,
    Event,
    Notification,
    Offer,
    Order,
    OrderSkill,
    User,
    Volunteer,
)
from service.vocab import DispatchMode, OfferStatus, OrderStatus, VolunteerStatus

CHUNK = 5_000  # ids per IN (...): far below the drivers' limits on bound parameters
PLANNED_MODES = (DispatchMode.targeted.value, DispatchMode.open.value)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    ids = list(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


async def area_by_code_or_id(*, session: AsyncSession, key: str) -> Area | None:
    """The area with this 12-digit code, or this id."""
    if len(key) == 12 and key.isdigit():
        return await session.scalar(sa.select(Area).where(Area.code == key))
    if key.isdigit() and 0 < int(key) < 2**31:
        return await session.get(Area, int(key))
    return None


async def area_by_id(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def areas_to_plan(*, session: AsyncSession, scope: sa.Select | None) -> list[Area]:
    """Districts and streets the actor may plan for (``scope``: area ids, None: all)."""
    statement = sa.select(Area).where(Area.level.in_(("district", "street"))).order_by(Area.path)
    if scope is not None:
        statement = statement.where(Area.id.in_(scope))
    return list(await session.scalars(statement))


async def open_orders(
    *, session: AsyncSession, area_path: str, starts_from: datetime, starts_before: datetime
) -> list[tuple[Order, str, int | None]]:
    """(order, community name, street id) of published, not yet started orders in targeted or
    open mode of the area's subtree whose start lies in the period, by start then id."""
    community = aliased(Area)
    rows = await session.execute(
        sa.select(Order, community.name, community.parent_id)
        .join(community, community.id == Order.community_id)
        .where(
            community.path.startswith(area_path),
            Order.status == OrderStatus.published.value,
            Order.dispatch_mode.in_(PLANNED_MODES),
            Order.starts_at >= starts_from,
            Order.starts_at < starts_before,
            sa.or_(Order.accept_deadline.is_(None), Order.accept_deadline > starts_from),
        )
        .order_by(Order.starts_at, Order.id)
    )
    return [(order, name, street) for order, name, street in rows]


async def skill_ids_by_order(
    *, session: AsyncSession, order_ids: Collection[int]
) -> dict[int, set[int]]:
    out: dict[int, set[int]] = defaultdict(set)
    for chunk in _chunks(sorted(order_ids)):
        rows = await session.execute(
            sa.select(OrderSkill.order_id, OrderSkill.skill_id).where(
                OrderSkill.order_id.in_(chunk)
            )
        )
        for order_id, skill_id in rows:
            out[order_id].add(skill_id)
    return out


async def offers_by_order(
    *, session: AsyncSession, order_ids: Collection[int]
) -> dict[int, list[tuple[int, str]]]:
    """Order id → (volunteer id, status) of every offer row it has."""
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for chunk in _chunks(sorted(order_ids)):
        rows = await session.execute(
            sa.select(Offer.order_id, Offer.volunteer_id, Offer.status).where(
                Offer.order_id.in_(chunk)
            )
        )
        for order_id, volunteer_id, status in rows:
            out[order_id].append((volunteer_id, status))
    return out


async def lock_volunteers(*, session: AsyncSession, volunteer_ids: Collection[int]) -> None:
    """Row locks on these volunteers, in id order (PostgreSQL; SQLite serializes writers).

    Taken before the orders' locks: an individual accept locks its volunteer, then the order,
    so the same order here means no deadlock, and an accept of a planned pair waits for us
    (then finds our offer) or we wait for it (then find its acceptance).
    """
    for chunk in _chunks(sorted(volunteer_ids)):
        await session.execute(
            sa.select(Volunteer.id)
            .where(Volunteer.id.in_(chunk))
            .order_by(Volunteer.id)
            .with_for_update()
        )


async def lock_orders(*, session: AsyncSession, order_ids: Collection[int]) -> dict[int, Order]:
    """The orders, locked in id order and read afresh (lock order: order → offers)."""
    out: dict[int, Order] = {}
    for chunk in _chunks(sorted(order_ids)):
        rows = await session.scalars(
            sa.select(Order)
            .where(Order.id.in_(chunk))
            .order_by(Order.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        out.update((order.id, order) for order in rows)
    return out


async def read_orders(*, session: AsyncSession, order_ids: Collection[int]) -> dict[int, Order]:
    """The orders without locks (the unsafe test mode of applying)."""
    out: dict[int, Order] = {}
    for chunk in _chunks(sorted(order_ids)):
        rows = await session.scalars(
            sa.select(Order).where(Order.id.in_(chunk)).execution_options(populate_existing=True)
        )
        out.update((order.id, order) for order in rows)
    return out


async def active_among(*, session: AsyncSession, volunteer_ids: Collection[int]) -> set[int]:
    """The ids among these whose volunteer profile is active."""
    out: set[int] = set()
    for chunk in _chunks(sorted(volunteer_ids)):
        out.update(
            await session.scalars(
                sa.select(Volunteer.id).where(
                    Volunteer.id.in_(chunk), Volunteer.status == VolunteerStatus.active.value
                )
            )
        )
    return out


async def held_pairs(
    *, session: AsyncSession, volunteer_ids: Collection[int], now: datetime
) -> set[tuple[int, int]]:
    """(volunteer id, order id) of the orders these volunteers hold that have not ended."""
    out: set[tuple[int, int]] = set()
    for chunk in _chunks(sorted(volunteer_ids)):
        rows = await session.execute(
            sa.select(Offer.volunteer_id, Offer.order_id)
            .join(Order, Order.id == Offer.order_id)
            .where(
                Offer.volunteer_id.in_(chunk),
                Offer.status.in_((OfferStatus.accepted.value, OfferStatus.checked_in.value)),
                Order.ends_at > now,
            )
        )
        out.update((v, o) for v, o in rows)
    return out


async def user_ids_of_volunteers(
    *, session: AsyncSession, volunteer_ids: Collection[int]
) -> dict[int, int]:
    out: dict[int, int] = {}
    for chunk in _chunks(sorted(volunteer_ids)):
        rows = await session.execute(
            sa.select(Volunteer.id, Volunteer.user_id).where(Volunteer.id.in_(chunk))
        )
        out.update(rows.all())
    return out


async def people(
    *, session: AsyncSession, volunteer_ids: Collection[int]
) -> dict[int, tuple[str, str, int]]:
    """Volunteer id → (name, phone, completed activities)."""
    out: dict[int, tuple[str, str, int]] = {}
    for chunk in _chunks(sorted(volunteer_ids)):
        rows = await session.execute(
            sa.select(Volunteer.id, User.name, User.phone, Volunteer.completed_count)
            .join(User, User.id == Volunteer.user_id)
            .where(Volunteer.id.in_(chunk))
        )
        for vid, name, phone, completed in rows:
            out[vid] = (name or "", phone or "", int(completed or 0))
    return out


async def area_names(*, session: AsyncSession, area_ids: Collection[int]) -> dict[int, str]:
    if not area_ids:
        return {}
    rows = await session.execute(sa.select(Area.id, Area.name).where(Area.id.in_(list(area_ids))))
    return dict(rows.all())


async def add_plan(*, session: AsyncSession, plan: DispatchPlan) -> DispatchPlan:
    session.add(plan)
    await session.flush()
    return plan


async def get_plan(
    *, session: AsyncSession, plan_id: int, for_update: bool = False
) -> DispatchPlan | None:
    statement = sa.select(DispatchPlan).where(DispatchPlan.id == plan_id)
    if for_update:
        statement = statement.with_for_update()
    return await session.scalar(statement.execution_options(populate_existing=True))


async def recent_plans(
    *, session: AsyncSession, scope: sa.Select | None, limit: int = 10
) -> list[tuple[DispatchPlan, str]]:
    """The latest plans of the areas in ``scope`` (None: all), with the area's name; without
    their orders and reports (a district's plan holds ~10 MB of them)."""
    statement = (
        sa.select(DispatchPlan, Area.name)
        .options(
            load_only(
                DispatchPlan.id,
                DispatchPlan.area_id,
                DispatchPlan.period_from,
                DispatchPlan.period_to,
                DispatchPlan.status,
                DispatchPlan.created_at,
                DispatchPlan.totals,
                raiseload=True,
            )
        )
        .join(Area, Area.id == DispatchPlan.area_id)
        .order_by(DispatchPlan.created_at.desc(), DispatchPlan.id.desc())
        .limit(limit)
    )
    if scope is not None:
        statement = statement.where(DispatchPlan.area_id.in_(scope))
    return [(plan, name) for plan, name in await session.execute(statement)]


async def insert_offers(
    *, session: AsyncSession, offers: list[dict], events: list[dict], notes: list[dict]
) -> list[int]:
    """Write many new offers, then their creation events and notifications, in bulk.

    ``events[i]['entity_id']`` and the notifications' ``payload['offer_id']`` hold the index
    into ``offers`` until the ids are known. PostgreSQL: the offer ids drawn from the sequence
    in one query, then three COPYs in this transaction (INSERTs cost ~130 µs a row here: 6 s
    for a district's 15,000 invitations; COPY a fraction). SQLite: batched INSERTs.
    """
    if not offers:
        return []
    if session.bind.dialect.name == "postgresql":
        ids = list(
            await session.scalars(
                sa.select(sa.func.nextval("offers_id_seq")).select_from(
                    sa.func.generate_series(1, len(offers))
                )
            )
        )
        for offer, offer_id in zip(offers, ids, strict=True):
            offer["id"] = offer_id
    else:
        table = Offer.__table__
        result = await session.execute(
            sa.insert(table).returning(table.c.id, sort_by_parameter_order=True), offers
        )
        ids = list(result.scalars())
    for event in events:
        event["entity_id"] = ids[event["entity_id"]]
    for note in notes:
        note["payload"] = {**note["payload"], "offer_id": ids[note["payload"]["offer_id"]]}
    if session.bind.dialect.name == "postgresql":
        for table, rows in ((Offer.__table__, offers), (Event.__table__, events),
                            (Notification.__table__, notes)):  # fmt: skip
            await _copy(session, table, rows)
    else:
        await session.execute(sa.insert(Event.__table__), events)
        await session.execute(sa.insert(Notification.__table__), notes)
    return ids


async def _copy(session: AsyncSession, table: sa.Table, rows: list[dict]) -> None:
    """COPY ``rows`` (dicts of column values; JSON columns as Python values) into ``table``."""
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, sa.JSON | JSONB)}
    records = [
        tuple(json.dumps(row[c], ensure_ascii=False) if c in as_json else row[c] for c in columns)
        for row in rows
    ]
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    await raw.driver_connection.copy_records_to_table(table.name, records=records, columns=columns)
