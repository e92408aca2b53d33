"""People logging in and out with the demo accounts, in a real browser."""

import re

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import screenshot

PHONES = dict(DEMO_LOGINS)


async def _log_in(page, base: str, phone: str, password: str, next_path: str = "/me") -> None:
    await page.goto(f"{base}/login?next={next_path}")
    await page.fill("input[name=phone]", phone)
    await page.fill("input[name=password]", password)
    # The login form's own button: the header's display switches are submit buttons too.
    await page.click("main button[type=submit]")
    await page.wait_for_load_state("networkidle")


async def test_a_community_worker_logs_in_sees_their_account_and_logs_out(page, live_server):
    await _log_in(page, live_server, PHONES["worker"], DEMO_PASSWORD)
    assert page.url.endswith("/me")
    assert await page.locator("h1").first.inner_text() == "我的账号"
    body = await page.locator("main").inner_text()
    assert "社区工作者" in body
    assert PHONES["worker"] in body  # a person sees their own number in full
    await screenshot(page, "me-worker")
    await page.get_by_role("button", name="退出").click()
    await page.wait_for_load_state("networkidle")
    assert await page.get_by_role("link", name="登录").count() == 1
    # The old session is gone server-side: the account page sends them to log in again.
    await page.goto(f"{live_server}/me")
    assert "/login?next=%2Fme" in page.url


async def test_a_wrong_password_is_refused_in_chinese(page, live_server):
    await _log_in(page, live_server, PHONES["volunteer"], "not-the-password")
    assert "/login" in page.url
    assert re.search("手机号或密码", await page.locator("main").inner_text())
    await screenshot(page, "login-refused")


async def test_an_admin_manages_users_and_sees_only_masked_numbers(page, live_server):
    await _log_in(page, live_server, PHONES["admin"], DEMO_PASSWORD, next_path="/admin/users")
    assert await page.locator("h1").first.inner_text() == "用户管理"
    table = await page.locator("main").inner_text()
    assert re.search(r"1[3-9]\d\*{4}\d{4}", table)
    assert PHONES["volunteer"] not in table
    await screenshot(page, "admin-users")
