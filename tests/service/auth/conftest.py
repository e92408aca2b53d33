"""Fixtures for identity tests: apps with changed settings, users who can log in."""

from __future__ import annotations

from contextlib import AsyncExitStack

import pytest

from service.app import create_app
from service.vocab import Role
from tests.factories import make_user
from tests.service.auth.helpers import FAST_HASHER, PASSWORD_HASH


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch):
    """Cheap argon2id parameters for new hashes made during a test."""
    from service.auth import passwords

    monkeypatch.setattr(passwords, "_hasher", FAST_HASHER)


@pytest.fixture
async def make_app(settings, clock):
    """``await make_app(cookie_secure=True)``: the app with some settings changed."""
    async with AsyncExitStack() as stack:

        async def factory(**overrides):
            application = create_app(settings.model_copy(update=overrides), clock=clock)
            await stack.enter_async_context(application.router.lifespan_context(application))
            return application

        yield factory


@pytest.fixture
async def member(session):
    """An active user with a known password (``helpers.PASSWORD``) and the worker role."""
    from tests.factories import make_area_tree

    _, _, community = await make_area_tree(session)
    user = await make_user(
        session,
        phone="13812345678",
        name="张社工",
        password_hash=PASSWORD_HASH,
        roles=((Role.worker, community.id, None),),
    )
    await session.commit()
    return user
