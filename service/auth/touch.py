"""Slide a session's idle timeout and a user's last activity, at most once per interval.

A read request on SQLite holds a deferred read transaction; upgrading it to write could fail
under concurrent writers, so safe requests write through a short session of their own. Unsafe
requests already hold the write lock (BEGIN IMMEDIATE) and write through the request session,
which also avoids waiting on their own lock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import repository
from service.db import UNSAFE_METHODS, open_session
from service.models import ApiToken, AuthSession, User


def _due(last: datetime | None, now: datetime, request: Request) -> bool:
    interval = timedelta(seconds=request.app.state.settings.session_touch_seconds)
    return last is None or now - last >= interval


async def _write(request: Request, session: AsyncSession, write) -> None:
    # A write request already holds the write lock: use its session. A read must not take it for
    # the whole request, so the touch commits on a short session of its own.
    if request.method in UNSAFE_METHODS:
        await write(session)
        return
    own = await open_session(request.app.state.sessionmaker, write=True)
    try:
        await write(own)
        await own.commit()
    finally:
        await own.close()


async def touch_session(
    request: Request, session: AsyncSession, *, auth_session: AuthSession, user: User, now
) -> None:
    """Record that the session was used now (idle timeout slides), and the user's activity."""
    if not _due(auth_session.last_seen_at, now, request):
        return

    async def write(target: AsyncSession) -> None:
        await repository.mark_session_used(
            session=target, auth_session_id=auth_session.id, user_id=user.id, now=now
        )

    await _write(request, session, write)


async def touch_token(
    request: Request, session: AsyncSession, *, token: ApiToken, user: User, now
) -> None:
    """Record that a personal access token was used now."""
    if not _due(token.last_used_at, now, request):
        return

    async def write(target: AsyncSession) -> None:
        await repository.mark_token_used(
            session=target, token_id=token.id, user_id=user.id, now=now
        )

    await _write(request, session, write)
