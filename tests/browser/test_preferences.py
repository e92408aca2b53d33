"""The language and 大字 switches in a real browser: they change the page at once, and a person's
choices come back when they log in again, on another device too (they are saved on the
account). A person of our own is created through the admin pages, so no demo login changes."""

from __future__ import annotations

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)
PERSON = {"name": "偏好测试员", "phone": "13712340001", "password": "Prefs-Browser-2026"}


async def _log_in(tab, base: str, phone: str, password: str, next_path: str = "/me") -> None:
    await tab.goto(f"{base}/login?next={next_path}")
    await tab.fill("input[name=phone]", phone)
    await tab.fill("input[name=password]", password)
    await tab.locator("main").get_by_role("button").click()
    await tab.wait_for_load_state("networkidle")


async def _click(tab, name: str) -> None:
    await tab.get_by_role("button", name=name, exact=True).click()
    await tab.wait_for_load_state("networkidle")


async def _create_person(browser, base: str, person: dict, role: str = "volunteer") -> None:
    """The admin creates the account through the new-user form (once per test session)."""
    async with open_tab(browser, base, "desk") as tab:
        await _log_in(tab, base, PHONES["admin"], DEMO_PASSWORD, next_path="/admin/users/new")
        await tab.fill("input[name=name]", person["name"])
        await tab.fill("input[name=phone]", person["phone"])
        await tab.fill("input[name=password]", person["password"])
        await tab.select_option("select[name=role_0]", role)
        await tab.get_by_role("button", name="创建用户").click()
        await tab.wait_for_load_state("networkidle")
        heading = await tab.locator("h1").inner_text()
        # Created now, or by an earlier test of this session (the phone is then taken).
        assert heading == person["name"] or "已注册" in await tab.locator("main").inner_text()


async def _no_sideways_scroll(tab) -> bool:
    return await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


async def test_switching_to_english_and_back(browser, live_server):
    async with open_tab(browser, live_server, "desk") as tab:
        await tab.goto(f"{live_server}/login")
        assert await tab.locator("h1").inner_text() == "登录"
        await screenshot(tab, "prefs-login-chinese")
        await _click(tab, "English")
        assert await tab.locator("html").get_attribute("lang") == "en"
        assert await tab.locator("h1").inner_text() == "Log in"
        assert "Sign up as a science volunteer" in await tab.locator("main").inner_text()
        await screenshot(tab, "prefs-login-english")
        await assert_accessible(tab)
        await _click(tab, "中文")
        assert await tab.locator("html").get_attribute("lang") == "zh-CN"
        assert await tab.locator("h1").inner_text() == "登录"
        await assert_accessible(tab)


async def test_large_text_on_a_small_phone_grows_the_words_and_nothing_overflows(
    browser, live_server
):
    await _create_person(browser, live_server, PERSON)
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server, PERSON["phone"], PERSON["password"])
        normal = await tab.evaluate(
            "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        )
        await screenshot(tab, "prefs-me-normal")
        await _click(tab, "大字模式")
        assert "large-text" in (await tab.locator("html").get_attribute("class") or "")
        large = await tab.evaluate(
            "parseFloat(getComputedStyle(document.documentElement).fontSize)"
        )
        assert large >= normal * 1.2, (normal, large)
        assert await _no_sideways_scroll(tab)
        await screenshot(tab, "prefs-me-large-text")
        await assert_accessible(tab)
        for path in ("/me/tokens", "/"):
            await tab.goto(live_server + path)
            assert await _no_sideways_scroll(tab), path
        await screenshot(tab, "prefs-home-large-text")
        await tab.goto(f"{live_server}/me")
        await _click(tab, "大字模式")  # and off again
        assert "large-text" not in (await tab.locator("html").get_attribute("class") or "")


async def test_the_person_gets_their_language_and_large_text_back_after_logging_in_again(
    browser, live_server
):
    person = {**PERSON, "name": "记住偏好的人", "phone": "13712340003"}
    await _create_person(browser, live_server, person)
    async with open_tab(browser, live_server, "phone") as tab:
        await _log_in(tab, live_server, person["phone"], person["password"])
        await _click(tab, "English")
        await _click(tab, "Large text")
        assert await tab.locator("h1").inner_text() == "My account"
        await _click(tab, "Log out")
        # The same browser keeps its switches after logging out.
        assert await tab.locator("html").get_attribute("lang") == "en"
        await screenshot(tab, "prefs-after-logout")
    # Another browser (no cookies at all): Chinese until the person logs in, then theirs.
    async with open_tab(browser, live_server, "phone") as tab:
        await tab.goto(f"{live_server}/login?next=/me")
        assert await tab.locator("h1").inner_text() == "登录"
        await _log_in(tab, live_server, person["phone"], person["password"])
        assert await tab.locator("h1").inner_text() == "My account"
        assert "large-text" in (await tab.locator("html").get_attribute("class") or "")
        await screenshot(tab, "prefs-remembered-on-another-device")
        await assert_accessible(tab)
        await _click(tab, "中文")
        await _click(tab, "大字模式")
        assert await tab.locator("h1").inner_text() == "我的账号"


async def test_a_team_leader_switches_role_on_their_account_page(browser, live_server):
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server, PHONES["team_leader"], DEMO_PASSWORD)
        await tab.goto(f"{live_server}/me")
        switch = tab.locator("select#pref-role")
        assert await switch.count() == 1  # two roles: the switch is offered
        await switch.select_option("volunteer")
        await _click(tab, "切换身份")
        # The volunteer's first page is 我的志愿 (/v); the choice is kept.
        assert await tab.locator("h1").inner_text() == "我的志愿"
        assert await tab.locator("select#pref-role").input_value() == "volunteer"
        await screenshot(tab, "prefs-role-switched")
        await assert_accessible(tab)
        await tab.locator("select#pref-role").select_option("team_leader")
        await _click(tab, "切换身份")
        assert await tab.locator("select#pref-role").input_value() == "team_leader"
