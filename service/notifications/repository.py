"""Queries on the notification outbox: claiming due rows, recording results, inbox, admin lists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from service.models import Demand, Notification, RoleAssignment, User
from service.vocab import NotificationStatus, Role

RETRYABLE = (NotificationStatus.pending, NotificationStatus.failed)
PROBLEMS = (NotificationStatus.failed, NotificationStatus.dead)


async def claim_due(
    *, session: AsyncSession, now: datetime, limit: int, lease_until: datetime
) -> list[Notification]:
    """Take up to ``limit`` due rows for this process and hide them from others until ``lease_until``.

    PostgreSQL: ``FOR UPDATE SKIP LOCKED`` lets several dispatchers claim disjoint rows at once.
    SQLite ignores the clause; the caller's write transaction (BEGIN IMMEDIATE) serializes them.
    """
    due = (
        sa.select(Notification)
        .where(Notification.status.in_(RETRYABLE), Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.scalars(due)).all())
    if rows:
        await session.execute(
            sa.update(Notification)
            .where(Notification.id.in_([row.id for row in rows]))
            .values(next_attempt_at=lease_until, attempts=Notification.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        for row in rows:  # mirror the UPDATE in memory without marking the rows dirty
            set_committed_value(row, "attempts", row.attempts + 1)
            set_committed_value(row, "next_attempt_at", lease_until)
    return rows


async def users_by_id(*, session: AsyncSession, user_ids: Sequence[int]) -> dict[int, User]:
    if not user_ids:
        return {}
    users = await session.scalars(sa.select(User).where(User.id.in_(set(user_ids))))
    return {user.id: user for user in users}


async def demand_contact_phones(
    *, session: AsyncSession, demand_ids: Sequence[int | None]
) -> dict[int, str | None]:
    """Demand id → its contact phone now (None once the retention sweep erased it)."""
    wanted = {demand_id for demand_id in demand_ids if demand_id is not None}
    if not wanted:
        return {}
    rows = await session.execute(
        sa.select(Demand.id, Demand.contact_phone).where(Demand.id.in_(wanted))
    )
    return {demand_id: phone for demand_id, phone in rows}


async def record_retry(
    *, session: AsyncSession, notification_id: int, error: str, next_attempt_at: datetime
) -> bool:
    """A failed row failed again: no status change (and no event), only the retry bookkeeping."""
    result = await session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.status == NotificationStatus.failed,
        )
        .values(last_error=error[:500], next_attempt_at=next_attempt_at)
    )
    return result.rowcount == 1


async def inbox_page(
    *, session: AsyncSession, user_id: int, unread_only: bool, limit: int, offset: int
) -> tuple[list[Notification], int]:
    """A user's messages, newest first, and how many there are in all."""
    condition = Notification.user_id == user_id
    if unread_only:
        condition = sa.and_(condition, Notification.read_at.is_(None))
    return await _newest_first(session, condition, limit=limit, offset=offset)


async def unread_count(*, session: AsyncSession, user_id: int) -> int:
    count = await session.scalar(
        sa.select(sa.func.count()).where(
            Notification.user_id == user_id, Notification.read_at.is_(None)
        )
    )
    return int(count or 0)


async def get(*, session: AsyncSession, notification_id: int) -> Notification | None:
    return await session.get(Notification, notification_id)


async def mark_read(
    *, session: AsyncSession, user_id: int, notification_id: int, now: datetime
) -> Notification | None:
    """Set read_at once (reading again keeps the first time); None if not this user's message."""
    await session.execute(
        sa.update(Notification)
        .where(
            Notification.id == notification_id,
            Notification.user_id == user_id,
            Notification.read_at.is_(None),
        )
        .values(read_at=now)
    )
    row = await session.scalar(
        sa.select(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
        .execution_options(populate_existing=True)
    )
    return row


async def problems_page(
    *, session: AsyncSession, statuses: Sequence[str], limit: int, offset: int
) -> tuple[list[Notification], int]:
    """Failed and dead rows for the admin, most recently created first."""
    condition = Notification.status.in_(list(statuses))
    return await _newest_first(session, condition, limit=limit, offset=offset)


async def _newest_first(
    session: AsyncSession, condition, *, limit: int, offset: int
) -> tuple[list[Notification], int]:
    """One page of the matching rows, newest first, and how many match in all."""
    total = await session.scalar(sa.select(sa.func.count()).where(condition))
    rows = await session.scalars(
        sa.select(Notification)
        .where(condition)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return list(rows.all()), int(total or 0)


async def queued_since(
    session: AsyncSession, *, user_id: int, dedupe_key: str, since: datetime
) -> bool:
    """Whether the user was queued a notification with this key at or after ``since``."""
    found = await session.scalar(
        sa.select(Notification.id)
        .where(
            Notification.user_id == user_id,
            Notification.dedupe_key == dedupe_key,
            Notification.created_at >= since,
        )
        .limit(1)
    )
    return found is not None


async def worker_user_ids(*, session: AsyncSession, community_id: int) -> list[int]:
    """Users who work for a community (they hear about its unfilled orders)."""
    rows = await session.scalars(
        sa.select(RoleAssignment.user_id)
        .where(RoleAssignment.role == Role.worker.value, RoleAssignment.area_id == community_id)
        .distinct()
    )
    return list(rows)


async def inbox_state(*, session: AsyncSession, user_id: int) -> tuple[str, int]:
    """(version, unread count): what the inbox shows, in a few bytes — the newest message and
    how many are unread. The live inbox compares versions to notice a new or a read message."""
    newest, unread = (
        await session.execute(
            sa.select(
                sa.func.max(Notification.id),
                sa.func.count().filter(Notification.read_at.is_(None)),
            ).where(Notification.user_id == user_id)
        )
    ).one()
    return f"{newest or 0}-{unread or 0}", int(unread or 0)


async def mark_all_read(*, session: AsyncSession, user_id: int, now: datetime) -> int:
    result = await session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
    )
    return result.rowcount
