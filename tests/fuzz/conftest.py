"""A demo-loaded database and a many-roles bearer token for fuzzing the whole API schema.

Schemathesis builds its tests from a schema loaded at import time, so the database URL is
fixed here at import; the session fixture below creates, migrates and seeds it before the
first request, and drops it (PostgreSQL) at the end. ``FUZZ_DATABASE=postgres`` selects
PostgreSQL (127.0.0.1:5432 or TEST_DATABASE_URL); the default is a temporary SQLite file.
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
from service.auth.tokens import hash_secret
from service.db import create_engine, create_sessionmaker, open_session
from service.demo.loader import load_demo_into
from service.models import ApiToken, Area, RoleAssignment, User, Volunteer
from service.settings import Settings
from service.vocab import AreaLevel, Role
from tests.conftest import _in_thread, _pg_admin, _postgres_admin_url, _run

FUZZ_TOKEN = "kp_fuzz_token_with_many_roles"
CASES: Counter[str] = Counter()  # generated cases per operation, reported at the end
ON_POSTGRES = os.environ.get("FUZZ_DATABASE") == "postgres"
_PG_NAME = f"kepu_fuzz_{uuid.uuid4().hex[:10]}"


def _database_url() -> str:
    if ON_POSTGRES:
        admin = sa.make_url(_postgres_admin_url())
        return admin.set(database=_PG_NAME).render_as_string(hide_password=False)
    path = Path(tempfile.mkdtemp(prefix="kepu-fuzz-")) / "fuzz.db"
    return f"sqlite+aiosqlite:///{path}"


FUZZ_SETTINGS = Settings(
    env="test", database_url=_database_url(), run_worker_in_process=False, _env_file=None
)


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


@pytest.fixture(scope="session", autouse=True)
def fuzz_database():
    """Create, migrate and seed the fuzz database (demo data plus the fuzz user)."""
    admin_url = _postgres_admin_url()
    if ON_POSTGRES:
        _run(_pg_admin(admin_url, f'CREATE DATABASE "{_PG_NAME}"'))
    try:
        _in_thread(migrate.upgrade, FUZZ_SETTINGS.database_url)
        _run(load_demo_into(FUZZ_SETTINGS, if_empty=False))
        _run(_add_fuzz_user(FUZZ_SETTINGS))
        yield FUZZ_SETTINGS
    finally:
        if ON_POSTGRES:
            _run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{_PG_NAME}" WITH (FORCE)'))


def pytest_terminal_summary(terminalreporter):
    if CASES:
        terminalreporter.write_line(
            f"schemathesis: {sum(CASES.values())} generated cases over {len(CASES)} operations "
            f"({'PostgreSQL' if ON_POSTGRES else 'SQLite'})"
        )
