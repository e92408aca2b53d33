"""Where a login sends the browser: only same-site paths of safe characters, never a 500."""

from __future__ import annotations

import re

import pytest

from tests.service.auth.helpers import PASSWORD, browser, client_for, open_session_for

UNSAFE_NEXT = [
    "/\t/evil.example",  # browsers drop the tab: //evil.example
    "/\n/evil.example",
    "/\r\nSet-Cookie: planted=1",
    "/活动/1",
    "/é",
    "//evil.example/",
    "/\\evil.example",
    "/ok//evil.example",
    "https://evil.example/",
    "javascript:alert(1)",
    " /me",
]


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)


@pytest.mark.parametrize("htmx", [False, True])
async def test_an_unsafe_next_after_login_falls_back_to_the_role_landing(app, member, htmx):
    for target in UNSAFE_NEXT:
        async with client_for(app) as http:
            page = await http.get("/login")
            form = {"phone": member.phone, "password": PASSWORD, "next": target}
            headers = {"X-CSRF-Token": _token(page)}
            if htmx:
                headers["HX-Request"] = "true"
            response = await http.post("/login", data=form, headers=headers)
        if htmx:
            assert response.status_code == 204 and response.headers["HX-Redirect"] == "/start", (
                target
            )
        else:
            assert response.status_code == 303 and response.headers["location"] == "/start", target


async def test_an_unsafe_next_on_the_login_page_is_never_echoed(
    app, settings, session, clock, member
):
    cookie, _ = await open_session_for(session, settings, user_id=member.id, now=clock.now())
    await session.commit()
    for target in UNSAFE_NEXT:
        async with client_for(app) as anonymous:
            page = await anonymous.get("/login", params={"next": target})
        assert page.status_code == 200, target
        assert re.search(r'name="next" value="/start"', page.text), target
        async with browser(app, settings, cookie) as logged_in:  # already in: sent on at once
            moved = await logged_in.get(
                "/login", params={"next": target}, headers={"HX-Request": "true"}
            )
        assert moved.status_code == 204 and moved.headers["HX-Redirect"] == "/start", target


async def test_a_safe_next_with_a_query_is_kept(app, member):
    async with client_for(app) as http:
        page = await http.get("/login")
        response = await http.post(
            "/login",
            data={"phone": member.phone, "password": PASSWORD, "next": "/me?tab=2&x=%E6%B4%BB"},
            headers={"X-CSRF-Token": _token(page), "HX-Request": "true"},
        )
    assert response.headers["HX-Redirect"] == "/me?tab=2&x=%E6%B4%BB"
