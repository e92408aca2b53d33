"""The login limit holds across two server processes sharing one database (SQLite or PostgreSQL)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
import uuid

import httpx
import pytest
import sqlalchemy as sa

from service import migrate
from service.settings import PROJECT_ROOT
from tests.conftest import _in_thread, _pg_admin, _postgres_admin_url, _run
from tests.service.auth.helpers import PASSWORD, PASSWORD_HASH

pytestmark = pytest.mark.slow
PHONE = "13866667777"
MAX_FAILURES = 4


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def _add_user(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                sa.text(
                    "INSERT INTO users (phone, name, password_hash, status, created_at) "
                    "VALUES (:phone, '多进程', :hash, 'active', CURRENT_TIMESTAMP)"
                ),
                {"phone": PHONE, "hash": PASSWORD_HASH},
            )
    finally:
        await engine.dispose()


def _database(kind: str, tmp_path_factory):
    if kind == "sqlite":
        path = tmp_path_factory.mktemp("two-processes") / "shared.db"
        return f"sqlite+aiosqlite:///{path}", None
    admin = _postgres_admin_url()
    try:
        _run(_pg_admin(admin, "SELECT 1"))
    except Exception as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {error}")
        pytest.skip(f"!!! PostgreSQL unreachable — two-process throttle test skipped: {error}")
    name = f"kepu_procs_{uuid.uuid4().hex[:8]}"
    _run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin).set(database=name).render_as_string(hide_password=False)
    return url, (admin, name)


def _start(url: str, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "KEPU_DATABASE_URL": url,
        "KEPU_ENV": "test",
        "KEPU_RUN_WORKER_IN_PROCESS": "false",
        "KEPU_LOGIN_MAX_FAILURES": str(MAX_FAILURES),
    }
    env.pop("KEPU_REDIS_URL", None)  # the embedded default: the database is the shared store
    command = [sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory"]
    command += [
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env)


def _wait_ready(port: int, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start")


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def two_servers(request, tmp_path_factory):
    """Two uvicorn processes (no --workers) on two ports, one shared database."""
    url, pg = _database(request.param, tmp_path_factory)
    _in_thread(migrate.upgrade, url)
    processes = []
    try:
        ports = [_free_port(), _free_port()]
        processes = [_start(url, port) for port in ports]
        for port, process in zip(ports, processes, strict=True):
            _wait_ready(port, process)
        yield url, [f"http://127.0.0.1:{port}" for port in ports]
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=10)
        if pg:
            _run(_pg_admin(pg[0], f'DROP DATABASE IF EXISTS "{pg[1]}" WITH (FORCE)'))


async def _login(base: str, password: str) -> int:
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        response = await http.post(
            "/api/v1/auth/login", json={"phone": PHONE, "password": password}
        )
        return response.status_code


async def test_alternating_failures_across_processes_hit_one_limit(two_servers):
    url, (first, second) = two_servers
    await _add_user(url)
    codes = [await _login((first, second)[n % 2], "wrong-password") for n in range(MAX_FAILURES)]
    assert codes == [401] * MAX_FAILURES
    assert await _login(first, PASSWORD) == 429
    assert await _login(second, PASSWORD) == 429


async def test_a_concurrent_burst_on_both_processes_counts_exactly(two_servers):
    url, (first, second) = two_servers
    # A second account: a fresh count, hammered by both processes at once.
    phone = "13955554444"
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as connection:
        await connection.execute(
            sa.text(
                "INSERT INTO users (phone, name, password_hash, status, created_at) "
                "VALUES (:phone, '并发', :hash, 'active', CURRENT_TIMESTAMP)"
            ),
            {"phone": phone, "hash": PASSWORD_HASH},
        )
    await engine.dispose()

    async def attempt(base: str) -> int:
        async with httpx.AsyncClient(base_url=base, timeout=20) as http:
            body = {"phone": phone, "password": "wrong-password"}
            return (await http.post("/api/v1/auth/login", json=body)).status_code

    codes = await asyncio.gather(*(attempt((first, second)[n % 2]) for n in range(12)))
    assert sorted(codes) == [401] * MAX_FAILURES + [429] * (12 - MAX_FAILURES)
