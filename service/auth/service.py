"""Logging in and out, password changes, personal access tokens — shared by API and pages.

``login`` does not raise for a refused attempt: it returns the refusal, so the unit of work
commits the failure count and the audit entry (an exception would roll both back).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import repository
from service.auth.audit import AuditAction, record, record_action
from service.auth.password_policy import check_new_password
from service.auth.passwords import hash_password, verify_password
from service.auth.throttle import Throttled, ThrottleStore, known_device_limits, login_limits
from service.context import ActionContext
from service.errors import (
    AppError,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    TooManyRequests,
)
from service.messages import text
from service.models import ApiToken, AuthSession, User
from service.settings import Settings
from service.tokens import (
    csrf_token_for,
    device_token_for,
    device_token_is_for,
    hash_secret,
    keyed_hash,
    new_api_token,
    new_secret,
)
from service.vocab import UserStatus


@dataclass(frozen=True)
class LoginSuccess:
    user: User
    session_token: str  # the cookie value; only its hash is stored
    csrf_token: str
    device_token: str  # the known-device cookie value (signed, bound to the user)


@dataclass(frozen=True)
class LoginRefused:
    error: AppError


async def login(
    session: AsyncSession,
    *,
    phone: str,
    password: str,
    ip: str | None,
    now: datetime,
    settings: Settings,
    throttle: ThrottleStore,
    previous_session_id: int | None = None,
    device_token: str | None = None,
) -> LoginSuccess | LoginRefused:
    """Check the password under the failure limits; on success open a fresh server session.

    From a device this account logged in from before (``device_token``), the attempt counts
    against that device's own limit instead of the account's and the IP's: the rightful
    owner is never locked out by someone else's failures.
    """
    user = await repository.user_by_phone(session=session, phone=phone)
    known_device = user is not None and device_token_is_for(
        settings.secret_key, device_token, user.id
    )
    if known_device:
        limits = known_device_limits(settings, device_token=device_token)
    else:
        limits = login_limits(settings, phone=phone, ip=ip)
    target = user.id if user else None
    account = None if user else {"account": keyed_hash(settings.secret_key, phone)[:16]}
    try:
        reservation = await throttle.reserve(limits, now=now)
    except Throttled as throttled:
        await record(
            session, action=AuditAction.login_throttled, now=now, target_user_id=target, ip=ip,
            detail=account,
        )  # fmt: skip
        minutes = max(1, round(throttled.retry_after / 60))
        return LoginRefused(
            TooManyRequests(
                text("refusal.login.throttled", minutes=minutes),
                retry_after=throttled.retry_after,
            )
        )
    # A missing account still costs one hash: response time does not reveal who is registered.
    if not await verify_password(password, user.password_hash if user else None):
        await record(
            session, action=AuditAction.login_failed, now=now, target_user_id=target, ip=ip,
            detail=account,
        )  # fmt: skip
        refused = NotAuthenticated(text("refusal.login.bad_credentials"), code="bad_credentials")
        return LoginRefused(refused)
    await throttle.forgive(reservation, clear=(limits[0].key,))
    if user.status != UserStatus.active:
        return LoginRefused(await _inactive_account_refusal(session, user))
    if previous_session_id is not None:
        await repository.revoke_session(session=session, session_id=previous_session_id, now=now)
    raw = new_secret()
    csrf = csrf_token_for(settings.secret_key, raw)
    session.add(
        AuthSession(
            token_hash=hash_secret(raw),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
            ip=(ip or "")[:64] or None,
        )
    )
    user.last_active_at = now
    await record(session, action=AuditAction.login, now=now, actor_user_id=user.id, ip=ip)
    device = device_token if known_device else device_token_for(settings.secret_key, user.id)
    return LoginSuccess(user=user, session_token=raw, csrf_token=csrf, device_token=device)


async def _inactive_account_refusal(session: AsyncSession, user: User) -> Forbidden:
    """Why a rightful owner cannot log in: awaiting review, disabled, or (a declined volunteer
    registration) the coordinator's reason, which only the password's holder gets to read."""
    code = f"account_{user.status}"
    if user.status == UserStatus.pending:
        return Forbidden(text("refusal.login.pending"), code=code)
    latest = await repository.latest_audit_entry(
        session=session,
        target_user_id=user.id,
        actions=(AuditAction.volunteer_rejected, AuditAction.user_updated),
    )
    reason = (latest.detail or {}).get("reason") if latest is not None else None
    if latest is not None and latest.action == AuditAction.volunteer_rejected and reason:
        return Forbidden(text("refusal.login.rejected", reason=reason), code="account_rejected")
    return Forbidden(text("refusal.login.disabled"), code=code)


async def logout(session: AsyncSession, *, ctx: ActionContext) -> None:
    """Revoke the actor's current session server-side (the cookie alone is then worthless)."""
    if ctx.actor.session_id is None:
        return
    await repository.revoke_session(session=session, session_id=ctx.actor.session_id, now=ctx.now)
    await record_action(session, ctx, AuditAction.logout, target_user_id=ctx.actor.user_id)


