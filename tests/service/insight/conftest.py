"""One demo load per database kind, shared by the package (the pages only read it), plus two
street coordinators so scoping can be tested: 向阳街道's and 东山街道's."""

from __future__ import annotations

import shutil

import pytest
import sqlalchemy as sa

from service.db import create_engine, create_sessionmaker, open_session
from service.demo.loader import load_demo
from service.models import Area
from service.vocab import Role
from tests.conftest import TEST_NOW, _run, _truncate_postgres
from tests.factories import make_settings, make_user
from tests.service.auth.helpers import browser, open_session_for

STREETS = ("向阳街道", "东山街道")


async def _load(url: str) -> dict[str, int]:
    engine = create_engine(make_settings(url))
    session = await open_session(create_sessionmaker(engine), write=True)
    try:
        await load_demo(session, now=TEST_NOW)
        users = {}
        for name in STREETS:
            street = await session.scalar(sa.select(Area).where(Area.name == name))
            user = await make_user(
                session, name=f"{name}协调员", roles=((Role.coordinator, street.id, None),)
            )
            users[name] = user.id
        await session.commit()
        return users
    finally:
        await session.close()
        await engine.dispose()


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo_database(request, tmp_path_factory) -> tuple[str, dict[str, int]]:
    """(url, street coordinator user ids by street name) of the demo loaded at TEST_NOW."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("insight") / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _run(_truncate_postgres(url))
    return url, _run(_load(url))


@pytest.fixture
def database_url(demo_database) -> str:
    return demo_database[0]


@pytest.fixture
def street_coordinators(demo_database) -> dict[str, int]:
    return demo_database[1]


@pytest.fixture
def login(app, settings, session, clock):
    """``await login(user_id)`` → a client holding that user's session."""

    async def open_for(user_id: int, **headers):
        cookie, csrf = await open_session_for(session, settings, user_id=user_id, now=clock.now())
        await session.commit()
        client = browser(app, settings, cookie, csrf)
        client.headers.update(headers)
        return client

    return open_for
