"""One-time codes sent to a phone: proof that the person holds the number they typed.

A code is six digits, lives ``KEPU_PHONE_CODE_MINUTES``, is stored only as a keyed hash, is
used up when confirmed and dies after ``KEPU_PHONE_CODE_MAX_ATTEMPTS`` wrong tries. Issuing a
new code replaces the old one. Callers publish a ``PhoneTextReady`` event with the code; the
notifications domain texts it (identity sits below notifications and cannot send by itself).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import repository
from service.auth.throttle import Limit
from service.models import PhoneCode
from service.settings import Settings
from service.tokens import keyed_hash


def phone_key(settings: Settings, phone: str) -> str:
    """The number as a lookup key that does not store it."""
    return keyed_hash(settings.secret_key, "phone:" + phone)


def phone_limits(settings: Settings, *, scope: str, target: str, ip: str | None) -> list[Limit]:
    """Attempts on one target (a number, a demand) and from one IP, within the login window."""
    limits = [
        Limit(
            f"{scope}:{keyed_hash(settings.secret_key, target)[:40]}",
            settings.phone_target_max_attempts,
        )
    ]
    if ip:
        limits.append(Limit(f"{scope}-ip:{ip[:64]}", settings.phone_ip_max_attempts))
    return limits


def _code_hash(settings: Settings, key: str, code: str) -> str:
    return keyed_hash(settings.secret_key, f"code:{key}:{code}")


async def issue(
    session: AsyncSession,
    *,
    settings: Settings,
    now: datetime,
    purpose: str,
    phone: str,
    payload: dict | None = None,
) -> str:
    """A fresh code for ``purpose`` and ``phone`` (the previous one is void); returned once."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    key = phone_key(settings, phone)
    row = PhoneCode(
        purpose=purpose,
        phone_key=key,
        code_hash=_code_hash(settings, key, code),
        payload=payload or {},
        attempts=0,
        expires_at=now + timedelta(minutes=settings.phone_code_minutes),
        created_at=now,
    )
    await repository.replace_phone_code(session=session, code=row, now=now)
    return code


async def confirm(
    session: AsyncSession,
    *,
    settings: Settings,
    now: datetime,
    purpose: str,
    phone: str,
    code: str,
) -> dict | None:
    """The code's payload when ``code`` is right (the code is then used up); None otherwise.

    A wrong try is counted on the code, so the caller must let the transaction commit.
    """
    key = phone_key(settings, phone)
    row = await repository.live_phone_code(session=session, purpose=purpose, phone_key=key, now=now)
    if row is None:
        return None
    if hmac.compare_digest(row.code_hash, _code_hash(settings, key, code)):
        payload = dict(row.payload or {})
        await repository.delete_phone_code(session=session, code_id=row.id)
        return payload
    row.attempts += 1
    if row.attempts >= settings.phone_code_max_attempts:
        await repository.delete_phone_code(session=session, code_id=row.id)
    else:
        await session.flush()
    return None
