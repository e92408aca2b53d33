"""What every phone page must be: light, no wider than the phone, with buttons a finger finds.

- **Page weight budget: 150 KB transferred per page**, counted by Chromium itself (the bytes on
  the wire, ``encodedDataLength``) for everything the page loads, except the vendored libraries
  under ``/static/vendor/`` that a phone caches after the first page (htmx, Pico CSS). A resident
  on a prepaid plan in a basement hall opens the page once; it has to arrive.
- **Nothing wider than 360 px**: the page never scrolls sideways on the narrowest phone we support.
- **Tap targets ≥ 44 px** high: every visible button, select and text field (links inside
  sentences are read, not aimed at, and are left out).
"""

from __future__ import annotations

from dataclasses import dataclass, field

PAGE_BUDGET_BYTES = 150 * 1024
PHONE_WIDTH = 360
MIN_TAP_PX = 44
CACHED_PREFIX = "/static/vendor/"

_TAP_TARGETS = """() => {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    const style = getComputedStyle(el);
    return box.width > 0 && box.height > 0 && style.visibility !== "hidden";
  };
  const selector = "button, select, input:not([type=hidden]):not([type=checkbox]):not([type=radio])"
    + ", a[role=button], .button";
  return [...document.querySelectorAll(selector)].filter(shown)
    .map((el) => ({
      what: el.outerHTML.slice(0, 120),
      height: Math.round(el.getBoundingClientRect().height),
    }));
}"""


@dataclass
class Weight:
    total: int = 0
    by_url: dict[str, int] = field(default_factory=dict)

    def biggest(self, n: int = 5) -> list[tuple[str, int]]:
        return sorted(self.by_url.items(), key=lambda item: -item[1])[:n]


async def weigh(tab, url: str) -> Weight:
    """Open ``url`` in ``tab`` with the cache off and count the bytes Chromium received for it
    (the vendored libraries left out: they are cached after the first page)."""
    cdp = await tab.context.new_cdp_session(tab)
    await cdp.send("Network.enable")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    urls: dict[str, str] = {}
    weight = Weight()

    def on_response(event) -> None:
        urls[event["requestId"]] = event["response"]["url"]

    def on_finished(event) -> None:
        address = urls.get(event["requestId"], "")
        path = "/" + address.split("://", 1)[-1].split("/", 1)[-1] if "://" in address else ""
        if address and not path.startswith(CACHED_PREFIX):
            size = int(event.get("encodedDataLength", 0))
            weight.by_url[address] = weight.by_url.get(address, 0) + size
            weight.total += size

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    await tab.goto(url)
    await tab.wait_for_load_state("networkidle")
    await cdp.send("Network.setCacheDisabled", {"cacheDisabled": False})
    await cdp.detach()
    return weight


async def phone_problems(tab) -> list[str]:
    """What makes the current page wrong on a 360 px phone (empty: nothing)."""
    problems = []
    width = await tab.evaluate("document.documentElement.scrollWidth")
    if width > PHONE_WIDTH:
        problems.append(f"the page is {width} px wide")
    for target in await tab.evaluate(_TAP_TARGETS):
        if target["height"] < MIN_TAP_PX:
            problems.append(f"{target['height']} px high: {target['what']}")
    return problems
