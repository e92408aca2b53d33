"""Background entry point for the activity day (the dispatch worker's sweep calls this)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.activity.service import close_forgotten_checkouts
from service.actor import Actor
from service.context import ActionContext
from service.db import open_session
from service.settings import Settings


async def close_forgotten_checkouts_sweep(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, now: datetime
) -> int:
    """Close every forgotten check-out of ended orders in one short transaction; returns how many."""
    ctx = ActionContext(
        actor=Actor(name="系统"),
        now=now,
        settings=settings,
        request_id=f"worker-{uuid.uuid4().hex[:12]}",
    )
    async with await open_session(sessionmaker, write=True) as session:
        closed = await close_forgotten_checkouts(session, ctx)
        await session.commit()
    return closed
