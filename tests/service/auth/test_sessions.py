"""Sessions: server-side records, cookie flags, rotation at login, logout, timeouts, tokens."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import sqlalchemy as sa

from service.auth import passwords
from service.models import ApiToken, AuthSession
from tests.service.auth.helpers import PASSWORD, client_for

LOGIN = {"phone": "13812345678", "password": PASSWORD}


async def _login(http, **extra):
    response = await http.post("/api/v1/auth/login", json={**LOGIN, **extra})
    assert response.status_code == 200, response.text
    return response


async def test_login_sets_an_httponly_lax_cookie_holding_only_a_random_id(app, member, session):
    async with client_for(app) as http:
        response = await _login(http)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("kepu_session=")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower() and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http is allowed for local development
    value = cookie.split(";")[0].split("=", 1)[1]
    assert member.phone not in cookie and len(value) >= 40
    stored = list(await session.scalars(sa.select(AuthSession.token_hash)))
    assert value not in stored  # the database holds only the hash


async def test_over_https_the_cookie_is_secure_with_the_host_prefix(make_app, member):
    app = await make_app(cookie_secure=True)
    async with client_for(app, base_url="https://testserver") as http:
        response = await _login(http)
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("__Host-kepu_session=")
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie
        assert (await http.get("/api/v1/me")).status_code == 200


async def test_every_login_gets_a_new_session_and_revokes_the_one_presented(app, member):
    async with client_for(app) as http:
        login = await _login(http)
        first = login.cookies["kepu_session"]
        # Logging in again while holding the first cookie (a cookie request: token needed).
        again = await http.post(
            "/api/v1/auth/login", json=LOGIN, headers={"X-CSRF-Token": login.json()["csrf_token"]}
        )
        second = again.cookies["kepu_session"]
    assert first != second
    async with client_for(app, cookies={"kepu_session": first}) as old:
        assert (await old.get("/api/v1/me")).status_code == 401
    async with client_for(app, cookies={"kepu_session": second}) as new:
        assert (await new.get("/api/v1/me")).status_code == 200


async def test_logout_revokes_the_session_on_the_server(app, member, session):
    async with client_for(app) as http:
        login = await _login(http)
        cookie = login.cookies["kepu_session"]
        out = await http.post(
            "/api/v1/auth/logout", headers={"X-CSRF-Token": login.json()["csrf_token"]}
        )
        assert out.status_code == 204
        assert (
            'kepu_session=""' in out.headers["set-cookie"]
            or "Max-Age=0" in out.headers["set-cookie"]
        )
    # Replaying the old cookie (e.g. a copy an attacker kept) no longer works.
    async with client_for(app, cookies={"kepu_session": cookie}) as replay:
        assert (await replay.get("/api/v1/me")).status_code == 401
    revoked = await session.scalar(sa.select(AuthSession.revoked_at))
    assert revoked is not None


async def test_page_logout_revokes_and_redirects_home(app, member):
    async with client_for(app) as http:
        login = await _login(http)
        out = await http.post("/logout", data={"csrf_token": login.json()["csrf_token"]})
        assert out.status_code == 303 and out.headers["location"] == "/"
        again = await http.get("/me")
        assert again.status_code == 303
        assert again.headers["location"] == "/login?next=%2Fme"


async def test_idle_timeout_ends_a_session_and_activity_slides_it(app, member, clock, settings):
    idle = timedelta(minutes=settings.session_idle_minutes)
    async with client_for(app) as http:
        await _login(http)
        for _ in range(3):  # active more often than the idle limit: stays logged in
            clock.advance(idle - timedelta(minutes=1))
            assert (await http.get("/api/v1/me")).status_code == 200
        clock.advance(idle + timedelta(minutes=1))
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_absolute_timeout_ends_even_an_active_session(make_app, member, clock):
    app = await make_app(session_idle_minutes=20, session_absolute_hours=1)
    idle, absolute = timedelta(minutes=15), timedelta(hours=1)
    async with client_for(app) as http:
        await _login(http)
        elapsed = timedelta()
        while elapsed + idle < absolute:
            clock.advance(idle)
            elapsed += idle
            assert (await http.get("/api/v1/me")).status_code == 200
        clock.advance(absolute - elapsed + timedelta(minutes=1))  # still within the idle limit
        assert (await http.get("/api/v1/me")).status_code == 401


async def test_personal_access_tokens_are_shown_once_stored_hashed_and_revocable(
    app, member, session
):
    async with client_for(app) as http:
        csrf = (await _login(http)).json()["csrf_token"]
        created = await http.post(
            "/api/v1/auth/tokens", json={"name": "统计系统"}, headers={"X-CSRF-Token": csrf}
        )
        assert created.status_code == 201
        secret, token_id = created.json()["token"], created.json()["id"]
        listed = await http.get("/api/v1/auth/tokens")
        assert secret not in listed.text
    rows = (await session.execute(sa.select(ApiToken.token_hash, ApiToken.name))).all()
    assert all(secret not in value for row in rows for value in row)
    bearer = {"Authorization": f"Bearer {secret}"}
    async with client_for(app, headers=bearer) as machine:
        me = await machine.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["user_id"] == member.id
        assert (await machine.delete(f"/api/v1/auth/tokens/{token_id}")).status_code == 204
        assert (await machine.get("/api/v1/me")).status_code == 401


PRODUCTION_HASHER = passwords._hasher  # captured before the fast test hasher is swapped in


def test_production_passwords_use_argon2id_with_owasp_parameters():
    hashed = PRODUCTION_HASHER.hash("a-long-password")
    assert hashed.startswith("$argon2id$v=19$")
    memory, time_cost = re.search(r"m=(\d+),t=(\d+)", hashed).groups()
    assert int(memory) >= 19 * 1024 and int(time_cost) >= 2  # OWASP minimum for argon2id


async def test_passwords_are_argon2id_and_hashed_off_the_event_loop(monkeypatch):
    loop_thread = threading.current_thread()
    seen = []
    original = passwords._hasher.hash

    def spy(password):
        seen.append(threading.current_thread())
        return original(password)

    monkeypatch.setattr(passwords._hasher, "hash", spy)
    hashed = await passwords.hash_password("a-long-password")
    assert hashed.startswith("$argon2id$")
    assert seen and all(thread is not loop_thread for thread in seen)
    assert await passwords.verify_password("a-long-password", hashed)
    assert not await passwords.verify_password("wrong", hashed)


async def test_changing_the_password_ends_other_sessions_and_tokens(app, member, session):
    async with client_for(app) as other_device:
        await _login(other_device)
        async with client_for(app) as http:
            csrf = (await _login(http)).json()["csrf_token"]
            token = (
                await http.post(
                    "/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf}
                )
            ).json()["token"]
            changed = await http.put(
                "/api/v1/me/password",
                json={"current_password": PASSWORD, "new_password": "another-Secret-9"},
                headers={"X-CSRF-Token": csrf},
            )
            assert changed.status_code == 204
            assert (await http.get("/api/v1/me")).status_code == 200  # this session stays
        assert (await other_device.get("/api/v1/me")).status_code == 401
    async with client_for(app, headers={"Authorization": f"Bearer {token}"}) as machine:
        assert (await machine.get("/api/v1/me")).status_code == 401
