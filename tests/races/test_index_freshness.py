"""Freshness of the per-process candidate index, across processes, through real HTTP.

Two uvicorn servers (2 worker processes each, every one with its own in-memory index) share one
PostgreSQL database. A volunteer changes their profile through server A's API; server B's
preview must reflect it within 2 s, on each of its workers (fresh connections spread the polls).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from service.db import create_sessionmaker
from service.vocab import Role
from tests.conftest import _run, _truncate_postgres
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    bearer,
    make_api_token,
    make_area_tree,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.races.test_races_uvicorn_postgres import Server

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
FRESH_WITHIN_S = 2.0
GIVE_UP_S = 15.0  # how long to keep polling, so a failure says how stale B was
SETTLED_PREVIEWS = 10  # after the change shows, these fresh connections must all show it too


@dataclass
class World:
    community_id: int
    kept_skill: int  # every volunteer here has it
    added_skill: int  # the previews ask for this one
    worker_token: str
    regular_id: int  # has the added skill from the start: the preview's control
    learner_id: int  # gains the added skill during the test
    learner_token: str
    leaver_id: int  # has the added skill, pauses during the test
    leaver_token: str


async def _seed(url: str) -> World:
    engine = create_async_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            _, _, community = await make_area_tree(session)
            domain = await make_skill(session, name="应急救护")
            kept = await make_skill(session, name="心肺复苏", parent=domain)
            added = await make_skill(session, name="止血包扎", parent=domain)
            worker = await make_user(session, roles=((Role.worker, community.id, None),))
            people = []
            for skills in ([kept, added], [kept], [kept, added]):
                volunteer = await make_volunteer(session, home_area=community, skills=skills)
                people.append(
                    (volunteer.id, await make_api_token(session, user_id=volunteer.user_id))
                )
            world = World(
                community.id, kept.id, added.id, await make_api_token(session, user_id=worker.id),
                people[0][0], *people[1], *people[2],
            )  # fmt: skip
            await session.commit()
            return world
    finally:
        await engine.dispose()


@pytest.fixture(scope="module")
def world(postgres_url) -> World:
    _run(_truncate_postgres(postgres_url))
    return _run(_seed(postgres_url))


@pytest.fixture(scope="module")
def servers(world, postgres_url):
    """Servers A and B, started after the seed (their indexes are built with it)."""
    started = []
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("KEPU_CANDIDATE_SOURCE", "index")  # the database path is always fresh
            patch.setenv("KEPU_PREVIEW_MAX_PER_WINDOW", "100000")  # the polls are many previews
            # One after the other: four workers importing at once on a busy 2-core machine
            # overran Server.wait_ready's 30 s.
            for _ in range(2):
                started.append(Server(postgres_url))
                started[-1].wait_ready()
                _wait_index_ready(started[-1].base_url)
        yield started
    finally:
        for server in started:
            server.stop()


def _wait_index_ready(base_url: str) -> None:
    """/healthz answers while the index builds; previews are what this test is about."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = {
            httpx.get(f"{base_url}/healthz", headers={"Connection": "close"}, timeout=5)
            .json()
            .get("candidate_index", {})
            .get("state")
            for _ in range(4)
        }
        if states == {"ready"}:
            return
        time.sleep(0.1)
    raise AssertionError(f"candidate index of {base_url} not ready: {states}")


def _candidates(base_url: str, world: World) -> set[int]:
    """The volunteer ids B's preview lists for the added skill (a fresh connection each time,
    so the kernel hands the polls to either worker)."""
    now = datetime.now(UTC)
    response = httpx.post(
        f"{base_url}/api/v1/orders/preview",
        headers={**bearer(world.worker_token), "Connection": "close"},
        json={
            "community_id": world.community_id,
            "lat": ZHIFU_LAT,
            "lng": ZHIFU_LNG,
            "starts_at": (now + timedelta(days=3)).isoformat(),
            "ends_at": (now + timedelta(days=3, hours=2)).isoformat(),
            "skill_ids": [world.added_skill],
            "max_distance_km": 10,
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return {c["volunteer_id"] for c in response.json()["candidates"]}


def _seconds_until(base_url: str, world: World, shown) -> float:
    """Poll until ``shown(candidates)`` holds; the seconds it took (GIVE_UP_S if never). Then
    it must hold for SETTLED_PREVIEWS more previews: no worker of B may still be stale."""
    started = time.monotonic()
    while not shown(_candidates(base_url, world)):
        if time.monotonic() - started > GIVE_UP_S:
            return GIVE_UP_S
        time.sleep(0.05)
    took = time.monotonic() - started
    stale = [
        c for c in (_candidates(base_url, world) for _ in range(SETTLED_PREVIEWS)) if not shown(c)
    ]
    assert not stale, f"{len(stale)}/{SETTLED_PREVIEWS} later previews of B were stale"
    return took


def test_a_skill_added_through_one_process_shows_in_the_other_within_2_s(servers, world):
    server_a, server_b = servers
    before = _candidates(server_b.base_url, world)
    assert world.regular_id in before and world.learner_id not in before

    response = httpx.put(
        f"{server_a.base_url}/api/v1/me/volunteer-profile/skills",
        headers=bearer(world.learner_token),
        json={"skill_ids": [world.kept_skill, world.added_skill]},
    )
    assert response.status_code == 200, response.text
    took = _seconds_until(server_b.base_url, world, lambda ids: world.learner_id in ids)
    print(f"\nskill added through A, shown by B after {took:.2f} s")
    assert took <= FRESH_WITHIN_S


def test_a_pause_through_one_process_leaves_the_other_preview_within_2_s(servers, world):
    server_a, server_b = servers
    assert world.leaver_id in _candidates(server_b.base_url, world)

    response = httpx.post(
        f"{server_a.base_url}/api/v1/me/volunteer-profile/pause",
        headers=bearer(world.leaver_token),
    )
    assert response.status_code == 200, response.text
    took = _seconds_until(server_b.base_url, world, lambda ids: world.leaver_id not in ids)
    print(f"\npause through A, dropped by B after {took:.2f} s")
    assert took <= FRESH_WITHIN_S
