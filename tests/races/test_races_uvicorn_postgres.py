"""Races on real PostgreSQL through real HTTP: uvicorn with 2 worker processes.

200 distinct volunteers accept a 5-slot order at the same instant. The guarded run must staff
exactly 5 and refuse the rest with a clear "已满"; the control run (slot guard switched off by a
test-only setting) must be caught overbooking — proof that this test can fail.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from service.background.worker import run_once
from service.db import create_sessionmaker
from service.settings import Settings
from tests.conftest import _run, _truncate_postgres
from tests.factories import bearer
from tests.races.world import seed_open_order, staffing_of

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
VOLUNTEERS, SLOTS = 200, 5


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``uvicorn service.app:create_app --factory --workers 2`` on a free port."""

    def __init__(self, database_url: str, *, unsafe: bool = False) -> None:
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "KEPU_DATABASE_URL": database_url,
            "KEPU_ENV": "test",
            "KEPU_RUN_WORKER_IN_PROCESS": "false",
            "KEPU_UNSAFE_DISABLE_SLOT_GUARD": "true" if unsafe else "false",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "service.app:create_app",
                "--factory",
                "--workers",
                "2",
                "--timeout-worker-healthcheck",  # as `kepu serve`: slow starts are not hangs
                "30",
                "--port",
                str(self.port),
                "--loop",
                "uvloop",
                "--http",
                "httptools",
                "--log-level",
                "warning",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-2000:])
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError("uvicorn did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def clean_postgres(postgres_url) -> str:
    _run(_truncate_postgres(postgres_url))
    return postgres_url


@pytest.fixture(scope="module")
def server(clean_postgres):
    running = Server(clean_postgres)
    try:
        running.wait_ready()
        yield running
    finally:
        running.stop()


@pytest.fixture
async def db(clean_postgres):
    engine = create_async_engine(clean_postgres)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        yield session
    await engine.dispose()


async def _all_at_once(base_url: str, calls) -> list[httpx.Response]:
    """Fire every call at the same instant (connections opened first, then one signal)."""
    limits = httpx.Limits(max_connections=len(calls) + 10, max_keepalive_connections=len(calls))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=60) as http:
        await asyncio.gather(*(http.get("/healthz") for _ in range(min(len(calls), 100))))
        start = asyncio.Event()

        async def one(method, url, headers, body):
            await start.wait()
            return await http.request(method, url, headers=headers, json=body)

        tasks = [asyncio.create_task(one(*call)) for call in calls]
        await asyncio.sleep(0.05)
        start.set()
        return await asyncio.gather(*tasks)


async def _stampede(base_url: str, db):
    now = datetime.now(UTC)
    world = await seed_open_order(db, volunteers=VOLUNTEERS, slots=SLOTS, now=now)
    url = f"/api/v1/orders/{world.order_id}/accept"
    responses = await _all_at_once(
        base_url, [("POST", url, bearer(t), None) for t in world.volunteer_tokens]
    )
    db.expire_all()
    return responses, await staffing_of(db, world.order_id)


async def test_200_volunteers_at_once_staff_exactly_5_across_2_processes(server, db):
    responses, (status, count, rows) = await _stampede(server.base_url, db)
    codes = Counter(r.status_code for r in responses)
    print(f"\nguarded race: {dict(codes)}; order {status}, accepted_count={count}, rows={rows}")
    assert not any(code >= 500 for code in codes), [
        r.text for r in responses if r.status_code >= 500
    ][:3]
    assert codes == {200: SLOTS, 409: VOLUNTEERS - SLOTS}
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["code"] == "order_full" and "已满" in body["detail"]
    assert (status, count, rows) == ("staffed", SLOTS, SLOTS)


async def test_control_run_without_the_slot_guard_is_caught_overbooking(clean_postgres, db):
    control = Server(clean_postgres, unsafe=True)
    try:
        control.wait_ready()
        # Lost updates need an unlucky interleaving; three stampedes make missing one unlikely.
        for _ in range(3):
            responses, (status, count, rows) = await _stampede(control.base_url, db)
            if rows > SLOTS:
                break
    finally:
        control.stop()
    codes = Counter(r.status_code for r in responses)
    print(f"\ncontrol race: {dict(codes)}; order {status}, accepted_count={count}, rows={rows}")
    # The invariant checks of the guarded test, applied to the control: they must fail here.
    assert rows > SLOTS and codes[200] > SLOTS
    assert count != rows  # the counter (kept in range by the CHECK) lost updates


async def test_accept_racing_cancel_on_the_last_slot(server, db):
    for _ in range(5):
        now = datetime.now(UTC)
        world = await seed_open_order(db, volunteers=2, slots=2, now=now)
        accept = f"/api/v1/orders/{world.order_id}/accept"
        async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
            first = await http.post(accept, headers=bearer(world.volunteer_tokens[0]))
            assert first.status_code == 200, first.text
        accepted, cancelled = await _all_at_once(
            server.base_url,
            [
                ("POST", accept, bearer(world.volunteer_tokens[1]), None),
                (
                    "POST",
                    f"/api/v1/orders/{world.order_id}/cancel",
                    bearer(world.worker_token),
                    {"reason": "天气原因"},
                ),
            ],
        )
        assert cancelled.status_code == 200, cancelled.text
        assert accepted.status_code in (200, 409), accepted.text
        if accepted.status_code == 409:
            assert "已取消" in accepted.json()["detail"]
        db.expire_all()
        assert await staffing_of(db, world.order_id) == ("cancelled", 0, 0)


async def test_accept_racing_the_expiry_sweep_on_the_last_slot(server, db, clean_postgres):
    engine = create_async_engine(clean_postgres)
    sessionmaker = create_sessionmaker(engine)
    settings = Settings(env="test", database_url=clean_postgres, _env_file=None)
    outcomes = Counter()
    try:
        for _ in range(5):
            now = datetime.now(UTC)
            deadline = now + timedelta(hours=1)
            world = await seed_open_order(
                db, volunteers=2, slots=2, now=now, accept_deadline=deadline
            )
            accept = f"/api/v1/orders/{world.order_id}/accept"
            async with httpx.AsyncClient(base_url=server.base_url, timeout=30) as http:
                assert (
                    await http.post(accept, headers=bearer(world.volunteer_tokens[0]))
                ).status_code == 200
                sweep = asyncio.create_task(run_once(sessionmaker, settings, deadline))
                response = await http.post(accept, headers=bearer(world.volunteer_tokens[1]))
                report = await sweep
            assert report.errors == [] and response.status_code in (200, 409)
            db.expire_all()
            status, count, rows = await staffing_of(db, world.order_id)
            assert count == rows
            if response.status_code == 200:
                assert (status, count) == ("staffed", 2)
            else:
                assert "截止" in response.json()["detail"] and (status, count) == ("expired", 1)
            outcomes[status] += 1
    finally:
        await engine.dispose()
    print(f"\naccept vs expire outcomes: {dict(outcomes)}")
