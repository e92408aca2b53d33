"""The account (user) and volunteer-profile machines: approval, disabling, pausing, erasure.

Creating an account writes no event (the audit log records who created it and how); every
later status change goes through the engine and writes one event row.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.lifecycle.engine import Machine, change_status
from service.models import User, Volunteer
from service.vocab import USER_STATUS_LABELS, VOLUNTEER_STATUS_LABELS, UserStatus, VolunteerStatus

U = UserStatus
V = VolunteerStatus

USER_TRANSITIONS: dict[tuple[UserStatus, UserStatus], str] = {
    (U.pending, U.active): "志愿者注册审核通过",
    (U.pending, U.disabled): "志愿者注册未通过审核（或长期未活跃被注销）",
    (U.active, U.disabled): "账号停用（管理员停用，或长期未活跃被注销）",
    (U.disabled, U.active): "账号重新启用",
}

VOLUNTEER_TRANSITIONS: dict[tuple[VolunteerStatus, VolunteerStatus], str] = {
    (V.pending, V.active): "注册审核通过，可以接单",
    (V.active, V.paused): "暂停接单",
    (V.paused, V.active): "恢复接单",
}

USER = Machine(
    entity="user",
    model=User,
    noun="账号",
    statuses=UserStatus,
    labels=USER_STATUS_LABELS,
    transitions=USER_TRANSITIONS,
    why={
        U.pending: "待审核的账号请在志愿者注册审核中通过或拒绝。",
        U.active: "「待审核」只用于自助注册、尚未审核的志愿者。",
        U.disabled: "已停用的账号只能重新启用。",
    },
    stamps_updated_at=False,
)

VOLUNTEER = Machine(
    entity="volunteer",
    model=Volunteer,
    noun="志愿者",
    statuses=VolunteerStatus,
    labels=VOLUNTEER_STATUS_LABELS,
    transitions=VOLUNTEER_TRANSITIONS,
    why={V.pending: "志愿者需先通过注册审核。"},
    stamps_updated_at=False,
)


async def change_user_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    user_id: int,
    to: UserStatus,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
) -> UserStatus:
    """Move an account to ``to`` if the table allows it; returns the previous status."""
    previous = await change_status(
        session, ctx, USER, entity_id=user_id, to=to, reason=reason, values=values
    )
    return UserStatus(previous)


async def change_volunteer_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    volunteer_id: int,
    to: VolunteerStatus,
    reason: str | None = None,
) -> VolunteerStatus:
    """Move a volunteer profile to ``to`` if the table allows it; returns the previous status."""
    previous = await change_status(
        session, ctx, VOLUNTEER, entity_id=volunteer_id, to=to, reason=reason
    )
    return VolunteerStatus(previous)
