"""The activity map's offline view in a real browser, at desk width and on a phone (390 px):
never blank (street outlines, community points, volunteer circles, order markers, a scale bar
and a legend drawn by Leaflet from the page's own JSON), a popup with a link to the order,
the table beneath, nothing fetched from outside, no serious axe-core finding."""

from __future__ import annotations

import json

import pytest

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import SCREENSHOTS, assert_accessible, log_in, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)


@pytest.mark.parametrize("viewport", ["desk", "phone"])
async def test_the_offline_map_shows_the_district(browser, live_server, viewport):
    async with open_tab(browser, live_server, viewport) as tab:
        await log_in(tab, live_server, PHONES["coordinator"])
        # Ninety days around today: the demo has open, unfilled and done orders in it.
        await tab.goto(f"{live_server}/desk/insight/map")
        await tab.locator("main").get_by_role("link", name="近 90 天").click()
        await tab.wait_for_load_state("load")
        await tab.locator("#insight-map.is-drawn").wait_for()
        assert await tab.locator("h1").inner_text() == "活动地图"

        drawn = tab.locator("#insight-map")
        paths = drawn.locator("path.leaflet-interactive")
        assert await paths.count() > 20  # volunteer circles and order markers
        assert await drawn.locator("svg path").count() > await paths.count()  # + outlines
        assert await drawn.locator(".map-street-label").count() >= 5  # every street named
        scale = drawn.locator(".leaflet-control-scale-line")
        assert (await scale.inner_text()).strip().endswith(("m", "km"))
        assert await drawn.locator("img.leaflet-tile").count() == 0  # offline: no tiles at all
        box = await drawn.bounding_box()
        assert box["width"] <= (390 if viewport == "phone" else 1366) and box["height"] >= 300

        legend = await tab.locator(".map-legend").inner_text()
        for word in ("招募中", "未招满", "已完成", "志愿者人数", "街道范围", "离线地图"):
            assert word in legend
        assert await tab.locator("#map-table-title + .table-scroll tbody tr").count() >= 25
        await screenshot(tab, "map")
        await assert_accessible(tab)

        # Zoomed in one step, every community point carries its name.
        await drawn.get_by_role("button", name="Zoom in").click()
        await tab.locator("#insight-map.show-community-labels").wait_for()
        label = drawn.locator(".map-community-label").first
        assert await label.is_visible() and (await label.inner_text()).endswith(("社区", "村"))
        await drawn.screenshot(path=str(SCREENSHOTS / f"map-zoomed-{viewport}.png"))

        # An order marker's popup says what, when, where, how full, and links to the order.
        marker = drawn.locator("path.leaflet-interactive[fill='#b93a0b']").first
        await marker.click(force=True)
        popup = drawn.locator(".leaflet-popup-content")
        await popup.wait_for()
        text = await popup.inner_text()
        assert "未招满" in text and "已接" in text and "名额" in text
        link = popup.locator("a").first
        assert (await link.get_attribute("href")).startswith("/desk/orders/")
        await screenshot(tab, "map-popup")
        await assert_accessible(tab)
        await link.click()
        await tab.wait_for_load_state("load")
        assert "/desk/orders/" in tab.url


async def test_counted_per_community_the_map_draws_one_dot_per_status(browser, live_server):
    """Above the detail limit the server sends counts per community instead of orders; the demo
    is far below it, so the page's JSON is rewritten on its way to the browser to say so."""

    async def as_counted(route):
        response = await route.fetch()
        page = await response.text()
        start = page.index('id="map-data">') + len('id="map-data">')
        end = page.index("</script>", start)
        data = json.loads(page[start:end])
        data["detailed"], data["orders"] = False, []
        counted = sum(1 for c in data["communities"] for n in c[5:] if n)
        await route.fulfill(response=response, body=page[:start] + json.dumps(data) + page[end:])
        seen.append(counted)

    seen: list[int] = []
    async with open_tab(browser, live_server, "desk") as tab:
        await log_in(tab, live_server, PHONES["coordinator"])
        await tab.route("**/desk/insight/map?*", as_counted)
        await tab.goto(f"{live_server}/desk/insight/map?from=2026-01-01&to=2026-12-31")
        await tab.locator("#insight-map.is-drawn").wait_for()
        drawn = tab.locator("#insight-map")
        volunteers = await drawn.locator("path.leaflet-interactive[fill='#7b3fc4']").count()
        dots = await drawn.locator("path.leaflet-interactive").count()
        assert seen and seen[0] > 10 and dots == volunteers + seen[0]
        await drawn.locator("path.leaflet-interactive[fill='#17753a']").first.click(force=True)
        popup = drawn.locator(".leaflet-popup-content")
        await popup.wait_for()
        text = await popup.inner_text()
        assert "招募中" in text and "未招满" in text and "已完成" in text and "个" in text
        await drawn.screenshot(path=str(SCREENSHOTS / "map-counted-desk.png"))
        await assert_accessible(tab)
