"""The demo volunteer (13800000004) on a small phone (360×740): lands on 我的志愿, sees two
invitations, accepts one, declines the other with a tapped reason, takes an open order from
附近可接, finds the activities in 我的日程, turns on the calendar feed and fetches it.

Setup: the demo worker makes three orders through the JSON API at the place and with the skills
of an activity the volunteer already did, twelve weeks and more ahead (other browser tests use
ten weeks at most), titles unique to the run. The two invitations are targeted: while the
demo volunteer is not among those asked, the worker withdraws the others' invitations and the
cascade asks the next best (the demo volunteer is free every day and lives nearby).
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from icalendar import Calendar

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)
RUN = uuid.uuid4().hex[:4]
ACCEPT = f"手机课堂·防诈骗{RUN}"
DECLINE = f"急救体验课{RUN}"
OPEN = f"社区健康讲座{RUN}"
REASON = "那天有别的事"


async def _api_login(http: httpx.AsyncClient, role: str) -> dict:
    response = await http.post(
        "/api/v1/auth/login", json={"phone": PHONES[role], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _cpr_skill_id(database_url: str) -> int:
    """The id of 心肺复苏, one of the demo volunteer's skills (the API lists no skills)."""
    path = database_url.split(":///", 1)[1]
    with sqlite3.connect(path) as db:
        return db.execute("SELECT id FROM skills WHERE name = '心肺复苏'").fetchone()[0]


async def _model_order(worker: httpx.AsyncClient, volunteer: httpx.AsyncClient) -> dict:
    """An order of the worker's community the demo volunteer was offered: its place suits them."""
    mine = (await volunteer.get("/api/v1/offers", params={"limit": 100})).json()["items"]
    for offer in mine:
        order = await worker.get(f"/api/v1/orders/{offer['order_id']}")
        if order.status_code == 200:
            return order.json()
    raise AssertionError("the demo volunteer has no offer in the demo worker's community")


def _body(model: dict, *, title: str, days: int, mode: str, skill_id: int) -> dict:
    today = datetime.now(UTC).replace(hour=6, minute=0, second=0, microsecond=0)  # 14:00 Shanghai
    begin = today + timedelta(days=days)
    body = {
        "title": title,
        "description": "请志愿者给居民讲一讲，带上身份证。",
        "community_id": model["community_id"],
        "target_group": model["target_group"],
        "venue_id": model["venue_id"],
        "starts_at": begin.isoformat(),
        "ends_at": (begin + timedelta(minutes=90)).isoformat(),
        "accept_deadline": (begin - timedelta(days=1)).isoformat(),
        "slots": 1,
        "dispatch_mode": mode,
        "skill_ids": [skill_id],
    }
    if model["venue_id"] is None:
        body.update(lat=model["venue_lat"], lng=model["venue_lng"])
    return body


async def _publish(http: httpx.AsyncClient, csrf: dict, body: dict) -> int:
    draft = await http.post("/api/v1/orders", json=body, headers=csrf)
    assert draft.status_code == 201, draft.text
    order_id = draft.json()["id"]
    published = await http.post(f"/api/v1/orders/{order_id}/publish", json={}, headers=csrf)
    assert published.status_code == 200, published.text
    return order_id


async def _invite_demo_volunteer(worker, csrf, volunteer, order_id: int) -> None:
    """Withdraw the others' invitations until the cascade reaches the demo volunteer."""
    for _ in range(30):
        mine = (await volunteer.get("/api/v1/offers", params={"status": "offered"})).json()
        if any(o["order_id"] == order_id for o in mine["items"]):
            return
        offers = (await worker.get(f"/api/v1/orders/{order_id}/offers")).json()
        waiting = [o for o in offers if o["status"] == "offered"]
        if not waiting:
            order = (await worker.get(f"/api/v1/orders/{order_id}")).json()
            raise AssertionError(f"the cascade ran out of candidates: {offers} {order}")
        for offer in waiting:
            withdrawn = await worker.post(
                f"/api/v1/orders/{order_id}/offers/{offer['id']}/withdraw",
                json={"reason": "测试：换一位志愿者"},
                headers=csrf,
            )
            assert withdrawn.status_code == 200, withdrawn.text
    raise AssertionError("the demo volunteer was never invited")


async def _set_up(base: str, skill_id: int) -> dict[str, int]:
    async with (
        httpx.AsyncClient(base_url=base) as worker,
        httpx.AsyncClient(base_url=base) as volunteer,
    ):
        csrf = await _api_login(worker, "worker")
        await _api_login(volunteer, "volunteer")
        model = await _model_order(worker, volunteer)
        ids = {}
        for title, days, mode in ((ACCEPT, 84, "targeted"), (DECLINE, 86, "targeted")):
            ids[title] = await _publish(
                worker, csrf, _body(model, title=title, days=days, mode=mode, skill_id=skill_id)
            )
            await _invite_demo_volunteer(worker, csrf, volunteer, ids[title])
        ids[OPEN] = await _publish(
            worker, csrf, _body(model, title=OPEN, days=88, mode="open", skill_id=skill_id)
        )
    return ids


