"""Helpers for order-loop tests: a bearer token for a user with roles, quick arrangements."""

from __future__ import annotations

import itertools

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.tokens import hash_secret
from service.models import ApiToken, User
from service.vocab import Role
from tests.factories import make_user

_tokens = itertools.count(1)


async def token_for(session: AsyncSession, user: User) -> dict[str, str]:
    """Authorization headers for ``user`` (a personal access token; CSRF does not apply)."""
    secret = f"kp_test_{next(_tokens)}_{user.id}"
    session.add(ApiToken(user_id=user.id, name="test", token_hash=hash_secret(secret)))
    await session.flush()
    return {"Authorization": f"Bearer {secret}"}


async def user_with_token(
    session: AsyncSession, *roles: tuple[Role, int | None, int | None], name: str = "测试用户"
) -> tuple[User, dict[str, str]]:
    user = await make_user(session, name=name, roles=roles)
    return user, await token_for(session, user)
