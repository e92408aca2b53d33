"""Write a notification to the outbox, in the caller's transaction (sent later by a worker)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Notification
from service.notifications.repository import worker_user_ids
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
) -> Notification:
    """Queue one message to one user; it commits (or not) with the change that caused it."""
    notification = Notification(
        user_id=user_id,
        channel=channel,
        kind=kind,
        title=title,
        body=body,
        payload=payload or {},
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
) -> None:
    """Queue the same message to every worker of a community (they follow up its orders)."""
    for user_id in await worker_user_ids(session=session, community_id=community_id):
        await notify(
            session, user_id=user_id, kind=kind, title=title, body=body, payload=payload, now=now
        )
