"""The 数据看板 in a real browser at desk width: figures, SVG charts, drilling into a street and
into the orders behind a figure; the print stylesheet (charts included) and the 上报 page."""

from __future__ import annotations

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import assert_accessible, log_in, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)


async def test_the_coordinator_reads_the_dashboard_and_drills_down(browser, live_server):
    base = live_server
    async with open_tab(browser, base, "desktop") as tab:
        await log_in(tab, base, PHONES["coordinator"])
        await tab.goto(f"{base}/desk/insight?period=this_year")
        main = await tab.locator("main").inner_text()
        assert "数据看板 · 芝罘区" in main and "满员率" in main and "全国科普日" in main
        assert await tab.locator("svg.insight-svg").count() == 2
        assert await tab.locator("svg.insight-svg rect.insight-band").count() >= 1
        await screenshot(tab, "insight-dashboard")
        await assert_accessible(tab)

        # Drill down: a street's name opens the street's dashboard.
        street = tab.locator("#insight-streets ~ div a").first
        name = (await street.inner_text()).strip()
        await street.click()
        await tab.wait_for_load_state("load")
        assert f"数据看板 · {name}" in await tab.locator("h1").inner_text()

        # A figure opens the orders behind it, each linking to its order page.
        await tab.locator("a.insight-figure", has_text="派出活动").click()
        await tab.wait_for_load_state("load")
        assert "/desk/insight/orders" in tab.url
        listed = await tab.locator("main").inner_text()
        assert name in listed and "共" in listed
        await screenshot(tab, "insight-orders")
        await assert_accessible(tab)


async def test_the_dashboard_and_the_report_print(browser, live_server):
    base = live_server
    async with open_tab(browser, base, "desktop") as tab:
        await log_in(tab, base, PHONES["coordinator"])
        await tab.goto(f"{base}/desk/insight?period=this_year")
        await tab.emulate_media(media="print")
        assert not await tab.locator("form.insight-filters").is_visible()
        assert await tab.locator("svg.insight-svg").first.is_visible()
        await screenshot(tab, "insight-dashboard-print")
        await tab.emulate_media(media="screen")
        await tab.get_by_role("button", name="生成上报材料").click()
        await tab.wait_for_load_state("load")
        main = await tab.locator("main").inner_text()
        assert "重点人群×主题·活动场次" in main and "优秀科技志愿者" in main
        await assert_accessible(tab)
        await tab.emulate_media(media="print")
        await screenshot(tab, "insight-report-print")