async def change_password(
    session: AsyncSession, *, ctx: ActionContext, current_password: str, new_password: str
) -> None:
    """Change one's own password; every other session and token of the account is revoked."""
    user = await repository.user_by_id(session=session, user_id=ctx.actor.user_id)
    if user is None:
        raise NotAuthenticated(text("refusal.auth.login_required"))
    if not await verify_password(current_password, user.password_hash):
        raise InvalidInput(text("refusal.password.wrong_current"), code="wrong_password")
    check_password_strength(new_password, ctx.settings, phone=user.phone)
    user.password_hash = await hash_password(new_password)
    await repository.revoke_sessions_of(
        session=session, user_id=user.id, now=ctx.now, keep_session_id=ctx.actor.session_id
    )
    await repository.revoke_tokens_of(session=session, user_id=user.id, now=ctx.now)
    await record_action(session, ctx, AuditAction.password_changed, target_user_id=user.id)


def check_password_strength(password: str, settings: Settings, *, phone: str | None) -> None:
    """The policy for a new password (``password_policy``): long, not the phone, not common."""
    check_new_password(password, settings, phone=phone)


async def create_api_token(
    session: AsyncSession, *, ctx: ActionContext, name: str, expires_in_days: int | None = None
) -> tuple[ApiToken, str]:
    """A new personal access token; the secret is returned once and stored only hashed. With
    ``expires_in_days`` it stops working that many days from now (else when revoked)."""
    raw = new_api_token()
    expires_at = ctx.now + timedelta(days=expires_in_days) if expires_in_days else None
    token = ApiToken(
        user_id=ctx.actor.user_id, name=name, token_hash=hash_secret(raw), created_at=ctx.now,
        expires_at=expires_at,
    )  # fmt: skip
    session.add(token)
    await session.flush()
    await record_action(
        session, ctx, AuditAction.token_created, target_user_id=ctx.actor.user_id,
        detail={"token_id": token.id, "name": name},
    )  # fmt: skip
    return token, raw


async def list_api_tokens(session: AsyncSession, *, ctx: ActionContext) -> list[ApiToken]:
    return await repository.tokens_of(session=session, user_id=ctx.actor.user_id)


async def revoke_api_token(session: AsyncSession, *, ctx: ActionContext, token_id: int) -> None:
    """Revoke one of one's own tokens; someone else's token is "not found" (no probing)."""
    token = await repository.token_by_id(session=session, token_id=token_id)
    if token is None or token.user_id != ctx.actor.user_id:
        raise NotFound(text("refusal.token.not_found"))
    if token.revoked_at is None:
        token.revoked_at = ctx.now
        await record_action(
            session, ctx, AuditAction.token_revoked, target_user_id=ctx.actor.user_id,
            detail={"token_id": token.id},
        )  # fmt: skip


async def save_display_preferences(
    session: AsyncSession, *, ctx: ActionContext, locale: str | None, large_text: bool | None
) -> None:
    """Remember the reader's language and 大字 display on their account (no-op when anonymous)."""
    values: dict[str, object] = {}
    if locale is not None:
        values["locale"] = locale
    if large_text is not None:
        values["large_text"] = large_text
    if ctx.actor.user_id is None or not values:
        return
    await repository.set_display_preferences(session=session, user_id=ctx.actor.user_id, **values)
