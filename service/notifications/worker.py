"""Entry points for background processes: deliver the outbox with the configured sender."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.notifications.dispatcher import DeliveryReport, RetryPolicy, deliver_due
from service.notifications.senders import Sender, build_sender
from service.settings import Settings


async def deliver_notifications(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    now: datetime,
    *,
    sender: Sender | None = None,
) -> DeliveryReport:
    """One batch of due notifications (the dispatch worker's sweep calls this)."""
    return await deliver_due(
        sessionmaker,
        now,
        sender or build_sender(settings),
        batch=settings.notification_batch_size,
        policy=RetryPolicy.from_settings(settings),
        settings=settings,
    )
