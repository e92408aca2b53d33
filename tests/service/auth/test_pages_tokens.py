"""My API tokens page (/me/tokens): create (the secret shown once) → the token works as a bearer
on the API, POSTs included and with no CSRF token → revoke (confirmed) → refused. And /docs
offers "Authorize" with a bearer scheme and a link here."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.service.auth.helpers import client_for
from tests.service.auth.page_checks import (
    ENGLISH,
    HTMX,
    as_user,
    is_fragment,
    untranslated,
    world_words,
)
from tests.service.auth.world import build_world

SECRET = re.compile(r"kp_[A-Za-z0-9_\-]{20,}")


def _bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


async def _create(http, csrf, name="区里的统计表格", days="90", headers=None):
    return await http.post(
        "/me/tokens",
        data={"name": name, "expires_in_days": days, "csrf_token": csrf},
        headers=headers or {},
    )


async def test_a_token_is_shown_once_works_on_the_api_and_stops_when_revoked(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    worker = world.users["worker"]
    http, csrf = await as_user(app, settings, session, clock, worker)
    browser, _ = await as_user(app, settings, session, clock, worker)
    async with http, browser, client_for(app) as machine:
        empty = await http.get("/me/tokens")
        assert empty.status_code == 200 and "您还没有访问令牌" in empty.text
        created = await _create(http, csrf)
        assert created.status_code == 201
        secret = SECRET.search(created.text).group()
        assert "令牌只显示这一次" in created.text and "复制令牌" in created.text
        listing = await http.get("/me/tokens")
        assert "区里的统计表格" in listing.text and "有效" in listing.text
        assert secret not in listing.text  # shown once, never again
        token_id = re.search(r'action="/me/tokens/(\d+)/revoke"', listing.text).group(1)
        assert "data-confirm=" in listing.text  # revoking asks first

        # A machine client: no cookie, no CSRF token, only the bearer header.
        me = await machine.get("/api/v1/me", headers=_bearer(secret))
        assert me.status_code == 200 and me.json()["name"] == worker.name
        # A POST from /docs: the bearer header alone, no X-CSRF-Token.
        made = await machine.post(
            "/api/v1/auth/tokens", json={"name": "来自文档页"}, headers=_bearer(secret)
        )
        assert made.status_code == 201, made.text
        # Swagger UI in a logged-in browser sends the session cookie too: the bearer still wins.
        both = await browser.post(
            "/api/v1/auth/tokens", json={"name": "带 cookie"}, headers=_bearer(secret)
        )
        assert both.status_code == 201, both.text
        without = await browser.post("/api/v1/auth/tokens", json={"name": "只有 cookie"})
        assert without.status_code == 403  # a cookie without the CSRF token is still refused

        revoked = await http.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf})
        assert revoked.status_code == 303
        after = await http.get(revoked.headers["location"])
        assert "令牌已撤销" in after.text and "已撤销" in after.text
        refused = await machine.get("/api/v1/me", headers=_bearer(secret))
        assert refused.status_code == 401


async def test_an_expired_token_is_refused(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["worker"])
    async with http, client_for(app) as machine:
        created = await _create(http, csrf, days="7")
        secret = SECRET.search(created.text).group()
        assert (await machine.get("/api/v1/me", headers=_bearer(secret))).status_code == 200
        clock.advance(timedelta(days=7, seconds=1))
        assert (await machine.get("/api/v1/me", headers=_bearer(secret))).status_code == 401
    later, _ = await as_user(app, settings, session, clock, world.users["worker"])
    async with later:  # a new login: the first session has idled out in the meantime
        listing = await later.get("/me/tokens")
    assert "已过期" in listing.text and "撤销“" not in listing.text


async def test_someone_elses_token_cannot_be_revoked(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    owner, csrf_owner = await as_user(app, settings, session, clock, world.users["worker"])
    other, csrf_other = await as_user(app, settings, session, clock, world.users["coordinator"])
    async with owner, other, client_for(app) as machine:
        created = await _create(owner, csrf_owner)
        listing = await owner.get("/me/tokens")
        secret = SECRET.search(created.text).group()
        token_id = re.search(r'action="/me/tokens/(\d+)/revoke"', listing.text).group(1)
        page = await other.get("/me/tokens")
        assert "区里的统计表格" not in page.text  # one sees only one's own tokens
        refused = await other.post(f"/me/tokens/{token_id}/revoke", data={"csrf_token": csrf_other})
        assert refused.status_code == 404 and "没有找到该访问令牌" in refused.text
        assert (await machine.get("/api/v1/me", headers=_bearer(secret))).status_code == 200


@pytest.mark.parametrize(
    ("name", "days", "field", "chinese", "english"),
    [
        ("", "90", "name", "长度不能少于 1 个字符。", "Enter at least 1 characters."),
        ("名" * 65, "90", "name", "长度不能超过 64 个字符。", "Enter at most 64 characters."),
        ("表格", "9999", "expires_in_days", "不能大于 366。", "Must be at most 366."),
        ("表格", "abc", "expires_in_days", "请输入整数。", "Enter a whole number."),
    ],
)
async def test_the_form_says_what_is_wrong_next_to_the_field_in_the_readers_language(
    app, settings, session, clock, name, days, field, chinese, english
):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["worker"])
    async with http:
        zh = await _create(http, csrf, name=name, days=days)
        en = await _create(http, csrf, name=name, days=days, headers=ENGLISH)
        listing = await http.get("/me/tokens")
    assert zh.status_code == en.status_code == 422
    assert f'<small class="field-error" id="{field}-error">{chinese}</small>' in zh.text
    assert f'aria-describedby="{field}-error"' in zh.text and 'aria-invalid="true"' in zh.text
    assert english in en.text and untranslated(en.text, [*world_words(world), name]) == []
    if name:
        assert f'value="{name}"' in zh.text  # what was typed is kept
    assert "您还没有访问令牌" in listing.text  # nothing was created


async def test_the_tokens_page_in_english_and_as_a_fragment(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["worker"])
    async with http:
        created = await _create(http, csrf, name="spreadsheet", headers=ENGLISH)
        page = await http.get("/me/tokens", headers=ENGLISH)
        fragment = await http.get("/me/tokens", headers=ENGLISH | HTMX)
    assert "The token is shown only this once" in created.text
    assert untranslated(created.text, world_words(world)) == []
    assert "Revoke “spreadsheet”" in page.text and "Valid until" in page.text
    assert untranslated(page.text, world_words(world)) == []
    assert is_fragment(fragment.text) and "My access tokens" in fragment.text


async def test_the_tokens_page_needs_a_login(client):
    response = await client.get("/me/tokens")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_api_reference_offers_bearer_authorization(client):
    schema = (await client.get("/openapi.json")).json()
    scheme = schema["components"]["securitySchemes"]["bearerAuth"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    paths = schema["paths"]
    assert paths["/api/v1/auth/tokens"]["post"]["security"] == [{"bearerAuth": []}]
    assert paths["/api/v1/admin/users"]["get"]["security"] == [{"bearerAuth": []}]
    assert "security" not in paths["/api/v1/auth/login"]["post"]  # public: no token needed
    docs = await client.get("/docs")
    assert 'href="/me/tokens"' in docs.text and "获取令牌" in docs.text
    script = await client.get("/static/js/api-docs.js")
    assert "persistAuthorization: true" in script.text
