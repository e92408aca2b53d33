"""Demo-loaded databases and a many-roles bearer token for fuzzing the whole API schema.

Schemathesis builds its tests from a schema loaded at import time, so both database URLs are
fixed here at import (a temporary SQLite file, and a uniquely named PostgreSQL database on
127.0.0.1:5432 or TEST_DATABASE_URL's server); the session fixtures below create, migrate and
seed each before its first request, and drop the PostgreSQL one at the end. PostgreSQL being
unreachable skips its run loudly, or fails it under REQUIRE_POSTGRES=1, as elsewhere.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from service import migrate
from service.db import create_engine, create_sessionmaker, open_session
from service.demo.loader import load_demo_into
from service.models import ApiToken, Area, RoleAssignment, User, Volunteer
from service.settings import Settings
from service.tokens import hash_secret
from service.vocab import AreaLevel, Role
from tests.conftest import _in_thread, _pg_admin, _postgres_admin_url, _run

FUZZ_TOKEN = "kp_fuzz_token_with_many_roles"
# Generated cases per (database, operation), reported at the end of the run.
CASES: Counter[tuple[str, str]] = Counter()
_PG_NAME = f"kepu_fuzz_{uuid.uuid4().hex[:10]}"
_SQLITE_PATH = Path(tempfile.mkdtemp(prefix="kepu-fuzz-")) / "fuzz.db"


def _settings(database_url: str) -> Settings:
    return Settings(
        env="test", database_url=database_url, run_worker_in_process=False, _env_file=None
    )


FUZZ_TARGETS = {
    "sqlite": _settings(f"sqlite+aiosqlite:///{_SQLITE_PATH}"),
    "postgres": _settings(
        sa.make_url(_postgres_admin_url())
        .set(database=_PG_NAME)
        .render_as_string(hide_password=False)
    ),
}


async def _add_fuzz_user(settings: Settings) -> None:
    """An admin who is also a worker, a coordinator and a volunteer, so every route is reachable."""
    engine = create_engine(settings)
    try:
        async with await open_session(create_sessionmaker(engine), write=True) as session:
            community = await session.scalar(
                sa.select(Area).where(Area.level == AreaLevel.community).order_by(Area.id)
            )
            district = await session.scalar(
                sa.select(Area).where(Area.level == AreaLevel.district).order_by(Area.id)
            )
            user = User(phone="13000000999", name="模糊测试员")
            session.add(user)
            await session.flush()
            for role, area_id in (
                (Role.admin, None),
                (Role.worker, community.id),
                (Role.coordinator, district.id),
                (Role.volunteer, None),
            ):
                session.add(RoleAssignment(user_id=user.id, role=role, area_id=area_id))
            session.add(
                Volunteer(
                    user_id=user.id,
                    home_area_id=community.id,
                    home_lat=community.lat,
                    home_lng=community.lng,
                )
            )
            session.add(ApiToken(user_id=user.id, name="fuzz", token_hash=hash_secret(FUZZ_TOKEN)))
            await session.commit()
    finally:
        await engine.dispose()


def _seed(settings: Settings) -> Settings:
    _in_thread(migrate.upgrade, settings.database_url)
    _run(load_demo_into(settings, if_empty=False))
    _run(_add_fuzz_user(settings))
    return settings


@pytest.fixture(scope="session")
def fuzz_sqlite() -> Settings:
    """The SQLite fuzz database: migrated, demo data, the fuzz user."""
    return _seed(FUZZ_TARGETS["sqlite"])


@pytest.fixture(scope="session")
def fuzz_postgres():
    """The PostgreSQL fuzz database (created here, dropped at the end)."""
    admin_url = _postgres_admin_url()
    try:
        _run(_pg_admin(admin_url, "SELECT 1"))
    except Exception as error:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 but PostgreSQL is unreachable: {error}")
        pytest.skip(f"!!! PostgreSQL unreachable — fuzzing on PostgreSQL skipped: {error}")
    _run(_pg_admin(admin_url, f'CREATE DATABASE "{_PG_NAME}"'))
    try:
        yield _seed(FUZZ_TARGETS["postgres"])
    finally:
        _run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{_PG_NAME}" WITH (FORCE)'))


def pytest_terminal_summary(terminalreporter):
    for database in ("sqlite", "postgres"):
        cases = {op: n for (db, op), n in CASES.items() if db == database}
        if cases:
            terminalreporter.write_line(
                f"schemathesis ({database}): {sum(cases.values())} generated cases "
                f"over {len(cases)} operations"
            )