async def _log_in(tab, base: str) -> None:
    await tab.goto(f"{base}/login?next=/start")
    await tab.fill("input[name=phone]", PHONES["volunteer"])
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.locator("main button[type=submit]").click()
    await tab.wait_for_load_state("networkidle")


def _card(tab, title: str):
    return tab.locator("article.vol-card").filter(has=tab.get_by_role("heading", name=title))


async def _check(tab, name: str) -> None:
    """Nothing wider than the phone, a screenshot to look at, no serious axe finding."""
    width = await tab.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, f"{name}: the page is {width}px wide on a 360px phone"
    await screenshot(tab, name)
    await assert_accessible(tab)


async def test_a_volunteer_answers_invitations_and_plans_on_a_small_phone(
    browser, live_server, demo_database
):
    await _set_up(live_server, _cpr_skill_id(demo_database))
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server)
        assert tab.url.endswith("/v")  # the volunteer's landing page
        assert await tab.locator("h1").inner_text() == "我的志愿"
        assert await _card(tab, ACCEPT).count() == 1 and await _card(tab, DECLINE).count() == 1
        await _check(tab, "volunteer-home")

        # 1. Accept one invitation: its page says so, with the way to the day's plan.
        await _card(tab, ACCEPT).get_by_role("button", name="我能去，接受").click()
        await tab.wait_for_load_state("networkidle")
        assert "/v/offers/" in tab.url and tab.url.endswith("?done=accepted")
        assert "已接受" in await tab.locator("p.notice.ok").inner_text()
        assert "状态：已接单" in await tab.locator("main").inner_text()
        await _check(tab, "volunteer-accepted")

        # 2. Decline the other with a tapped reason (the form opens beneath the button).
        await tab.get_by_role("link", name="返回我的志愿").click()
        await tab.wait_for_load_state("networkidle")
        card = _card(tab, DECLINE)
        await card.get_by_role("button", name="去不了，婉拒").click()
        await card.get_by_label(REASON).check()
        await card.scroll_into_view_if_needed()
        await _check(tab, "volunteer-decline-form")
        await card.get_by_role("button", name="确认婉拒").click()
        await tab.wait_for_load_state("networkidle")
        assert tab.url.endswith("/v?done=declined")
        assert "已婉拒" in await tab.locator("p.notice.ok").inner_text()
        assert await _card(tab, DECLINE).count() == 0
        await _check(tab, "volunteer-declined")

        # 3. 附近可接: the open order, the distance as a band; take it.
        await tab.get_by_role("link", name="附近可接", exact=True).click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "附近可接"
        open_card = _card(tab, OPEN)
        assert await open_card.count() == 1
        assert "公里" in await open_card.inner_text()
        await open_card.scroll_into_view_if_needed()
        await _check(tab, "volunteer-nearby")
        await open_card.get_by_role("button", name="我来接这个活动").click()
        await tab.wait_for_load_state("networkidle")
        assert "已接受" in await tab.locator("p.notice.ok").inner_text()
        await _check(tab, "volunteer-nearby-taken")

        # 4. 我的日程: both activities, by day.
        await tab.get_by_role("link", name="我的日程", exact=True).click()
        await tab.wait_for_load_state("networkidle")
        main = await tab.locator("main").inner_text()
        assert ACCEPT in main and OPEN in main and DECLINE not in main
        await _check(tab, "volunteer-schedule")

        # 5. The calendar feed: turned on, its address shown once, and it works.
        await tab.get_by_role("button", name="把活动放进手机日历").click()
        await tab.wait_for_load_state("networkidle")
        await tab.get_by_role("button", name="开通日历订阅").click()
        await tab.wait_for_load_state("networkidle")
        address = await tab.get_by_label("我的日历地址").input_value()
        assert "/calendar/" in address and address.endswith(".ics")
        await _check(tab, "volunteer-calendar")

        # 6. The home page in the 大字 display: still one column, nothing cut off.
        await tab.goto(f"{live_server}/v")
        await tab.get_by_role("button", name="大字模式").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.evaluate("document.documentElement.classList.contains('large-text')")
        await _check(tab, "volunteer-home-large-text")

    path = "/calendar/" + address.split("/calendar/", 1)[1]
    async with httpx.AsyncClient(base_url=live_server) as anonymous:
        feed = await anonymous.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    titles = {str(e["summary"]) for e in Calendar.from_ical(feed.content).walk("VEVENT")}
    assert {ACCEPT, OPEN} <= titles and DECLINE not in titles
