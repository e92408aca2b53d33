"""The one transition engine: a machine description, a compare-and-set, one event row per change.

Every status machine of the service (orders, offers, demands, accounts, volunteer profiles,
notification delivery) is a ``Machine``: which table and column, which ``(from, to)`` pairs are
legal (each with a Chinese description), and why the others are refused. ``change_status`` is
the only code that moves a status: it checks the table, runs ``UPDATE … WHERE id = :id AND
status = :expected`` and appends exactly one event row in the same transaction. A refused or
lost change raises ``Conflict`` with a Chinese reason and writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from service.actor import Actor
from service.context import ActionContext
from service.errors import Conflict, NotFound
from service.lifecycle import repository
from service.messages import text
from service.models import Event
from service.vocab import Role

# The role written into the event log when an actor holds several: the most specific authority.
_ROLE_PRECEDENCE = (
    Role.admin,
    Role.coordinator,
    Role.worker,
    Role.team_leader,
    Role.volunteer,
    Role.resident,
)
SYSTEM_ROLE = "system"


@dataclass(frozen=True)
class Machine:
    """One status machine: its table, its legal transitions and its words for refusals."""

    entity: str  # the ``events.entity`` value
    model: Any  # the SQLModel table class; its ``status`` column is the state
    noun: str  # what people call the thing, in Chinese: 活动, 邀请, 点单 …
    statuses: type[StrEnum]
    labels: Mapping[Any, str]
    transitions: Mapping[tuple[Any, Any], str]  # (from, to) → what the change means
    why: Mapping[Any, str] = field(default_factory=dict)  # why a state refuses to move on
    stamps_updated_at: bool = True  # the table has an ``updated_at`` column
    reason_column: str | None = None  # a column that keeps the latest explicit reason
    order_column: str | None = None  # the column naming the order, copied to events.order_id

    @property
    def table(self) -> sa.Table:
        return self.model.__table__

    def is_legal(self, current: str, to: str) -> bool:
        return (self.statuses(current), self.statuses(to)) in self.transitions

    def refusal(self, current: str, to: str) -> str:
        """A Chinese sentence saying why ``current → to`` is refused."""
        current, to = self.statuses(current), self.statuses(to)
        base = text(
            "refusal.transition.illegal",
            noun=self.noun,
            current=self.labels[current],
            target=self.labels[to],
        )
        return base + self.why.get(current, "")

    def lost_race(self) -> str:
        return text("refusal.transition.lost_race", noun=self.noun)

    def not_found(self) -> str:
        return text("refusal.transition.not_found", noun=self.noun)


def role_of(actor: Actor) -> str:
    """The role recorded for ``actor``: ``system`` for background work, else its highest role."""
    if actor.is_anonymous:
        return SYSTEM_ROLE
    for role in _ROLE_PRECEDENCE:
        if role in actor.roles:
            return role.value
    return Role.resident.value


async def record_event(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    entity: str,
    entity_id: int,
    order_id: int | None,
    from_status: str | None,
    to_status: str,
    reason: str | None = None,
    role: str | None = None,
) -> Event:
    """Append one event row (creation events, and every transition made by ``change_status``)."""
    event = Event(
        at=ctx.now,
        entity=entity,
        entity_id=entity_id,
        order_id=order_id,
        from_status=str(from_status) if from_status is not None else None,
        to_status=str(to_status),
        actor_user_id=ctx.actor.user_id,
        actor_role=role or role_of(ctx.actor),
        reason=reason[:500] if reason else None,
        request_id=ctx.request_id[:64] if ctx.request_id else None,
    )
    session.add(event)
    await session.flush()
    return event


def sync_loaded(session: AsyncSession, model: type, row_id: int, values: dict[str, Any]) -> None:
    """Keep an already-loaded ORM object in step with a Core UPDATE (no lazy reload in async)."""
    loaded = session.identity_map.get(identity_key(model, row_id))
    if loaded is not None:
        for key, value in values.items():
            set_committed_value(loaded, key, value)


async def _current(
    session: AsyncSession, machine: Machine, entity_id: int
) -> tuple[str, int | None]:
    """The row's status (and order id) under the row lock, so our own CAS cannot lose."""
    columns = [machine.table.c.status]
    if machine.order_column:
        columns.append(machine.table.c[machine.order_column])
    row = await repository.locked_row(
        session=session, table=machine.table, entity_id=entity_id, columns=columns
    )
    if row is None:
        raise NotFound(machine.not_found())
    return row[0], (row[1] if machine.order_column else None)


async def change_status(
    session: AsyncSession,
    ctx: ActionContext,
    machine: Machine,
    *,
    entity_id: int,
    to: str,
    expected: str | None = None,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    role: str | None = None,
    order_id: int | None = None,
) -> str:
    """Move one row of ``machine`` to ``to`` if the table allows it; returns the previous status.

    Without ``expected`` the current status is read under the row lock (a concurrent change
    waits for us instead of racing). With ``expected`` the caller already knows the status it
    acts on (e.g. a claimed outbox row) and the compare-and-set alone decides: if the row moved
    meanwhile, the change is refused as lost.
    """
    if expected is None:
        current, found_order_id = await _current(session, machine, entity_id)
    else:
        current, found_order_id = str(expected), None
    if not machine.is_legal(current, to):
        raise Conflict(
            machine.refusal(current, to),
            code="illegal_transition",
            from_status=str(current),
            to_status=str(to),
        )
    changes: dict[str, Any] = {"status": str(to)}
    if machine.stamps_updated_at:
        changes["updated_at"] = ctx.now
    changes.update(values or {})
    if reason is not None and machine.reason_column:
        changes[machine.reason_column] = reason[:500]
    table = machine.table
    moved = await repository.compare_and_set(
        session=session, table=table, entity_id=entity_id, expected=str(current), changes=changes
    )
    if not moved:
        if expected is not None:
            await _current(session, machine, entity_id)  # a vanished row is "not found"
        raise Conflict(machine.lost_race(), code="status_changed")
    sync_loaded(session, machine.model, entity_id, changes)
    if machine.order_column == "id":
        found_order_id = entity_id
    elif machine.order_column and found_order_id is None and order_id is None:
        found_order_id = await repository.column_value(
            session=session, table=table, column=machine.order_column, entity_id=entity_id
        )
    await record_event(
        session,
        ctx,
        entity=machine.entity,
        entity_id=entity_id,
        order_id=order_id if order_id is not None else found_order_id,
        from_status=current,
        to_status=to,
        reason=reason or machine.transitions[(machine.statuses(current), machine.statuses(to))],
        role=role,
    )
    return current
