"""The desk's journey in one go, in a real browser: a resident's demand becomes a dispatched
order and the first acceptance appears on the worker's page by itself — and the live page
survives a server restart.

The other legs of the journey have their own browser tests on the same demo server:
completion with attendance and ratings (test_desk_activity.py), the coordinator's one-click
fix of a stuck order (test_desk_queue.py), the team leader on a phone (test_desk_team.py).
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import expect

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import (
    _free_port,
    assert_accessible,
    open_tab,
    screenshot,
    start_server,
    stop_server,
)

PHONES = dict(DEMO_LOGINS)
SHANGHAI = ZoneInfo("Asia/Shanghai")
COUNT = "#candidate-preview [data-count]"


async def _log_in(tab, base: str, phone: str) -> None:
    await tab.goto(f"{base}/login")
    await tab.fill("input[name=phone]", phone)
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.locator("main button[type=submit]").click()
    await tab.wait_for_load_state("networkidle")


@contextmanager
def _api(base: str, phone: str) -> Iterator[httpx.Client]:
    """A JSON API client logged in as ``phone`` (a session, as a phone app would hold)."""
    with httpx.Client(base_url=base, timeout=20) as client:
        answer = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
        assert answer.status_code == 200, answer.text
        client.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        yield client


def _phone_of_volunteer(database_url: str, volunteer_id: int) -> str:
    """The test reads the server's database file directly: it plays the volunteer's phone."""
    path = database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as db:
        (phone,) = db.execute(
            "SELECT users.phone FROM volunteers JOIN users ON users.id = volunteers.user_id "
            "WHERE volunteers.id = ?",
            (volunteer_id,),
        ).fetchone()
    return phone


def _far_saturday():
    """A Saturday about ten weeks ahead: far from the days other browser tests fill (the team
    test staffs the next few weeks), since this test makes a volunteer accept."""
    day = (datetime.now(SHANGHAI) + timedelta(weeks=10)).date()
    return day + timedelta(days=(5 - day.weekday()) % 7)


def _submit_demand(base: str, community_id: int, skill_id: int, topic: str) -> None:
    with httpx.Client(base_url=base) as client:
        answer = client.post(
            "/api/v1/demands",
            json={
                "community_id": community_id,
                "topic": topic,
                "target_group": "elderly",
                "skill_id": skill_id,
                "description": "楼里老人多，想学遇到有人倒下怎么办。",
                "contact_name": "赵阿姨",
                "contact_phone": "13912340777",
            },
        )
        assert answer.status_code == 201, answer.text


async def _accept_first_offer(base: str, database_url: str, order_id: int) -> None:
    """One of the volunteers the order was offered to accepts it, from their phone (the API)."""
    with _api(base, PHONES["worker"]) as worker:
        offers = worker.get(f"/api/v1/orders/{order_id}/offers").json()
    offered = [offer for offer in offers if offer["status"] == "offered"]
    assert offered, offers
    phone = _phone_of_volunteer(database_url, offered[0]["volunteer_id"])
    with _api(base, phone) as volunteer:
        answer = volunteer.post(f"/api/v1/offers/{offered[0]['id']}/accept")
        assert answer.status_code == 200, answer.text


async def test_a_demand_becomes_targeted_offers_and_the_acceptance_shows_live(
    browser, live_server, demo_database
):
    topic = f"老年人心肺复苏课（旅程{uuid.uuid4().hex[:6]}）"
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server, PHONES["worker"])
        await expect(tab.locator("h1")).to_have_text("今日工作台")
        await screenshot(tab, "journey-01-desk")

        # A resident's demand arrives (the public demand form's API) and is in the inbox.
        await tab.goto(f"{live_server}/desk/orders/new")
        community = int(await tab.locator("#community option[selected]").get_attribute("value"))
        box = tab.locator(".skill-choice", has_text="心肺复苏").locator("input")
        _submit_demand(live_server, community, int(await box.get_attribute("value")), topic)
        await tab.goto(f"{live_server}/desk/demands")
        await tab.fill("#filter-q", topic)
        await tab.press("#filter-q", "Enter")
        card = tab.locator("article.demand-card", has=tab.locator("h3", has_text=topic))
        await expect(card).to_have_count(1)
        await screenshot(tab, "journey-02-inbox")
        await assert_accessible(tab)

        # Adopt: the order form, filled in from the demand, previews its candidates.
        await card.get_by_role("button", name="采纳，新建活动").click()
        await tab.wait_for_url(re.compile(r"/desk/orders/new\?demand_id=\d+"))
        await expect(tab.locator("#title")).to_have_value(topic)
        await tab.wait_for_selector(COUNT, timeout=15_000)
        assert int(await tab.locator(COUNT).get_attribute("data-count")) > 0
        await tab.fill("#date", _far_saturday().isoformat())
        await tab.locator("input[name=dispatch_mode][value=targeted]").check()
        await tab.fill("#slots", "2")
        await screenshot(tab, "journey-03-order-form")
        await assert_accessible(tab)

        # Create and dispatch: offers go to the best matches; the order page listens.
        await tab.get_by_role("button", name="创建并派单").click()
        await tab.wait_for_url(re.compile(r"/desk/orders/(\d+)$"), timeout=15_000)
        order_id = int(re.search(r"/desk/orders/(\d+)$", tab.url).group(1))
        summary = tab.locator("#order-summary")
        await expect(summary).to_contain_text("已派单")
        await expect(summary).to_contain_text("已接单 0 / 2 人")
        await screenshot(tab, "journey-04-dispatched")
        await tab.evaluate("window.__notReloaded = true")

        await _accept_first_offer(live_server, demo_database, order_id)

        await expect(summary).to_contain_text("已接单 1 / 2 人", timeout=10_000)
        await expect(tab.locator("#offers")).to_contain_text("已接单的志愿者", timeout=10_000)
        assert await tab.evaluate("window.__notReloaded === true")
        await screenshot(tab, "journey-05-accepted-live")
        await assert_accessible(tab)


async def test_the_live_order_page_reconnects_after_a_server_restart(browser, demo_database):
    """The stream's server goes away and comes back on the same address; the page notices an
    acceptance made after the restart without anyone reloading it."""
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(demo_database, port)
    try:
        with _api(base, PHONES["worker"]) as worker:
            created = worker.post(
                "/api/v1/orders",
                json=_order_like_the_demo(worker, title="重启测试：社区急救课"),
            )
            assert created.status_code == 201, created.text
            order_id = created.json()["id"]
            published = worker.post(f"/api/v1/orders/{order_id}/publish", json={})
            assert published.status_code == 200, published.text
        async with open_tab(browser, base, "desk") as tab:
            await _log_in(tab, base, PHONES["worker"])
            await tab.goto(f"{base}/desk/orders/{order_id}")
            summary = tab.locator("#order-summary")
            await expect(summary).to_contain_text("已接单 0 / 2 人")
            await tab.evaluate("window.__notReloaded = true")

            stop_server(server)
            server = start_server(demo_database, port)

            await _accept_first_offer(base, demo_database, order_id)
            # The stream reconnects by itself; the 30 s poll is the fallback, so 20 s proves SSE.
            await expect(summary).to_contain_text("已接单 1 / 2 人", timeout=20_000)
            assert await tab.evaluate("window.__notReloaded === true")
            await screenshot(tab, "journey-06-after-restart")
            # While the server was down the SSE extension logged each failed reconnect as an
            # error event ("[object Event]"): expected here, and nothing else may be logged.
            outage = [entry for entry in tab.console_errors if entry == "[object Event]"]
            assert 1 <= len(outage) <= 30  # the extension backs off; a storm would be hundreds
            tab.console_errors[:] = [e for e in tab.console_errors if e != "[object Event]"]
    finally:
        stop_server(server)


def _order_like_the_demo(worker: httpx.Client, *, title: str) -> dict:
    """A targeted order in the worker's community, at the place and with the skills of one of
    its demo orders."""
    model = worker.get("/api/v1/orders", params={"limit": 1}).json()["items"][0]
    day = _far_saturday()
    # A Saturday afternoon in Shanghai, when most demo volunteers are free.
    starts = datetime(day.year, day.month, day.day, 15, tzinfo=SHANGHAI).astimezone(UTC)
    return {
        "title": title,
        "community_id": model["community_id"],
        "venue_name": model["venue_name"],
        "venue_address": model["venue_address"],
        "lat": model["venue_lat"],
        "lng": model["venue_lng"],
        "coord_system": "wgs84",
        "skill_ids": model["skill_ids"],
        "target_group": "elderly",
        "starts_at": starts.isoformat(),
        "ends_at": (starts + timedelta(hours=2)).isoformat(),
        "slots": 2,
        "dispatch_mode": "targeted",
        "max_distance_km": 10,
    }
