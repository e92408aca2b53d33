from __future__ import annotations

import pytest

from tests.service.auth.helpers import browser, open_session_for
from tests.service.volunteering.world import build_volunteer_world


@pytest.fixture
async def world(session, clock):
    return await build_volunteer_world(session, clock.now())


@pytest.fixture
async def login(app, settings, session, clock):
    """``login(user_id)`` → a client holding that person's session (and its CSRF header)."""
    opened = []

    async def open_for(user_id: int):
        cookie, csrf = await open_session_for(session, settings, user_id=user_id, now=clock.now())
        await session.commit()
        client = browser(app, settings, cookie, csrf)
        opened.append(client)
        return client

    yield open_for
    for client in opened:
        await client.aclose()


@pytest.fixture
async def me(world, login):
    return await login(world.users["李老师"])
