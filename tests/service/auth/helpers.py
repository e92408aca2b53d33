"""Helpers for identity tests: users with a known password, sessions without a login round-trip."""

from __future__ import annotations

from datetime import datetime

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.passwords import hash_password_sync
from service.auth.tokens import csrf_token_for, hash_secret, new_api_token, new_secret
from service.models import ApiToken, AuthSession
from service.settings import Settings

PASSWORD = "kepu-Test-2026"
PASSWORD_HASH = hash_password_sync(PASSWORD)  # hashed once: argon2 is slow on purpose


def client_for(app, *, base_url: str = "http://testserver", **kwargs) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=base_url, **kwargs)


async def open_session_for(
    session: AsyncSession, settings: Settings, *, user_id: int, now: datetime
) -> tuple[str, str]:
    """(cookie value, csrf token) of a fresh server-side session, as a login would create."""
    raw = new_secret()
    csrf = csrf_token_for(settings.secret_key, raw)
    session.add(
        AuthSession(
            token_hash=hash_secret(raw), user_id=user_id, csrf_token=csrf, created_at=now,
            last_seen_at=now,
        )
    )  # fmt: skip
    await session.flush()
    return raw, csrf


async def token_for(session: AsyncSession, *, user_id: int, now: datetime) -> str:
    raw = new_api_token()
    session.add(ApiToken(user_id=user_id, name="test", token_hash=hash_secret(raw), created_at=now))
    await session.flush()
    return raw


def browser(app, settings: Settings, cookie: str, csrf: str | None = None) -> httpx.AsyncClient:
    """A client holding a session cookie; sends the CSRF header when ``csrf`` is given."""
    from service.auth.dependencies import session_cookie_name

    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client_for(app, cookies={session_cookie_name(settings): cookie}, headers=headers)
