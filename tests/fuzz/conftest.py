"""Demo-loaded databases, a many-roles bearer token, and the schemas to fuzz, built lazily.

Nothing here runs at import: the databases, the apps and their OpenAPI schemas are session
fixtures that the fuzz tests resolve when they run (``schemathesis.pytest.from_fixture``), so
collecting the suite (``pytest -k …``) does not pay for them. Each database is created, migrated
and seeded before its first request; the PostgreSQL one (on 127.0.0.1:5432 or TEST_DATABASE_URL's
server) is dropped at the end. PostgreSQL being unreachable skips its run loudly, or fails it
under REQUIRE_POSTGRES=1, as elsewhere.
"""

from __future__ import annotations

import os
import uuid
from collections import Counter

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
from tests.factories import make_settings

FUZZ_TOKEN = "kp_fuzz_token_with_many_roles"
# Generated cases per (database, operation), reported at the end of the run.
CASES: Counter[tuple[str, str]] = Counter()


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
def fuzz_sqlite(tmp_path_factory) -> Settings:
    """The SQLite fuzz database: migrated, demo data, the fuzz user."""
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    return _seed(make_settings(f"sqlite+aiosqlite:///{path}"))


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
    name = f"kepu_fuzz_{uuid.uuid4().hex[:10]}"
    _run(_pg_admin(admin_url, f'CREATE DATABASE "{name}"'))
    url = sa.make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield _seed(make_settings(url))
    finally:
        _run(_pg_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(autouse=True)
def _node_id_for_schemathesis(request):
    """Workaround: schemathesis' lazy loader (4.32) reads ``Node._nodeid``, gone in pytest 9.2."""
    if not hasattr(request.node, "_nodeid"):
        request.node._nodeid = request.node.nodeid


def _schema(settings: Settings):
    import schemathesis

    from service.app import create_app

    return schemathesis.openapi.from_asgi("/openapi.json", create_app(settings))


@pytest.fixture(scope="session")
def sqlite_api_schema(fuzz_sqlite):
    """The OpenAPI schema of an app on the SQLite fuzz database."""
    return _schema(fuzz_sqlite)


@pytest.fixture(scope="session")
def postgres_api_schema(fuzz_postgres):
    """The OpenAPI schema of an app on the PostgreSQL fuzz database."""
    return _schema(fuzz_postgres)


def pytest_terminal_summary(terminalreporter):
    for database in ("sqlite", "postgres"):
        cases = {op: n for (db, op), n in CASES.items() if db == database}
        if cases:
            terminalreporter.write_line(
                f"schemathesis ({database}): {sum(cases.values())} generated cases "
                f"over {len(cases)} operations"
            )
