from tests.browser.conftest import accessibility_violations, screenshot


async def test_home_page_shows_the_demo_district_in_chinese(page, live_server):
    await page.goto(live_server + "/")
    assert await page.locator("h1").first.inner_text() == "社区科普活动 · 点单派单平台"
    # The demo's upcoming activities are listed with their community.
    items = page.locator(".activity-list li")
    assert await items.count() > 0
    assert "社区" in await items.first.inner_text()
    # htmx is loaded from the server itself and configured without eval.
    assert await page.evaluate("typeof htmx") == "object"
    assert await page.evaluate("htmx.config.allowEval") is False
    await screenshot(page, "home")


async def test_the_home_page_has_no_serious_accessibility_violation(page, live_server):
    await page.goto(live_server + "/")
    assert await accessibility_violations(page) == []
