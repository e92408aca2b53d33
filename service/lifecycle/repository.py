"""The statements of the state machine: row locks, compare-and-set, the guarded slot counter.

The engine (``engine.py``) and the slot helpers (``slots.py``) decide; these functions only talk
to the database, so every status column is written by the statements in this one file.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Order
from service.vocab import OrderStatus

_orders = Order.__table__
_c = _orders.c


async def locked_row(
    *, session: AsyncSession, table: sa.Table, entity_id: int, columns: list[sa.Column]
) -> sa.Row | None:
    """``columns`` of one row, read under its row lock (FOR UPDATE; a no-op on SQLite)."""
    statement = sa.select(*columns).where(table.c.id == entity_id).with_for_update()
    return (await session.execute(statement)).first()


async def compare_and_set(
    *, session: AsyncSession, table: sa.Table, entity_id: int, expected: str, changes: dict
) -> bool:
    """``UPDATE … WHERE id = :id AND status = :expected``; True when the row moved."""
    result = await session.execute(
        sa.update(table)
        .where(table.c.id == entity_id, table.c.status == expected)
        .values(**changes)
    )
    return result.rowcount == 1


async def column_value(
    *, session: AsyncSession, table: sa.Table, column: str, entity_id: int
) -> Any:
    return await session.scalar(sa.select(table.c[column]).where(table.c.id == entity_id))


async def claim_slot(*, session: AsyncSession, order_id: int, now: datetime) -> sa.Row | None:
    """Take one slot with one guarded statement; the row after the claim, or None if refused.

    Concurrent claims queue on the row lock and re-check the WHERE clause against the committed
    row, so at most ``slots`` of them can ever succeed. The claim that fills the order moves it
    to ``staffed`` in the same statement.
    """
    will_fill = _c.accepted_count + 1 >= _c.slots
    statement = (
        sa.update(_orders)
        .where(
            _c.id == order_id,
            _c.status == OrderStatus.published.value,
            _c.accepted_count < _c.slots,
        )
        .values(
            accepted_count=_c.accepted_count + 1,
            status=sa.case((will_fill, OrderStatus.staffed.value), else_=_c.status),
            staffed_at=sa.case((will_fill, now), else_=_c.staffed_at),
            updated_at=now,
        )
        .returning(_c.accepted_count, _c.slots, _c.status)
    )
    return (await session.execute(statement)).first()


async def slot_counts(*, session: AsyncSession, order_id: int) -> sa.Row | None:
    """Status, accepted count and slots of an order (no lock)."""
    statement = sa.select(_c.status, _c.accepted_count, _c.slots).where(_c.id == order_id)
    return (await session.execute(statement)).first()


async def write_slot_count_unguarded(
    *, session: AsyncSession, order_id: int, count: int, status: str, now: datetime
) -> None:
    """TEST ONLY (see ``slots._claim_without_guard``): a blind write of the counter."""
    await session.execute(
        sa.update(_orders)
        .where(_c.id == order_id)
        .values(accepted_count=count, status=status, updated_at=now)
    )


async def order_status_for_update(*, session: AsyncSession, order_id: int) -> str | None:
    return await session.scalar(sa.select(_c.status).where(_c.id == order_id).with_for_update())


async def release_slot(*, session: AsyncSession, order_id: int, now: datetime) -> int | None:
    """Give one slot back; the remaining count, or None when there was none to give."""
    result = await session.execute(
        sa.update(_orders)
        .where(_c.id == order_id, _c.accepted_count > 0)
        .values(accepted_count=_c.accepted_count - 1, updated_at=now)
        .returning(_c.accepted_count)
    )
    return result.scalar_one_or_none()
