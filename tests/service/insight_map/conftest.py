"""One demo district per module (loaded at TEST_NOW, read back as plain rows for the tests'
own expectations), an app on it, and logins: the demo's admin, district coordinator and
worker, plus a coordinator of one street made here."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

import pytest

from service.app import create_app
from service.clock import FrozenClock
from service.demo.accounts import DEMO_LOGINS
from service.vocab import AreaLevel, Role
from tests.conftest import TEST_NOW, _truncate_postgres
from tests.factories import make_settings, make_user
from tests.service.auth.helpers import browser, open_session_for
from tests.service.demo.snapshot import load_and_read

PHONES = dict(DEMO_LOGINS)


@dataclass
class DemoMap:
    app: object
    settings: object
    rows: dict[str, list[dict]]
    users: dict[str, int]  # who → user id
    street: dict  # the street coordinator's street (an areas row)

    async def client(self, who: str, **headers):
        """A browser-like client logged in as ``who``; close it (``async with``)."""
        async with self.app.state.sessionmaker() as session:
            cookie, csrf = await open_session_for(
                session, self.settings, user_id=self.users[who], now=TEST_NOW
            )
            await session.commit()
        client = browser(self.app, self.settings, cookie, csrf)
        client.headers.update(headers)
        return client


def database_for(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("map") / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    from tests.conftest import _run

    _run(_truncate_postgres(url))
    return url


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
async def demo_map(request, tmp_path_factory, map_settings_overrides):
    url = database_for(request, tmp_path_factory)
    snapshot = await load_and_read(url, TEST_NOW)
    settings = make_settings(url, **map_settings_overrides)
    app = create_app(settings, clock=FrozenClock(TEST_NOW))
    async with app.router.lifespan_context(app):
        by_phone = {u["phone"]: u["id"] for u in snapshot.rows["users"]}
        users = {role: by_phone[phone] for role, phone in PHONES.items()}
        # The street with the most orders: its neighbours' orders must stay out of its map.
        areas = {a["id"]: a for a in snapshot.rows["areas"]}
        per_street: dict[int, int] = {}
        for order in snapshot.rows["orders"]:
            street_id = areas[order["community_id"]]["parent_id"]
            per_street[street_id] = per_street.get(street_id, 0) + 1
        street = areas[max(per_street, key=per_street.get)]
        assert street["level"] == AreaLevel.street
        async with app.state.sessionmaker() as session:
            user = await make_user(
                session, name="街道协调员", roles=((Role.coordinator, street["id"], None),)
            )
            await session.commit()
            users["street"] = user.id
        yield DemoMap(app, settings, snapshot.rows, users, street)


@pytest.fixture(scope="module")
def map_settings_overrides() -> dict:
    return {}
