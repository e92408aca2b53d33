"""A stranger's failed logins never lock the rightful owner out of a device they used before."""

from __future__ import annotations

import re

import sqlalchemy as sa

from service.models import AuditEntry
from tests.service.auth.helpers import PASSWORD, client_for

LOGIN = "/api/v1/auth/login"
WRONG = {"phone": "13812345678", "password": "wrong-password"}
RIGHT = {"phone": "13812345678", "password": PASSWORD}


async def _log_in_once(owner) -> None:
    """The member logs in and out on this client, which keeps the known-device cookie."""
    first = await owner.post(LOGIN, json=RIGHT)
    assert first.status_code == 200, first.text
    csrf = {"X-CSRF-Token": first.json()["csrf_token"]}
    assert (await owner.post("/api/v1/auth/logout", headers=csrf)).status_code == 204
    assert "kepu_session" not in owner.cookies


async def test_the_owner_on_a_known_device_logs_in_while_the_account_is_locked_for_others(
    make_app, member, session
):
    app = await make_app(login_max_failures=3)
    async with client_for(app) as owner, client_for(app) as attacker:
        await _log_in_once(owner)
        for _ in range(3):
            assert (await attacker.post(LOGIN, json=WRONG)).status_code == 401
        assert (await attacker.post(LOGIN, json=RIGHT)).status_code == 429  # locked for others
        assert (await owner.post(LOGIN, json=RIGHT)).status_code == 200
        assert (await attacker.post(LOGIN, json=RIGHT)).status_code == 429  # and still locked
    actions = list(await session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions.count("login") == 2 and actions.count("login_throttled") == 2


async def test_an_attackers_failures_from_one_ip_do_not_lock_out_a_known_device_on_that_ip(
    make_app, member
):
    app = await make_app(login_ip_max_failures=3)
    async with client_for(app) as owner, client_for(app) as attacker:  # one address
        await _log_in_once(owner)
        for n in range(3):
            guess = {"phone": f"1370000000{n}", "password": "guess-12345"}
            assert (await attacker.post(LOGIN, json=guess)).status_code == 401
        assert (await attacker.post(LOGIN, json=RIGHT)).status_code == 429  # the IP is limited
        assert (await owner.post(LOGIN, json=RIGHT)).status_code == 200


async def test_a_known_device_still_has_its_own_limit_of_wrong_passwords(make_app, member):
    app = await make_app(login_max_failures=3)
    async with client_for(app) as owner:
        await _log_in_once(owner)
        for _ in range(3):
            assert (await owner.post(LOGIN, json=WRONG)).status_code == 401
        assert (await owner.post(LOGIN, json=RIGHT)).status_code == 429


async def test_a_device_token_of_another_user_or_a_forged_one_is_no_known_device(
    make_app, member, settings
):
    from service.tokens import device_token_for

    app = await make_app(login_max_failures=3)
    others = [device_token_for(settings.secret_key, member.id + 1), "abc.def", "x" * 300]
    async with client_for(app) as attacker:
        for _ in range(3):
            assert (await attacker.post(LOGIN, json=WRONG)).status_code == 401
    for token in others:
        async with client_for(app, cookies={"kepu_device": token}) as forged:
            assert (await forged.post(LOGIN, json=RIGHT)).status_code == 429, token


async def test_the_device_cookie_is_long_lived_http_only_and_set_by_the_login_page(app, member):
    async with client_for(app) as http:
        page = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
        response = await http.post("/login", data={**RIGHT, "csrf_token": token})
    assert response.status_code == 303
    cookie = next(c for c in response.headers.get_list("set-cookie") if "kepu_device=" in c)
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    max_age = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert max_age >= 300 * 24 * 3600
