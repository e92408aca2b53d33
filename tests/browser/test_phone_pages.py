"""Every resident and volunteer page on the narrowest phone (360×740): within the page-weight
budget (150 KB transferred, vendored libraries excluded — see tests/browser/phone.py), never
wider than the screen, tap targets ≥ 44 px, no serious or critical axe-core finding; resident
pages open in 长辈 mode (large text) by default. The weights are written to
tests/browser/screenshots/page-weights.txt for the record."""

from __future__ import annotations

import re

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import SCREENSHOTS, assert_accessible, log_in, open_tab, screenshot
from tests.browser.phone import PAGE_BUDGET_BYTES, phone_problems, weigh

PHONES = dict(DEMO_LOGINS)
RESIDENT_PAGES = ["/", "/activities", "/demand", "/demand/follow", "/rate"]
VOLUNTEER_PAGES = [
    "/v",
    "/v/nearby",
    "/v/schedule",
    "/v/calendar",
    "/v/hours",
    "/v/ratings",
    "/v/profile",
    "/inbox",
]


async def _first_link(tab, base: str, page: str, pattern: str) -> str | None:
    await tab.goto(base + page)
    hrefs = await tab.eval_on_selector_all(
        "main a[href]", "links => links.map(a => a.getAttribute('href'))"
    )
    return next((href for href in hrefs if re.fullmatch(pattern, href)), None)


async def _check(
    tab, base: str, path: str, weights: dict[str, int], *, large_text: bool | None
) -> None:
    weight = await weigh(tab, base + path)
    weights[path] = weight.total
    assert weight.total <= PAGE_BUDGET_BYTES, (path, weight.total, weight.biggest())
    assert await phone_problems(tab) == [], path
    if large_text is not None:  # a volunteer's own choice is theirs (other tests may set it)
        classes = await tab.locator("html").get_attribute("class") or ""
        assert ("large-text" in classes) == large_text, (path, classes)
    name = "phone-" + (path.strip("/").replace("/", "-") or "home")
    await screenshot(tab, name)
    await assert_accessible(tab)


def _record(weights: dict[str, int], who: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    lines = [f"{path}\t{size / 1024:.1f} KB" for path, size in weights.items()]
    (SCREENSHOTS / f"page-weights-{who}.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


async def test_resident_pages_fit_a_small_phone_in_large_text(browser, live_server):
    weights: dict[str, int] = {}
    async with open_tab(browser, live_server, "small-phone") as tab:
        pages = list(RESIDENT_PAGES)
        activity = await _first_link(tab, live_server, "/activities", r"/activities/\d+")
        assert activity, "the demo should show upcoming activities"
        demands = await _first_link(tab, live_server, activity, r"/communities/\d+/demands")
        assert demands, "an activity's page leads to its community's demands"
        pages += [activity, demands]
        for path in pages:
            await _check(tab, live_server, path, weights, large_text=True)
    _record(weights, "resident")


async def test_volunteer_pages_fit_a_small_phone(browser, live_server):
    weights: dict[str, int] = {}
    async with open_tab(browser, live_server, "small-phone") as tab:
        await log_in(tab, live_server, PHONES["volunteer"])
        assert tab.url == f"{live_server}/v"
        # On a phone the volunteer's pages are in the tab bar at the bottom, not the header.
        assert await tab.locator("nav.tab-bar").is_visible()
        assert await tab.locator(".site-nav .nav-role").first.is_hidden()
        tab_bar = await tab.locator("nav.tab-bar").bounding_box()
        assert tab_bar["y"] + tab_bar["height"] == 740
        pages = list(VOLUNTEER_PAGES)
        offer = await _first_link(tab, live_server, "/v", r"/v/offers/\d+")
        day = await _first_link(tab, live_server, "/v/schedule", r"/v/activities/\d+")
        pages += [path for path in (offer, day) if path]
        for path in pages:
            await _check(tab, live_server, path, weights, large_text=None)
    _record(weights, "volunteer")
