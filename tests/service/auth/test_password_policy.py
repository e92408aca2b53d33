"""New passwords: at least 10 characters and not a common password; old logins keep working."""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from service.models import User
from tests.factories import make_user
from tests.loop_helpers import texted_code
from tests.service.auth.helpers import FAST_HASHER, PASSWORD, browser, client_for, open_session_for
from tests.service.auth.world import build_world

WEAK = ["12345678", "password", "Passw0rd", "1234567890", "qwertyuiop", "P@ssw0rd2026!"]


@pytest.mark.parametrize("weak", WEAK)
async def test_weak_passwords_are_refused_at_registration(app, session, clock, weak):
    world = await build_world(session, now=clock.now())
    async with client_for(app) as anonymous:
        refused = await anonymous.post(
            "/api/v1/volunteers/register",
            json={
                "phone": "13512345678", "name": "新志愿者", "password": weak,
                "home_community_id": world.ids["community"],
            },
        )  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "weak" and "密码" in refused.json()["detail"]
    assert await session.scalar(sa.select(User).where(User.phone == "13512345678")) is None


async def test_weak_passwords_are_refused_for_admin_created_users_and_changes(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    admin, worker = world.users["admin"], world.users["worker"]
    cookie, csrf = await open_session_for(session, settings, user_id=admin.id, now=clock.now())
    own_cookie, own_csrf = await open_session_for(
        session, settings, user_id=worker.id, now=clock.now()
    )
    await session.commit()
    async with browser(app, settings, cookie, csrf) as http:
        created = await http.post(
            "/api/v1/admin/users",
            json={"phone": "13511112222", "name": "新用户", "password": "password",
                  "grants": [{"role": "volunteer"}]},
        )  # fmt: skip
        reset = await http.post(
            f"/api/v1/admin/users/{worker.id}/reset-password", json={"new_password": "Passw0rd"}
        )
    async with browser(app, settings, own_cookie, own_csrf) as http:
        changed = await http.put(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": "qwertyuiop"},
        )
    assert [created.status_code, reset.status_code, changed.status_code] == [422, 422, 422]
    assert "太常见" in changed.json()["detail"]


async def test_a_long_uncommon_password_is_accepted(app, session, clock, caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    world = await build_world(session, now=clock.now())
    async with client_for(app) as anonymous:
        form = {
            "phone": "13512345678", "name": "新志愿者", "password": "sunrise-ridge-42",
            "home_community_id": world.ids["community"],
        }  # fmt: skip
        sent = await anonymous.post("/api/v1/volunteers/register", json=form)
        assert sent.status_code == 202, sent.text
        registered = await anonymous.post(
            "/api/v1/volunteers/register/confirm",
            json={"phone": form["phone"], "code": texted_code(caplog)},
        )
    assert registered.status_code == 201, registered.text


async def test_the_demo_password_still_logs_in(app, session):
    from service.auth.password_policy import is_common
    from service.demo.accounts import DEMO_PASSWORD

    assert is_common(DEMO_PASSWORD) or len(DEMO_PASSWORD) < 10  # it would not be allowed today
    await make_user(session, phone="13900000001", password_hash=FAST_HASHER.hash(DEMO_PASSWORD))
    await session.commit()
    async with client_for(app) as http:
        login = await http.post(
            "/api/v1/auth/login", json={"phone": "13900000001", "password": DEMO_PASSWORD}
        )
    assert login.status_code == 200, login.text
