"""JSON API for administrators: users, scoped roles, password resets, the access audit."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.auth import accounts, audit, repository
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.schemas import (
    AuditEntryPublic,
    PasswordReset,
    PasswordResetResult,
    RolesUpdate,
    UserCreate,
    UserPage,
    UserPublic,
    UserUpdate,
)
from service.auth.views import audit_public, users_public
from service.errors import NotFound
from service.messages import text
from service.schemas_common import MAX_ID, Text
from service.vocab import Role, UserStatus
from service.web.deps import SessionDep
from service.web.params import IdPath

router = APIRouter(
    prefix="/api/v1/admin", tags=["administration"], dependencies=[requires(Role.admin)]
)
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


async def _one(session, user_id: int) -> UserPublic:
    user = await repository.user_by_id(session=session, user_id=user_id)
    if user is None:
        raise NotFound(text("refusal.account.user_not_found"))
    return (await users_public(session, [user]))[0]


@router.get("/users", response_model=UserPage, name="api_admin_users")
async def list_users(
    session: SessionDep,
    name: Annotated[Text(64) | None, Query()] = None,
    phone_tail: Annotated[str | None, Query(pattern=r"^\d{4}$")] = None,
    role: Role | None = None,
    status: UserStatus | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """Users by name, last four phone digits, role or status (full numbers never in URLs)."""
    users, total = await repository.list_users(
        session=session,
        name=name,
        phone_tail=phone_tail,
        role=role,
        status=status,
        limit=limit,
        offset=offset,
    )
    return UserPage(
        items=await users_public(session, users), total=total, limit=limit, offset=offset
    )


@router.post("/users", response_model=UserPublic, status_code=201, name="api_admin_user_new")
async def create_user(body: UserCreate, session: SessionDep, ctx: ContextDep):
    """Create an active user with scoped roles."""
    user = await accounts.create_user(session, ctx=ctx, data=body)
    return await _one(session, user.id)


@router.get("/users/{user_id}", response_model=UserPublic, name="api_admin_user")
async def get_user(user_id: IdPath, session: SessionDep):
    return await _one(session, user_id)


@router.patch("/users/{user_id}", response_model=UserPublic, name="api_admin_user_update")
async def update_user(user_id: IdPath, body: UserUpdate, session: SessionDep, ctx: ContextDep):
    """Rename, disable or re-enable a user (disabling ends their sessions and tokens)."""
    await accounts.update_user(session, ctx=ctx, user_id=user_id, data=body)
    return await _one(session, user_id)


@router.put("/users/{user_id}/roles", response_model=UserPublic, name="api_admin_user_roles")
async def set_roles(user_id: IdPath, body: RolesUpdate, session: SessionDep, ctx: ContextDep):
    """Replace the user's roles and their scopes (audited with before and after)."""
    await accounts.set_roles(session, ctx=ctx, user_id=user_id, grants=body.grants)
    return await _one(session, user_id)


@router.post(
    "/users/{user_id}/reset-password",
    response_model=PasswordResetResult,
    name="api_admin_user_reset",
)
async def reset_password(
    user_id: IdPath, body: PasswordReset, session: SessionDep, ctx: ContextDep
):
    """Set or generate a new password; the temporary one is shown only in this answer."""
    temporary = await accounts.reset_password(
        session, ctx=ctx, user_id=user_id, new_password=body.new_password
    )
    return PasswordResetResult(user_id=user_id, temporary_password=temporary)


@router.get("/audit", response_model=list[AuditEntryPublic], name="api_admin_audit")
async def audit_log(
    session: SessionDep,
    action: audit.AuditAction | None = None,
    user_id: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
    limit: Limit = 50,
    offset: Offset = 0,
):
    """The access audit, newest first."""
    entries = await audit.recent_entries(
        session, action=action, user_id=user_id, limit=limit, offset=offset
    )
    return [audit_public(entry) for entry in entries]
