"""Send what the outbox holds: claim due rows, send outside any transaction, record the result.

Safe with several processes: a row is claimed (hidden until a lease runs out) in one short
transaction, sent with no transaction open, and its result written in another. A process that
dies mid-send leaves the row to be retried when the lease expires (at-least-once delivery).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.actor import Actor
from service.context import ActionContext
from service.db import open_session
from service.errors import Conflict
from service.lifecycle.delivery import change_notification_status
from service.models import Notification, User
from service.notifications import repository
from service.notifications.senders import DeliveryError, Sender
from service.settings import Settings, get_settings
from service.vocab import NotificationStatus

log = logging.getLogger("kepu.notifications")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing message is retried."""

    max_attempts: int = 6
    backoff_seconds: float = 60.0
    backoff_max_seconds: float = 3600.0
    claim_seconds: float = 300.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RetryPolicy:
        return cls(
            max_attempts=settings.notification_max_attempts,
            backoff_seconds=settings.notification_backoff_seconds,
            backoff_max_seconds=settings.notification_backoff_max_seconds,
            claim_seconds=settings.notification_claim_seconds,
        )

    def delay_after(self, attempts: int) -> timedelta:
        """Exponential backoff: base, 2×base, 4×base … capped."""
        seconds = self.backoff_seconds * 2 ** max(attempts - 1, 0)
        return timedelta(seconds=min(seconds, self.backoff_max_seconds))


@dataclass(frozen=True)
class DeliveryReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    dead: int = 0


async def deliver_due(
    session_factory: async_sessionmaker[AsyncSession],
    now: datetime,
    sender: Sender,
    *,
    batch: int = 50,
    policy: RetryPolicy | None = None,
    settings: Settings | None = None,
) -> DeliveryReport:
    """Deliver up to ``batch`` due notifications; failures are rescheduled or marked dead."""
    policy = policy or RetryPolicy()
    # Background work: the event log records these status changes as made by the system.
    ctx = ActionContext(actor=Actor(), now=now, settings=settings or get_settings())
    async with await open_session(session_factory, write=True) as session:
        rows = await repository.claim_due(
            session=session,
            now=now,
            limit=batch,
            lease_until=now + timedelta(seconds=policy.claim_seconds),
        )
        users = await repository.users_by_id(
            session=session, user_ids=[row.user_id for row in rows if row.user_id is not None]
        )
        phones = await repository.demand_contact_phones(
            session=session, demand_ids=[row.demand_id for row in rows if row.user_id is None]
        )
        await session.commit()
    if not rows:
        return DeliveryReport()

    outcomes: list[tuple[Notification, str | None, bool]] = []
    for row in rows:
        try:
            await sender.send(row, _recipient(row, users, phones))
            outcomes.append((row, None, False))
        except RecipientGone as gone:  # nobody to send to any more: give up at once
            log.info("notification %s dropped: %s", row.id, gone)
            outcomes.append((row, f"{type(gone).__name__}: {gone}", True))
        except Exception as error:  # any sender failure is a retry, never a crashed worker
            reason = f"{type(error).__name__}: {error}"[:500]
            log.warning("notification %s attempt %s failed: %s", row.id, row.attempts, reason)
            outcomes.append((row, reason, False))

    sent = failed = dead = 0
    async with await open_session(session_factory, write=True) as session:
        for row, error, gone in outcomes:
            is_dead = error is not None and (gone or row.attempts >= policy.max_attempts)
            try:
                await _record_outcome(session, ctx, row, error, is_dead, policy)
            except Conflict as lost:  # re-queued by an admin, or recorded by a slower twin
                log.info("notification %s result not recorded: %s", row.id, lost.detail)
                continue
            sent += error is None
            dead += is_dead
            failed += error is not None and not is_dead
        await session.commit()
    return DeliveryReport(claimed=len(rows), sent=sent, failed=failed, dead=dead)


class RecipientGone(DeliveryError):
    """The account or the resident's number no longer exists (e.g. erased after the retention
    period): retrying cannot help, so the message is given up (dead) at once."""


def _recipient(row: Notification, users: dict[int, User], phones: dict[int, str | None]) -> User:
    """Whom a row goes to: its user, or, for a resident without an account, a transient
    recipient holding the demand's contact phone as it is now (senders take a ``User``)."""
    if row.user_id is not None:
        user = users.get(row.user_id)
        if user is None:
            raise RecipientGone("recipient no longer exists")
        return user
    phone = phones.get(row.demand_id) if row.demand_id is not None else None
    if not phone:
        raise RecipientGone("the demand's contact phone was erased")
    return User(phone=phone, name="")


async def _record_outcome(
    session: AsyncSession,
    ctx: ActionContext,
    row: Notification,
    error: str | None,
    is_dead: bool,
    policy: RetryPolicy,
) -> None:
    """One status change through the lifecycle engine, compared against the claimed status."""
    claimed = NotificationStatus(row.status)
    if error is None:
        to, values = NotificationStatus.sent, {"sent_at": ctx.now, "last_error": None}
    else:
        to = NotificationStatus.dead if is_dead else NotificationStatus.failed
        retry_at = None if is_dead else ctx.now + policy.delay_after(row.attempts)
        values = {"last_error": error, "next_attempt_at": retry_at}
        if claimed == to:  # failed again: bookkeeping only, no status change, no event
            if not await repository.record_retry(
                session=session, notification_id=row.id, error=error, next_attempt_at=retry_at
            ):
                raise Conflict("消息状态刚刚被他人更改。", code="status_changed")
            return
    await change_notification_status(
        session, ctx, notification_id=row.id, to=to, expected=claimed, values=values
    )
