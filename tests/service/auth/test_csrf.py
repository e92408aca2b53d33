"""CSRF: every unsafe route refuses a cookie-authenticated request without the right token."""

from __future__ import annotations

import re

import pytest

from service.vocab import Role
from tests.factories import make_api_token, make_user
from tests.service.auth.helpers import (
    PASSWORD,
    PASSWORD_HASH,
    browser,
    client_for,
    open_session_for,
)
from tests.service.auth.route_table import UNSAFE, routes


@pytest.fixture
async def admin_login(session, settings, clock):
    admin = await make_user(session, roles=((Role.admin, None, None),))
    cookie, csrf = await open_session_for(session, settings, user_id=admin.id, now=clock.now())
    await session.commit()
    return admin, cookie, csrf


def _unsafe_urls(app) -> list[tuple[str, str]]:
    """(method, url) of every unsafe route; the check runs before routing, any id will do."""
    found = []
    for route in routes(app):
        if route.method in UNSAFE:
            found.append((route.method, re.sub(r"\{[^}]+\}", "1", route.path)))
    assert len(found) > 20  # the enumeration really found the app's routes
    return found


def _csrf_refusal(response) -> bool:
    """403 from the CSRF guard (its code, or its message on the HTML error page)."""
    return response.status_code == 403 and "csrf" in response.text.lower()


async def test_every_unsafe_route_refuses_a_missing_or_wrong_token(app, settings, admin_login):
    _, cookie, _ = admin_login
    problems = []
    for method, url in _unsafe_urls(app):
        for label, headers in (("missing", {}), ("wrong", {"X-CSRF-Token": "x" * 64})):
            async with browser(app, settings, cookie) as http:
                response = await http.request(method, url, json={}, headers=headers)
            if not _csrf_refusal(response):
                problems.append(f"{method} {url} with a {label} token: {response.status_code}")
        async with browser(app, settings, cookie) as http:
            form = await http.request(method, url, data={"csrf_token": "wrong"})
        if not _csrf_refusal(form):
            problems.append(f"{method} {url} with a wrong form field: {form.status_code}")
    assert not problems, "\n".join(problems)


async def test_the_right_token_passes_as_header_or_form_field(app, settings, admin_login):
    _, cookie, csrf = admin_login
    for method, url in _unsafe_urls(app):
        async with browser(app, settings, cookie, csrf) as http:
            response = await http.request(method, url, json={})
        assert not _csrf_refusal(response), f"{method} {url}: {response.text[:200]}"


async def test_the_form_field_carries_the_token_for_plain_forms(app, settings, admin_login):
    _, cookie, csrf = admin_login
    async with browser(app, settings, cookie) as http:
        response = await http.post("/me/password", data={"csrf_token": csrf})
    assert response.status_code == 422  # reached the page: the form itself is incomplete


async def test_a_session_token_does_not_work_for_another_session(app, settings, session, clock):
    first = await make_user(session, roles=((Role.admin, None, None),))
    second = await make_user(session, roles=((Role.admin, None, None),))
    _, csrf_of_first = await open_session_for(session, settings, user_id=first.id, now=clock.now())
    cookie_of_second, _ = await open_session_for(
        session, settings, user_id=second.id, now=clock.now()
    )
    await session.commit()
    async with browser(app, settings, cookie_of_second, csrf_of_first) as http:
        response = await http.post("/api/v1/auth/tokens", json={"name": "x"})
    assert response.status_code == 403


async def test_login_form_needs_the_pre_session_token(app, session):
    await make_user(session, phone="13811112222", password_hash=PASSWORD_HASH)
    await session.commit()
    credentials = {"phone": "13811112222", "password": PASSWORD}
    async with client_for(app) as http:
        # A forged cross-site form post: no cookie from us, no token.
        forged = await http.post("/login", data=credentials)
        assert forged.status_code == 403
        assert "kepu_session" not in forged.headers.get("set-cookie", "")
        page = await http.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
        assert "kepu_csrf" in page.headers["set-cookie"]
        wrong = await http.post("/login", data={**credentials, "csrf_token": "0" * 64})
        assert wrong.status_code == 403
        ok = await http.post("/login", data={**credentials, "csrf_token": token})
    assert ok.status_code == 303
    assert "kepu_session=" in ok.headers["set-cookie"]


async def test_pages_put_the_token_in_hx_headers_on_body(app, settings, admin_login):
    _, cookie, csrf = admin_login
    async with browser(app, settings, cookie) as http:
        page = await http.get("/me")
    assert f"""<body hx-headers='{{"X-CSRF-Token": "{csrf}"}}'>""" in page.text
    assert f'name="csrf_token" value="{csrf}"' in page.text  # plain forms: the hidden field


async def test_htmx_requests_pass_with_the_header(app, settings, admin_login):
    _, cookie, csrf = admin_login
    async with browser(app, settings, cookie) as http:
        response = await http.post(
            "/me/password",
            headers={"HX-Request": "true", "X-CSRF-Token": csrf},
            data={"current_password": "nope", "new_password": "whatever-1234"},
        )
    assert response.status_code == 422  # the password check answered, not the CSRF guard
    assert "当前密码不正确" in response.text


async def test_bearer_tokens_are_exempt_and_ignore_cookies(app, settings, session, clock):
    user = await make_user(session, roles=((Role.admin, None, None),))
    token = await make_api_token(session, user_id=user.id, created_at=clock.now())
    await session.commit()
    async with client_for(app, headers={"Authorization": f"Bearer {token}"}) as http:
        response = await http.post("/api/v1/auth/tokens", json={"name": "机器"})
    assert response.status_code == 201
    # A bearer header with a bad token never falls back to the session cookie.
    cookie, _ = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    async with browser(app, settings, cookie) as http:
        response = await http.get("/api/v1/me", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401


async def test_cross_site_unsafe_requests_are_refused(app, settings, admin_login):
    _, cookie, csrf = admin_login
    async with browser(app, settings, cookie, csrf) as http:
        response = await http.post(
            "/api/v1/auth/tokens", json={"name": "x"}, headers={"Sec-Fetch-Site": "cross-site"}
        )
    assert response.status_code == 403
    assert response.json()["code"] == "csrf_cross_site"


async def test_cookie_less_json_clients_need_no_token(app, session):
    await make_user(session, phone="13811113333", password_hash=PASSWORD_HASH)
    await session.commit()
    async with client_for(app) as http:
        response = await http.post(
            "/api/v1/auth/login", json={"phone": "13811113333", "password": PASSWORD}
        )
    assert response.status_code == 200
    assert len(response.json()["csrf_token"]) == 64
