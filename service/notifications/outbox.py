"""Write a notification to the outbox, in the caller's transaction (sent later by a worker)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Notification
from service.notifications.repository import queued_since, worker_user_ids
from service.notifications.texts import remember_texts
from service.vocab import NotificationStatus


async def notify(
    session: AsyncSession,
    *,
    user_id: int,
    kind: str,
    title: str,
    body: str = "",
    payload: dict | None = None,
    now: datetime,
    channel: str = "inapp",
    dedupe_key: str | None = None,
    dedupe_window: timedelta | None = None,
) -> Notification | None:
    """Queue one message to one user; it commits (or not) with the change that caused it.

    With a ``dedupe_key`` (e.g. kind, order and volunteer) the message is skipped, and None
    returned, when the user was already sent one with that key within ``dedupe_window``: a
    person who repeats an action cannot make anyone's phone ring without end.
    """
    if (
        dedupe_key is not None
        and dedupe_window
        and await queued_since(
            session, user_id=user_id, dedupe_key=dedupe_key, since=now - dedupe_window
        )
    ):
        return None
    notification = Notification(
        user_id=user_id,
        channel=channel,
        kind=kind,
        title=title,
        body=body,
        payload=remember_texts(payload or {}, title=title, body=body),
        status=NotificationStatus.pending,
        next_attempt_at=now,
        created_at=now,
        dedupe_key=dedupe_key,
    )
    session.add(notification)
    await session.flush()
    return notification


async def notify_demand_contact(
    session: AsyncSession,
    *,
    demand_id: int,
    kind: str,
    title: str,
    body: str = "",
    payload: dict | None = None,
    now: datetime,
) -> Notification:
    """Queue one text message to the resident who ordered ``demand_id`` without an account.

    The row names the demand, not a number: the dispatcher reads the demand's contact phone
    when it sends, so the number lives in one place and the retention sweep's erasure holds.
    """
    notification = Notification(
        user_id=None,
        demand_id=demand_id,
        channel="sms",
        kind=kind,
        title=title,
        body=body,
        payload=remember_texts(payload or {}, title=title, body=body),
        status=NotificationStatus.pending,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(notification)
    await session.flush()
    return notification


async def notify_workers(
    session: AsyncSession,
    *,
    community_id: int,
    kind: str,
    title: str,
    body: str,
    payload: dict,
    now: datetime,
    dedupe_key: str | None = None,
    dedupe_window: timedelta | None = None,
) -> None:
    """Queue the same message to every worker of a community (they follow up its orders)."""
    for user_id in await worker_user_ids(session=session, community_id=community_id):
        await notify(
            session,
            user_id=user_id,
            kind=kind,
            title=title,
            body=body,
            payload=payload,
            now=now,
            dedupe_key=dedupe_key,
            dedupe_window=dedupe_window,
        )
