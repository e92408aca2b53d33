"""The admin and account pages in a real browser: my tokens page and /docs with "Authorize", the
registration review (approve in one click, decline with a confirmed reason), the audit in
words. Every page is checked with axe; screenshots are saved for people to look at."""

from __future__ import annotations

import re

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, assert_accessible, open_tab, screenshot
from tests.browser.test_preferences import _create_person, _log_in

PHONES = dict(DEMO_LOGINS)
TOKEN_OWNER = {"name": "令牌测试员", "phone": "13712340002", "password": "Token-Browser-2026"}


async def test_a_token_from_my_tokens_page_authorizes_the_api_reference(browser, live_server):
    await _create_person(browser, live_server, TOKEN_OWNER)
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server, TOKEN_OWNER["phone"], TOKEN_OWNER["password"])
        await tab.get_by_role("link", name="管理我的访问令牌").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "我的访问令牌"
        await screenshot(tab, "tokens-empty")
        await assert_accessible(tab)
        await tab.fill("input[name=name]", "浏览器测试")
        await tab.select_option("select[name=expires_in_days]", "30")
        await tab.get_by_role("button", name="创建令牌").click()
        await tab.wait_for_load_state("networkidle")
        secret = await tab.locator("#token-secret").input_value()
        assert re.fullmatch(r"kp_[A-Za-z0-9_\-]{20,}", secret)
        assert "令牌只显示这一次" in await tab.locator("main").inner_text()
        await tab.context.grant_permissions(["clipboard-read", "clipboard-write"])
        await tab.get_by_role("button", name="复制令牌").click()
        await tab.wait_for_function(
            "document.getElementById('copy-status').textContent.includes('已复制')"
        )
        assert await tab.evaluate("navigator.clipboard.readText()") == secret
        await screenshot(tab, "tokens-created-shown-once")
        await assert_accessible(tab)

        # /docs: "获取令牌" leads back here; "Authorize" takes the token; a call succeeds.
        await tab.goto(f"{live_server}/docs")
        await tab.wait_for_selector(".opblock", timeout=45_000)
        assert await tab.get_by_role("link", name="获取令牌").get_attribute("href") == "/me/tokens"
        await tab.locator(".btn.authorize").first.click()
        await tab.locator(".modal-ux input").first.fill(secret)
        await tab.locator(".modal-ux .auth-btn-wrapper .authorize").click()
        await screenshot(tab, "docs-authorized")
        await tab.locator(".modal-ux .btn-done").click()
        operation = tab.locator(".opblock-get").filter(
            has=tab.locator('.opblock-summary-path[data-path="/api/v1/me"]')
        )
        await operation.locator(".opblock-summary").click()
        await operation.locator(".try-out__btn").click()
        await operation.locator(".execute").click()
        status = operation.locator(".live-responses-table tr.response .response-col_status").first
        await status.wait_for(timeout=15_000)
        assert (await status.inner_text()).strip() == "200"
        assert TOKEN_OWNER["name"] in await operation.locator(".live-responses-table").inner_text()
        # Swagger UI's page is very long: the part in view, not the whole page.
        await operation.scroll_into_view_if_needed()
        await tab.screenshot(path=str(SCREENSHOTS / "docs-try-it-out-desk.png"))
        await tab.evaluate("window.scrollTo(0, 0)")
        await tab.screenshot(path=str(SCREENSHOTS / "docs-top-desk.png"))
        await _assert_our_part_of_docs_accessible(tab)

        # Revoke, with the browser's confirmation; the token then stops working.
        await tab.goto(f"{live_server}/me/tokens")
        tab.once("dialog", lambda dialog: dialog.accept())
        await tab.get_by_role("button", name="撤销“浏览器测试”").click()
        await tab.wait_for_load_state("networkidle")
        assert "令牌已撤销" in await tab.locator("main").inner_text()
        await screenshot(tab, "tokens-revoked")
        answer = await tab.request.get(
            f"{live_server}/api/v1/me", headers={"Authorization": f"Bearer {secret}"}
        )
        assert answer.status == 401


async def _assert_our_part_of_docs_accessible(tab) -> None:
    """axe on the bar this project adds above Swagger UI (Swagger UI's own markup is vendored
    as is; its findings are not ours to fix)."""
    from tests.browser.conftest import AXE_SOURCE

    if not await tab.evaluate("typeof window.axe !== 'undefined'"):
        await tab.evaluate(AXE_SOURCE)
    found = await tab.evaluate(
        "async () => (await axe.run('.api-docs-header', {resultTypes: ['violations']})).violations"
    )
    assert [v["id"] for v in found if v["impact"] in ("serious", "critical")] == []


async def test_a_coordinator_approves_one_registration_and_declines_another(browser, live_server):
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(
            tab, live_server, PHONES["coordinator"], DEMO_PASSWORD, "/admin/registrations"
        )
        assert await tab.locator("h1").inner_text() == "志愿者注册审核"
        await screenshot(tab, "registrations-list")
        await assert_accessible(tab)
        cards = tab.locator("article.registration")
        assert await cards.count() >= 2
        first = (await cards.nth(0).locator("h2").inner_text()).strip()
        await cards.nth(0).get_by_role("button", name=f"通过 {first} 的注册").click()
        await tab.wait_for_load_state("networkidle")
        notice = await tab.locator("[role=status]").inner_text()
        assert notice.startswith(f"已通过 {first} 的注册")
        await screenshot(tab, "registrations-approved")

        second = tab.locator("article.registration").first
        name = (await second.locator("h2").inner_text()).strip()
        await second.get_by_role("button", name="不通过…（需写明原因）").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == f"不通过 {name} 的注册"
        await assert_accessible(tab)
        # The reason is required: the browser itself stops an empty one.
        await tab.get_by_role("button", name="确认不通过").click()
        assert await tab.locator("textarea[name=reason]").evaluate("el => !el.validity.valid")
        await tab.fill("textarea[name=reason]", "您所在的社区暂不需要该领域的志愿者")
        await screenshot(tab, "registrations-reject-confirm")
        await tab.get_by_role("button", name="确认不通过").click()
        await tab.wait_for_load_state("networkidle")
        notice = await tab.locator("[role=status]").inner_text()
        assert notice.startswith(f"已将 {name} 的注册标记为不通过")
        assert name not in await tab.locator(".registration-list").inner_text()
        await screenshot(tab, "registrations-rejected")


async def test_the_audit_shows_names_and_sentences(browser, live_server):
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server, PHONES["admin"], DEMO_PASSWORD, "/admin/audit")
        assert await tab.locator("h1").inner_text() == "操作日志"
        table = await tab.locator("table.audit-table").inner_text()
        assert "平台管理员" in table and "登录" in table
        assert "{" not in table and "user_id" not in table
        await screenshot(tab, "audit")
        await assert_accessible(tab)
    # An English browser (Accept-Language; the demo admin's own saved choice stays unchanged).
    async with open_tab(browser, live_server, "desk", locale="en") as tab:
        await _log_in(tab, live_server, PHONES["admin"], DEMO_PASSWORD, "/admin/audit")
        assert await tab.locator("h1").inner_text() == "Audit log"
        assert "Log in" in await tab.locator("table.audit-table").inner_text()
        await screenshot(tab, "audit-english")
        await assert_accessible(tab)
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server, PHONES["admin"], DEMO_PASSWORD, "/admin/audit")
        assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await screenshot(tab, "audit")
        await assert_accessible(tab)
