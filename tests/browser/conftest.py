"""Browser tests: a real uvicorn server on a demo-loaded database, driven by Debian's Chromium.

Chromium must be at /usr/bin/chromium (Debian packages chromium, chromium-driver; `.ci/run`
installs them). Without it the browser tests are skipped with one loud line, unless
REQUIRE_BROWSER=1 (set by CI) turns that into a failure. Any request the page makes to a host
other than the test server fails the test: nothing may need the internet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from pathlib import Path
from urllib.parse import urlparse

import httpx
import pytest

from service import migrate
from tests.conftest import _in_thread

CHROMIUM = "/usr/bin/chromium"
HAVE_CHROMIUM = os.path.exists(CHROMIUM)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _load_demo(url: str) -> None:
    import asyncio

    from service.demo.loader import load_demo_into
    from service.settings import Settings

    settings = Settings(env="test", database_url=url, _env_file=None)
    # Loaded relative to the real "now": the live server reads the system clock too.
    asyncio.run(load_demo_into(settings, if_empty=True))


def start_server(
    url: str, port: int, *, factory: str = "service.app:create_app", env: dict | None = None
) -> subprocess.Popen:
    """A uvicorn process serving the database at ``url`` on ``port``, once it answers /healthz.
    ``factory`` and ``env`` let a test serve the app another way (e.g. with a shifted clock)."""
    env = {
        **os.environ,
        "KEPU_DATABASE_URL": url,
        "KEPU_ENV": "test",
        "KEPU_RUN_WORKER_IN_PROCESS": "false",
        **(env or {}),
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            factory,
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "warning",
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        if process.poll() is not None:
            break
        time.sleep(0.2)
    stop_server(process)
    raise RuntimeError("the live server did not become healthy in 30 s")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> str:
    """The URL of a migrated, demo-loaded SQLite database file for the browser tests."""
    path = tmp_path_factory.mktemp("browser") / "browser.db"
    url = f"sqlite+aiosqlite:///{path}"
    _in_thread(migrate.upgrade, url)
    _in_thread(_load_demo, url)
    return url


@pytest.fixture(scope="session")
def live_server(demo_database) -> str:
    """Base URL of a uvicorn process serving the demo database."""
    port = _free_port()
    process = start_server(demo_database, port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
async def browser():
    if not HAVE_CHROMIUM:
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
        pytest.skip(f"!!! {CHROMIUM} missing — browser tests skipped (apt-get install chromium)")
    # The async API shares pytest-asyncio's session loop; the sync API would hold a loop of its
    # own in the main thread and break every async test that runs after it.
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        instance = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        await instance.close()


VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
    "desk": {"width": 1366, "height": 900},  # a community worker's office laptop
    "small-phone": {"width": 360, "height": 740},  # the narrowest phone we support
}
AXE = Path(__file__).parent / "vendor" / "axe.min.js"  # axe-core 4.11.0 from npm, vendored
AXE_SOURCE = AXE.read_text(encoding="utf-8") if AXE.exists() else ""


@asynccontextmanager
async def open_tab(browser, live_server: str, viewport: str = "desktop", *, locale="zh-CN"):
    """A tab in a fresh browser context (its own cookies) that records console errors, failed
    sub-requests and requests off the machine, and fails the test on any of them at the end."""
    # Phones have a touch screen: tests may tap (``locator.tap()``) as a finger would.
    touch = viewport in ("phone", "small-phone")
    context = await browser.new_context(
        viewport=VIEWPORTS[viewport], locale=locale, has_touch=touch
    )
    tab = await context.new_page()
    tab.viewport_name = viewport
    tab.console_errors = []
    tab.foreign_requests = []
    tab.failed_responses = []
    server_host = urlparse(live_server).netloc
    # "Failed to load resource" is judged by the response listener below, which knows the URL.
    tab.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not msg.text.startswith("Failed to load resource")
            and tab.console_errors.append(msg.text)
        ),
    )
    tab.on(
        "request",
        lambda req: (
            urlparse(req.url).netloc not in ("", server_host)
            and tab.foreign_requests.append(req.url)
        ),
    )
    tab.on(
        "response",
        # Sub-resources and htmx calls only: a page the test opens may answer 4xx on purpose.
        lambda resp: (
            resp.status >= 400
            and resp.request.resource_type != "document"
            and tab.failed_responses.append(f"{resp.status} {resp.url}")
        ),
    )
    try:
        yield tab
    finally:
        await context.close()
    assert tab.failed_responses == [], "the page requested something that failed"
    assert tab.foreign_requests == [], "the page reached outside the server"
    assert tab.console_errors == [], "the page logged errors (CSP violations show up here)"


@pytest.fixture(params=["desktop", "phone"])
async def page(request, browser, live_server):
    """A page on a desktop or phone viewport (see ``open_tab``)."""
    async with open_tab(browser, live_server, request.param) as tab:
        yield tab


async def accessibility_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the current page, one line each."""
    # Evaluated over the DevTools protocol, which the page's CSP (script-src 'self') does not
    # govern; a <script> tag would be refused by it, as it should be.
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(AXE_SOURCE)
    result = await page.evaluate(
        "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
    )
    return [
        f"{item['impact']}: {item['id']} — {item['help']} ({len(item['nodes'])}×: "
        f"{item['nodes'][0]['target']})"
        for item in result
        if item["impact"] in ("serious", "critical")
    ]


async def assert_accessible(page) -> None:
    """No serious or critical axe-core violation on the current page."""
    assert await accessibility_violations(page) == []


async def screenshot(page, name: str) -> Path:
    """Save a full-page screenshot under tests/browser/screenshots/ for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}-{page.viewport_name}.png"
    # caret="initial": hiding the caret makes Playwright inject a <style>, which the page's CSP
    # (style-src 'self') blocks on the next htmx swap and logs as a console error.
    await page.screenshot(path=str(path), full_page=True, caret="initial")
    return path


async def log_in(tab, base: str, phone: str, password: str | None = None) -> None:
    """Log in through the login form, as a person would, and wait for the page it leads to."""
    from service.demo.accounts import DEMO_PASSWORD

    await tab.goto(f"{base}/login")
    await tab.fill("main input[name=phone]", phone)
    await tab.fill("main input[name=password]", password or DEMO_PASSWORD)
    await tab.click("main button[type=submit]")
    await tab.wait_for_url(lambda url: "/login" not in url)
    await tab.wait_for_load_state("load")


async def api_client(base: str, phone: str) -> httpx.AsyncClient:
    """A JSON API client logged in as a demo account (its session and CSRF header); close it."""
    from service.demo.accounts import DEMO_PASSWORD

    http = httpx.AsyncClient(base_url=base, timeout=20)
    answer = await http.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http


async def all_items(http: httpx.AsyncClient, path: str) -> list[dict]:
    """Every item of a paged API list."""
    items, offset = [], 0
    while True:
        page = (await http.get(path, params={"limit": 100, "offset": offset})).json()
        items += page["items"]
        offset += 100
        if offset >= page["total"]:
            return items


async def model_order(worker: httpx.AsyncClient, volunteer: httpx.AsyncClient):
    """(an order of the worker's the volunteer accepted on their own, the volunteer's accepted
    offers): a place, skills and hours a new order can copy so the volunteer may take it."""
    mine = {o["id"]: o for o in await all_items(worker, "/api/v1/orders")}
    held = [o for o in await all_items(volunteer, "/api/v1/offers") if o["status"] == "accepted"]
    model = next(mine[o["order_id"]] for o in held if o["order_id"] in mine and not o["team_id"])
    return model, held
