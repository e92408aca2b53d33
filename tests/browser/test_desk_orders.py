"""The community worker's desk in a real browser: today's desk, my orders, and the order page
whose offers update live when a volunteer accepts (no reload).

The order is the test's own: created and dispatched (open mode) through the JSON API as the demo
worker, in the demo worker's community, with the skills of an order the demo volunteer already
serves, on a day the volunteer is free — so other browser tests cannot change what it shows.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import expect

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import (
    api_client,
    assert_accessible,
    log_in,
    model_order,
    open_tab,
    screenshot,
)

PHONES = dict(DEMO_LOGINS)
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Unique per run: other browser tests on the shared demo server make orders of their own.
TITLE = f"浏览器测试：社区心肺复苏体验课（{uuid.uuid4().hex[:4]}）"


async def _dispatch_an_order_the_volunteer_can_take(base: str) -> tuple[int, httpx.AsyncClient]:
    """(order id, the volunteer's API client): an open order in the worker's community."""
    worker = await api_client(base, PHONES["worker"])
    volunteer = await api_client(base, PHONES["volunteer"])
    model, held = await model_order(worker, volunteer)
    busy = {datetime.fromisoformat(o["order_starts_at"]).astimezone(SHANGHAI).date() for o in held}
    today = datetime.now(SHANGHAI).date()
    day = next(
        today + timedelta(days=n) for n in range(30, 90) if today + timedelta(days=n) not in busy
    )
    starts = datetime(day.year, day.month, day.day, 15, 0, tzinfo=SHANGHAI).astimezone(UTC)
    created = await worker.post(
        "/api/v1/orders",
        json={
            "title": TITLE,
            "description": "学习胸外按压和 AED 使用，现场练习。",
            "community_id": model["community_id"],
            "venue_id": model["venue_id"],
            "target_group": "elderly",
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=1)).isoformat(),
            "slots": 2,
            "dispatch_mode": "open",
            "skill_ids": model["skill_ids"],
        },
    )
    assert created.status_code == 201, created.text
    order_id = created.json()["id"]
    published = await worker.post(f"/api/v1/orders/{order_id}/publish", json={})
    assert published.status_code == 200, published.text
    await worker.aclose()
    return order_id, volunteer


async def test_the_worker_follows_an_acceptance_live_on_the_order_page(browser, live_server):
    order_id, volunteer = await _dispatch_an_order_the_volunteer_can_take(live_server)
    async with open_tab(browser, live_server, "desk") as tab:
        # Login lands on today's desk.
        await log_in(tab, live_server, PHONES["worker"])
        assert tab.url.endswith("/desk"), tab.url
        await expect(tab.locator("h1")).to_have_text("今日工作台")
        await expect(tab.get_by_role("button", name="新建活动").first).to_be_visible()
        await screenshot(tab, "desk-today")
        await assert_accessible(tab)

        # My orders: find the order by its title and open it.
        await (
            tab.get_by_role("navigation", name="主导航")
            .get_by_role("link", name="我的活动")
            .click()
        )
        await tab.wait_for_load_state("load")
        await expect(tab.locator("h1")).to_have_text("我的活动")
        await screenshot(tab, "desk-orders")
        await assert_accessible(tab)
        await tab.get_by_label("活动名称或地点").fill(TITLE)
        await tab.get_by_role("button", name="筛选").click()
        await tab.wait_for_load_state("load")
        await expect(tab.locator("tbody tr")).to_have_count(1)
        await screenshot(tab, "desk-orders-filtered")
        await tab.get_by_role("link", name=TITLE).first.click()
        await tab.wait_for_url(f"**/desk/orders/{order_id}")

        # The order page, listening: nobody has accepted yet.
        await expect(tab.locator("h1")).to_have_text(TITLE)
        summary = tab.locator("#order-summary")
        await expect(summary).to_contain_text("已派单")
        await expect(summary).to_contain_text("已接单 0 / 2 人")
        offers = tab.locator("#offers")
        await expect(offers).to_contain_text("开放接单中")
        await screenshot(tab, "desk-order-waiting")
        await assert_accessible(tab)
        await tab.evaluate("window.__notReloaded = true")

        # A volunteer accepts elsewhere (their phone, through the API) …
        accepted = await volunteer.post(f"/api/v1/orders/{order_id}/accept")
        assert accepted.status_code == 200, accepted.text
        await volunteer.aclose()

        # … and the worker's page shows it within seconds, without a reload.
        await expect(summary).to_contain_text("已接单 1 / 2 人", timeout=8000)
        await expect(offers).to_contain_text("已接单的志愿者", timeout=8000)
        await expect(offers.locator(".offer-accepted strong")).to_have_text(re.compile(r"^李\*+$"))
        await expect(tab.locator("#timeline")).to_contain_text("接单", timeout=8000)
        assert await tab.evaluate("window.__notReloaded === true")
        await screenshot(tab, "desk-order-accepted-live")
        await assert_accessible(tab)

        # The full number, in place, and the page says the look is recorded.
        await expect(offers).to_contain_text("查看完整号码会记入操作日志")
        await offers.get_by_role("button", name=re.compile("完整手机号")).click()
        await expect(offers.locator(".reveal .phone")).to_have_text(PHONES["volunteer"])
        await screenshot(tab, "desk-order-phone-revealed")

        # Cancelling takes a confirmation step that says who will be told.
        await tab.get_by_role("button", name="取消活动").click()
        await tab.wait_for_url(f"**/desk/orders/{order_id}/cancel")
        await expect(tab.locator("h1")).to_contain_text("确定要取消")
        await expect(tab.locator("main")).to_contain_text("已接单的 1 位志愿者")
        await expect(tab.locator("main")).not_to_contain_text("等待回复的 0 位")  # no empty part
        await screenshot(tab, "desk-order-cancel-confirm")
        await assert_accessible(tab)
        await tab.get_by_label("取消原因（志愿者会看到）").fill("浏览器测试结束，取消活动")
        await tab.get_by_role("button", name="确认取消活动并通知志愿者").click()
        await tab.wait_for_url(f"**/desk/orders/{order_id}")
        await expect(tab.locator("#order-summary")).to_contain_text("已取消")
        await expect(tab.locator("#timeline")).to_contain_text("取消了活动")
        await screenshot(tab, "desk-order-cancelled")
        await assert_accessible(tab)


async def test_the_order_page_on_a_small_phone(browser, live_server):
    async with open_tab(browser, live_server, "small-phone") as tab:
        await log_in(tab, live_server, PHONES["worker"])
        await screenshot(tab, "desk-today")
        await assert_accessible(tab)
        await tab.goto(f"{live_server}/desk/orders")
        await screenshot(tab, "desk-orders")
        await assert_accessible(tab)
        await tab.locator("tbody a").first.click()
        await tab.wait_for_load_state("load")
        assert re.search(r"/desk/orders/\d+$", tab.url)
        # Nothing is wider than the screen.
        assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await screenshot(tab, "desk-order")
        await assert_accessible(tab)


async def test_the_desk_in_english(browser, live_server):
    async with open_tab(browser, live_server, "desk", locale="en-US") as tab:
        await tab.context.set_extra_http_headers({"Accept-Language": "en"})
        await log_in(tab, live_server, PHONES["worker"])
        await expect(tab.locator("h1")).to_have_text("Today")
        await screenshot(tab, "desk-today-en")
        await assert_accessible(tab)
        await tab.goto(f"{live_server}/desk/orders")
        await tab.locator("tbody a").first.click()
        await tab.wait_for_load_state("load")
        await expect(tab.locator("#timeline h2")).to_have_text("History")
        await screenshot(tab, "desk-order-en")
        await assert_accessible(tab)
