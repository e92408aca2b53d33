"""A forged Host header ends up in no link, form action or redirect; absolute URLs use
KEPU_PUBLIC_ORIGIN."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from service.settings import Settings, describe_error
from tests.service.auth.helpers import browser, client_for, open_session_for

FORGED = {"Host": "evil.example"}


def _urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src|action)="([^"]*)"', html)


async def test_a_spoofed_host_is_in_no_link_or_form_action_of_the_login_and_home_pages(
    app, settings, session, clock, member
):
    cookie, _ = await open_session_for(session, settings, user_id=member.id, now=clock.now())
    await session.commit()
    pages = []
    async with client_for(app) as anonymous:
        pages += [
            await anonymous.get(path, headers=FORGED) for path in ("/login", "/", "/register")
        ]
    async with browser(app, settings, cookie) as logged_in:
        pages += [await logged_in.get(path, headers=FORGED) for path in ("/", "/me")]
    for page in pages:
        assert page.status_code == 200, page.url
        assert "evil.example" not in page.text, page.url
        urls = _urls(page.text)
        assert urls and all(
            (url.startswith("/") and not url.startswith("//")) or url.startswith("#")
            for url in urls
        )
    assert 'action="/login"' in pages[0].text


@pytest.mark.parametrize("path", ["/me/", "/login/", "/api/v1/me/"])
async def test_a_trailing_slash_redirect_does_not_follow_a_spoofed_host(app, path):
    async with client_for(app) as http:
        response = await http.get(path, headers=FORGED)
    assert response.status_code in {307, 308}
    assert response.headers["location"] == path.rstrip("/")


async def test_absolute_urls_come_from_the_public_origin(make_app):
    from starlette.requests import Request

    from service.web.templating import templates

    app = await make_app(public_origin="https://kepu.example.cn/")
    request = Request(
        {"type": "http", "method": "GET", "path": "/", "headers": [(b"host", b"evil.example")],
         "query_string": b"", "app": app, "router": app.router, "scheme": "http"}
    )  # fmt: skip
    page = templates.env.from_string("{{ absolute_url('login_form') }}").render(request=request)
    assert page == "https://kepu.example.cn/login"


def test_production_needs_the_public_origin_and_it_must_be_an_origin():
    with pytest.raises(ValidationError) as caught:
        Settings(env="production", secret_key="x" * 40, _env_file=None)
    assert "KEPU_PUBLIC_ORIGIN" in describe_error(caught.value)
    for wrong in ("kepu.example.cn", "ftp://kepu.example.cn", "https://kepu.example.cn/app"):
        with pytest.raises(ValidationError):
            Settings(public_origin=wrong, _env_file=None)
    assert Settings(_env_file=None).origin == "http://127.0.0.1:8000"
