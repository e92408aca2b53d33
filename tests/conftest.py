"""Test databases: every integration test runs on SQLite and on a real PostgreSQL.

PostgreSQL comes from TEST_DATABASE_URL or 127.0.0.1:5432 (user postgres, trust). Each session
creates a uniquely named database, builds it with the migrations, and drops it at the end. When
PostgreSQL is unreachable its tests are skipped with one loud summary line, unless
REQUIRE_POSTGRES=1 turns that into a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from service import handlers, migrate
from service.app import create_app
from service.clock import FrozenClock
from service.models import metadata
from service.settings import Settings
from tests.factories import make_settings

DEFAULT_PG_ADMIN_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
# A fixed "now" so pages and tests are stable: Monday 2026-11-23 10:00 in Shanghai.
TEST_NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_pg_unreachable_reason: str | None = None


def _in_thread(function, *args):
    """Call ``function`` in a fresh thread with no event loop (Alembic's env.py uses asyncio.run,
    and async fixtures call this while the test loop is running)."""
    result: dict = {}

    def target():
        try:
            result["value"] = function(*args)
        except BaseException as error:
            result["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result.get("value")


def _run(coro):
    """Run a coroutine to completion from sync code, even inside a running loop's thread."""
    return _in_thread(asyncio.run, coro)


async def _pg_admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _postgres_admin_url() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return DEFAULT_PG_ADMIN_URL
    parsed = sa.make_url(url)
    return parsed.set(drivername="postgresql+asyncpg", database="postgres").render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """A fresh, migrated PostgreSQL database for this test session (dropped at the end)."""
    global _pg_unreachable_reason
    admin_url = _postgres_admin_url()
    try:
        _run(_pg_admin(admin_url, "SELECT 1"))
    except Exception as error:
        _pg_unreachable_reason = f"{type(error).__name__}: {error}"[:200]
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(
                f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {_pg_unreachable_reason}"
            )
        pytest.skip(f"PostgreSQL unreachable: {_pg_unreachable_reason}")
    name = f"kepu_test_{uuid.uuid4().hex[:10]}"
    _run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        _in_thread(migrate.upgrade, url)
        yield url
    finally:
        _run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> str:
    """A migrated SQLite file, copied for each test (cheaper than migrating every time)."""
    path = tmp_path_factory.mktemp("sqlite") / "template.db"
    _in_thread(migrate.upgrade, f"sqlite+aiosqlite:///{path}")
    return str(path)


TABLES = [table.name for table in metadata.sorted_tables]


async def _truncate_postgres(url: str) -> None:
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            names = ", ".join(f'"{name}"' for name in TABLES)
            await connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request, tmp_path) -> str:
    """An empty, migrated database: a copied SQLite file, or the truncated session PostgreSQL."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copyfile(template, path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _run(_truncate_postgres(url))
    return url


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(TEST_NOW)


@pytest.fixture
def settings_overrides() -> dict:
    """Settings a package or module changes for its tests: override this, not ``settings``."""
    return {}


@pytest.fixture
def settings(database_url, settings_overrides) -> Settings:
    return make_settings(database_url, **settings_overrides)


@pytest.fixture
async def app(settings, clock):
    application = create_app(settings, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        yield http


@pytest.fixture
async def login(app, settings, session, clock):
    """``login(user_id, **headers)`` → a client holding that person's browser session (cookie
    and CSRF header), as the pages' tests need; closed at the end of the test."""
    from tests.service.auth.helpers import browser, open_session_for

    opened = []

    async def open_for(user_id: int, **headers):
        cookie, csrf = await open_session_for(session, settings, user_id=user_id, now=clock.now())
        await session.commit()
        client = browser(app, settings, cookie, csrf)
        client.headers.update(headers)
        opened.append(client)
        return client

    yield open_for
    for client in opened:
        await client.aclose()


@pytest.fixture
async def session(app) -> AsyncIterator[AsyncSession]:
    """A session on the app's database for arranging and inspecting data (commit yourself)."""
    async with app.state.sessionmaker() as db_session:
        yield db_session


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _pg_unreachable_reason:
        terminalreporter.write_line(
            f"!!! POSTGRESQL UNREACHABLE — its tests were skipped: {_pg_unreachable_reason}",
            red=True,
            bold=True,
        )


@pytest.fixture(autouse=True, scope="session")
def _domain_event_handlers() -> None:
    """Services called without an app still reach the handlers that create_app registers."""
    handlers.register()
