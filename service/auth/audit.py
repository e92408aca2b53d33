"""The access audit: logins, failed logins, role and scope changes, phone reveals — who, when, where.

Details never hold a phone number or coordinates; an account that does not exist is recorded
by a keyed hash so repeated attempts can be correlated without storing the number typed.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import repository
from service.context import ActionContext
from service.models import AuditEntry
from service.page_text import N_


class AuditAction(StrEnum):
    login = "login"
    login_failed = "login_failed"
    login_throttled = "login_throttled"
    logout = "logout"
    password_changed = "password_changed"
    password_reset = "password_reset"
    user_created = "user_created"
    user_updated = "user_updated"
    roles_changed = "roles_changed"
    volunteer_registered = "volunteer_registered"
    volunteer_approved = "volunteer_approved"
    volunteer_rejected = "volunteer_rejected"
    phone_revealed = "phone_revealed"
    token_created = "token_created"
    token_revoked = "token_revoked"
    phones_erased = "phones_erased"


AUDIT_LABELS = {
    AuditAction.login: N_("登录"),
    AuditAction.login_failed: N_("登录失败"),
    AuditAction.login_throttled: N_("登录被限制"),
    AuditAction.logout: N_("退出登录"),
    AuditAction.password_changed: N_("修改密码"),
    AuditAction.password_reset: N_("重置密码"),
    AuditAction.user_created: N_("创建用户"),
    AuditAction.user_updated: N_("修改用户"),
    AuditAction.roles_changed: N_("角色与范围变更"),
    AuditAction.volunteer_registered: N_("志愿者注册"),
    AuditAction.volunteer_approved: N_("志愿者审核通过"),
    AuditAction.volunteer_rejected: N_("志愿者审核未通过"),
    AuditAction.phone_revealed: N_("查看完整手机号"),
    AuditAction.token_created: N_("创建访问令牌"),
    AuditAction.token_revoked: N_("撤销访问令牌"),
    AuditAction.phones_erased: N_("到期手机号清除"),
}


async def record(
    session: AsyncSession,
    *,
    action: AuditAction,
    now: datetime,
    actor_user_id: int | None = None,
    target_user_id: int | None = None,
    ip: str | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append one audit entry in the caller's transaction."""
    entry = AuditEntry(
        at=now,
        action=action,
        actor_user_id=actor_user_id,
        target_user_id=target_user_id,
        ip=(ip or "")[:64] or None,
        detail=detail or {},
    )
    session.add(entry)
    await session.flush()
    return entry


async def record_action(
    session: AsyncSession,
    ctx: ActionContext,
    action: AuditAction,
    *,
    target_user_id: int | None = None,
    detail: dict | None = None,
) -> AuditEntry:
    """Append an entry for something the context's actor did."""
    return await record(
        session,
        action=action,
        now=ctx.now,
        actor_user_id=ctx.actor.user_id,
        target_user_id=target_user_id,
        ip=ctx.actor.ip,
        detail=detail,
    )


async def recent_entries(
    session: AsyncSession,
    *,
    action: str | None = None,
    user_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[AuditEntry]:
    """Newest first; ``user_id`` matches the actor or the target."""
    return await repository.audit_entries(
        session=session, action=action, user_id=user_id, limit=limit, offset=offset
    )
