"""Queries for identity: users, grants, sessions, tokens."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.actor import RoleGrant
from service.models import ApiToken, Area, AuthSession, RoleAssignment, User, Volunteer
from service.vocab import Role


async def grants_of(*, session: AsyncSession, user_id: int) -> tuple[RoleGrant, ...]:
    statement = (
        sa.select(RoleAssignment.role, RoleAssignment.area_id, Area.path, RoleAssignment.team_id)
        .outerjoin(Area, Area.id == RoleAssignment.area_id)
        .where(RoleAssignment.user_id == user_id)
        .order_by(RoleAssignment.id)
    )
    rows = await session.execute(statement)
    return tuple(
        RoleGrant(role=Role(role), area_id=area_id, area_path=path, team_id=team_id)
        for role, area_id, path, team_id in rows
    )


async def volunteer_id_of(*, session: AsyncSession, user_id: int) -> int | None:
    return await session.scalar(sa.select(Volunteer.id).where(Volunteer.user_id == user_id))


async def user_by_session_hash(
    *, session: AsyncSession, token_hash: str
) -> tuple[User, AuthSession] | None:
    statement = (
        sa.select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def user_by_token_hash(
    *, session: AsyncSession, token_hash: str
) -> tuple[User, ApiToken] | None:
    statement = (
        sa.select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None
