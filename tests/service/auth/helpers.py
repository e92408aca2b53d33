"""Helpers for identity tests: users with a known password, sessions without a login round-trip."""

from __future__ import annotations

from datetime import datetime

import httpx
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import AuthSession
from service.settings import Settings
from service.tokens import csrf_token_for, hash_secret, new_secret

PASSWORD = "kepu-Test-2026"
# Still argon2id, with the smallest cost: these tests are about flows, not about the hash's
# strength (test_sessions checks the production parameters). A hash carries its parameters,
# so verifying PASSWORD_HASH is cheap even where the production hasher is in use.
FAST_HASHER = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=8, parallelism=1),))
PASSWORD_HASH = FAST_HASHER.hash(PASSWORD)


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


def browser(app, settings: Settings, cookie: str, csrf: str | None = None) -> httpx.AsyncClient:
    """A client holding a session cookie; sends the CSRF header when ``csrf`` is given."""
    from service.web.security import session_cookie_name

    headers = {"X-CSRF-Token": csrf} if csrf else {}
    return client_for(app, cookies={session_cookie_name(settings): cookie}, headers=headers)
