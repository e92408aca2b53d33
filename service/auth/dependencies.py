"""Resolve the request's actor from a bearer token or a session cookie (else anonymous)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from service.actor import ANONYMOUS, Actor
from service.auth import repository, touch
from service.auth.throttle import (
    DatabaseThrottle,
    OwnSessionThrottle,
    RedisThrottle,
    ThrottleStore,
)
from service.context import ActionContext
from service.db import UNSAFE_METHODS
from service.models import User
from service.settings import Settings
from service.tokens import hash_secret
from service.vocab import UserStatus
from service.web.deps import ClockDep, SessionDep
from service.web.security import session_cookie_name


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


async def get_actor(request: Request, session: SessionDep, clock: ClockDep) -> Actor:
    """The actor of this request, resolved once and cached on ``request.state``."""
    cached = getattr(request.state, "actor", None)
    if cached is not None:
        return cached
    actor = await _resolve(request, session, clock)
    request.state.actor = actor
    return actor


async def _resolve(request: Request, session, clock) -> Actor:
    settings: Settings = request.app.state.settings
    now = clock.now()
    authorization = request.headers.get("Authorization", "")
    if authorization.lower().startswith("bearer "):
        found = await repository.user_by_token_hash(
            session=session, token_hash=hash_secret(authorization[7:].strip()), now=now
        )
        if found is None:
            return ANONYMOUS
        user, token = found
        await touch.touch_token(request, session, token=token, user=user, now=now)
        return await _actor_for(session, user, request, via_token=True)
    raw = request.cookies.get(session_cookie_name(settings))
    if not raw:
        return ANONYMOUS
    found = await repository.user_by_session_hash(session=session, token_hash=hash_secret(raw))
    if found is None:
        return ANONYMOUS
    user, auth_session = found
    idle = timedelta(minutes=settings.session_idle_minutes)
    absolute = timedelta(hours=settings.session_absolute_hours)
    if now - auth_session.last_seen_at > idle or now - auth_session.created_at > absolute:
        return ANONYMOUS
    # The guard middleware derives the same token from the cookie; keep the stored one as truth.
    request.state.csrf_token = auth_session.csrf_token
    await touch.touch_session(request, session, auth_session=auth_session, user=user, now=now)
    return await _actor_for(session, user, request, session_id=auth_session.id)


async def _actor_for(
    session, user: User, request: Request, *, via_token: bool = False, session_id=None
) -> Actor:
    if user.status != UserStatus.active:
        return ANONYMOUS
    return Actor(
        user_id=user.id,
        name=user.name,
        phone=user.phone,
        grants=await repository.grants_of(session=session, user_id=user.id),
        volunteer_id=await repository.volunteer_id_of(session=session, user_id=user.id),
        session_id=session_id,
        via_token=via_token,
        ip=client_ip(request),
        locale=user.locale,
        large_text=user.large_text,
    )


CurrentActor = Annotated[Actor, Depends(get_actor)]


async def action_context(
    request: Request, actor: Annotated[Actor, Depends(get_actor)], clock: ClockDep
) -> ActionContext:
    """The service-call context of this request: actor, clock reading, settings, request id."""
    return ActionContext(
        actor=actor,
        now=clock.now(),
        settings=request.app.state.settings,
        request_id=getattr(request.state, "request_id", None),
    )


ContextDep = Annotated[ActionContext, Depends(action_context)]


def _redis_client(request: Request, url: str):
    client = getattr(request.app.state, "throttle_redis", None)
    if client is None:
        import redis.asyncio as redis  # optional dependency, only with KEPU_REDIS_URL

        client = redis.from_url(url)
        request.app.state.throttle_redis = client
    return client


async def get_throttle(request: Request, session: SessionDep) -> ThrottleStore:
    """The configured store: Redis when ``KEPU_REDIS_URL`` is set, else the database.

    A safe (GET) request's session is a read transaction, so there the database store commits
    each attempt on a short session of its own.
    """
    settings: Settings = request.app.state.settings
    if settings.redis_url:
        return RedisThrottle(_redis_client(request, settings.redis_url), settings)
    if request.method not in UNSAFE_METHODS:
        return OwnSessionThrottle(request.app.state.sessionmaker, settings)
    return DatabaseThrottle(session, settings, after_rollback=request.state.after_rollback)


ThrottleDep = Annotated[ThrottleStore, Depends(get_throttle)]
