from __future__ import annotations

import pytest

from tests.service.volunteering.world import build_volunteer_world


@pytest.fixture
async def world(session, clock):
    return await build_volunteer_world(session, clock.now())


@pytest.fixture
async def me(world, login):
    return await login(world.users["李老师"])
