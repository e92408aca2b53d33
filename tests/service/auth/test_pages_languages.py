"""Every identity and admin page speaks the reader's language: Chinese by default, English for
``Accept-Language: en``, the ``kepu_lang`` switch or the account's saved choice; whole or as an
htmx fragment. An English page keeps no Chinese but its data (people's and places' names)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.models import User
from service.web.templating import LOCALE_COOKIE
from tests.service.auth.helpers import client_for
from tests.service.auth.page_checks import (
    ENGLISH,
    HTMX,
    as_user,
    is_fragment,
    is_whole_page,
    untranslated,
    world_words,
)
from tests.service.auth.world import build_world

# path → (a Chinese phrase the page shows, the same in English)
ADMIN_PAGES = {
    "/admin/users": ("用户管理", "Users"),
    "/admin/users/new": ("新建用户", "New user"),
    "/admin/audit": ("操作日志", "Audit log"),
    "/admin/registrations": ("志愿者注册审核", "Volunteer registrations to review"),
    "/me": ("我的账号", "My account"),
    "/me/tokens": ("我的访问令牌", "My access tokens"),
}
PUBLIC_PAGES = {
    "/": ("近期活动", "Coming up"),
    "/login": ("登录", "Log in"),
    "/register": ("注册成为科技志愿者", "Sign up as a science volunteer"),
    "/no-such-page": ("没有找到您要的页面", "The page or item you asked for was not found"),
}


def _check(response, phrase: str, *, english: bool, htmx: bool, data: list[str]) -> None:
    html = response.text
    assert phrase in html, (response.url, phrase)
    assert is_fragment(html) if htmx else is_whole_page(html), response.url
    if english:
        assert untranslated(html, data) == [], (str(response.url), untranslated(html, data))
        assert htmx or '<html lang="en"' in html
    else:
        assert htmx or '<html lang="zh-CN"' in html


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
async def test_admin_and_account_pages_in_both_languages(app, settings, session, clock, htmx):
    world = await build_world(session, now=clock.now())
    user_page = f"/admin/users/{world.users['worker'].id}"
    reject_page = f"/admin/registrations/{world.ids['pending_volunteer']}/reject"
    pages = {
        **ADMIN_PAGES,
        user_page: ("角色与范围", "Roles and scopes"),
        reject_page: ("不通过的原因", "Reason for not approving"),
    }
    http, _csrf = await as_user(app, settings, session, clock, world.users["admin"])
    async with http:
        for path, (chinese, english) in pages.items():
            headers = HTMX if htmx else {}
            zh = await http.get(path, headers=headers)
            assert zh.status_code == 200, (path, zh.text[:300])
            _check(zh, chinese, english=False, htmx=htmx, data=world_words(world))
            en = await http.get(path, headers={**headers, **ENGLISH})
            assert en.status_code == 200, path
            _check(en, english, english=True, htmx=htmx, data=world_words(world))


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx"])
async def test_public_pages_in_both_languages(client, htmx):
    headers = HTMX if htmx else {}
    for path, (chinese, english) in PUBLIC_PAGES.items():
        zh = await client.get(path, headers=headers)
        assert zh.status_code in (200, 404), path
        _check(zh, chinese, english=False, htmx=htmx, data=[])
        en = await client.get(path, headers={**headers, **ENGLISH})
        _check(en, english, english=True, htmx=htmx, data=[])


async def test_the_api_reference_page_in_both_languages(client):
    zh = await client.get("/docs")
    assert zh.status_code == 200 and '<html lang="zh-CN"' in zh.text
    assert "获取令牌" in zh.text and 'href="/me/tokens"' in zh.text
    en = await client.get("/docs", headers=ENGLISH)
    assert '<html lang="en"' in en.text and "Get a token" in en.text
    assert untranslated(en.text) == []


async def test_the_switch_cookie_and_the_account_choice_pick_the_language(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    async with http:
        by_browser = await http.get("/admin/registrations", headers=ENGLISH)
        assert "Volunteer registrations to review" in by_browser.text  # Accept-Language alone
        http.cookies.set(LOCALE_COOKIE, "zh_CN")
        switched = await http.get("/admin/registrations", headers=ENGLISH)
        assert "志愿者注册审核" in switched.text  # the switch beats the browser's language
        http.cookies.delete(LOCALE_COOKIE)
        await session.execute(
            sa.update(User).where(User.id == world.users["coordinator"].id).values(locale="en")
        )
        await session.commit()
        saved = await http.get("/admin/registrations")
        assert "Volunteer registrations to review" in saved.text  # the account's own choice


async def test_registration_steps_in_english(app, session, clock, caplog):
    import logging

    from tests.loop_helpers import texted_code

    caplog.set_level(logging.INFO, logger="kepu.notifications")
    world = await build_world(session, now=clock.now())
    async with client_for(app, headers=ENGLISH) as http:
        page = await http.get("/register")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
        form = {
            "name": "Wang", "phone": "13566661234", "password": "Kepu-2026-x",
            "home_community_id": str(world.ids["community"]), "radius_km": "8", "bio": "",
            "csrf_token": token,
        }  # fmt: skip
        sent = await http.post("/register", data=form)
        assert sent.status_code == 202 and "Enter the code from the text message" in sent.text
        assert untranslated(sent.text) == []
        wrong = await http.post(
            "/register/confirm", data={"phone": "13566661234", "code": "12", "csrf_token": token}
        )
        assert wrong.status_code == 422 and "Enter the 6-digit verification code." in wrong.text
        done = await http.post(
            "/register/confirm",
            data={"phone": "13566661234", "code": texted_code(caplog), "csrf_token": token},
        )
        assert done.status_code == 201 and "Thank you for signing up" in done.text
        assert "135****1234" in done.text and untranslated(done.text, ["Wang"]) == []
