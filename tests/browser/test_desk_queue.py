"""The coordinator's stuck-order queue in a real browser: land on it after login, see a stuck
order with its fixes and what each gains, widen the distance and see the result."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import SCREENSHOTS, assert_accessible, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)


async def _stuck_order(base: str) -> tuple[int, str]:
    """As the demo community worker, through the JSON API: an order nobody can take (its
    distance is 0.1 km, so no volunteer lives close enough), which the cascade queues at once.
    Skill and venue are copied from the worker's own orders, picked so that volunteers live
    within 3 km: widening gains someone."""
    async with httpx.AsyncClient(base_url=base) as api:
        login = await api.post(
            "/api/v1/auth/login", json={"phone": PHONES["worker"], "password": DEMO_PASSWORD}
        )
        headers = {"X-CSRF-Token": login.json()["csrf_token"]}
        grants = (await api.get("/api/v1/me")).json()["grants"]
        community = next(g["area_id"] for g in grants if g["role"] == "worker")
        mine = await api.get("/api/v1/orders", params={"community_id": community, "limit": 100})
        start = (datetime.now(UTC) + timedelta(days=6)).replace(
            hour=6, minute=30, second=0, microsecond=0
        )
        window = {
            "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=2)).isoformat(),
        }
        title = f"老年人防范电信诈骗讲座（第{uuid.uuid4().int % 90 + 10}期）"
        tried = set()
        for model in mine.json()["items"]:
            key = (model["venue_id"], tuple(model["skill_ids"]))
            if not model["venue_id"] or not model["skill_ids"] or key in tried:
                continue
            tried.add(key)
            place = {"community_id": community, "venue_id": model["venue_id"],
                     "skill_ids": model["skill_ids"], **window}  # fmt: skip
            near = await api.post(
                "/api/v1/orders/preview", headers=headers, json={**place, "max_distance_km": 3}
            )
            if near.status_code != 200 or near.json()["count"] < 2:
                continue
            draft = await api.post(
                "/api/v1/orders",
                headers=headers,
                json={**place, "title": title, "target_group": "elderly", "slots": 1,
                      "max_distance_km": 0.1},
            )  # fmt: skip
            assert draft.status_code == 201, draft.text
            order = draft.json()["id"]
            published = await api.post(
                f"/api/v1/orders/{order}/publish",
                headers=headers,
                json={"dispatch_mode": "targeted"},
            )
            assert published.status_code == 200, published.text
            if published.json()["needs_attention_at"]:
                return order, title
            # Someone lives within 100 m after all: take it back, try another place.
            await api.post(
                f"/api/v1/orders/{order}/cancel", headers=headers, json={"reason": "测试"}
            )
    raise AssertionError("no venue of the demo worker has volunteers within 3 km")


async def _log_in(tab, base: str) -> None:
    """Log in on the login page without a `next`: the person lands where their role starts."""
    await tab.goto(f"{base}/login")
    await tab.fill("input[name=phone]", PHONES["coordinator"])
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.locator("main").get_by_role("button", name="登录").click()
    await tab.wait_for_load_state("networkidle")


async def test_the_coordinator_widens_a_stuck_orders_distance(browser, live_server):
    order_id, title = await _stuck_order(live_server)
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server)
        assert tab.url.endswith("/desk/queue"), tab.url  # the coordinator's landing page
        assert await tab.locator("h1").inner_text() == "待处理队列"
        card = tab.locator(f"#queue-item-{order_id}")
        await card.scroll_into_view_if_needed()
        text = await card.inner_text()
        assert title in text and "为什么卡住" in text and "0.1 公里以内" in text
        gains = {
            int(km): int(n) for km, n in re.findall(r"扩大到 (\d+) 公里\s*多 (\d+) 位候选人", text)
        }
        assert gains and max(gains.values()) >= 1, text
        await screenshot(tab, "queue")
        await card.screenshot(path=str(SCREENSHOTS / "queue-item-desk.png"))
        await assert_accessible(tab)

        km = max(gains, key=lambda k: (gains[k], -k))  # the smallest widening that gains most
        await card.get_by_role("button", name=f"扩大到 {km} 公里", exact=True).click()
        await tab.wait_for_load_state("networkidle")
        assert f"/desk/queue/{order_id}/confirm" in tab.url
        confirm = await tab.locator("main").inner_text()
        assert f"把服务距离从 0.1 公里扩大到 {km} 公里" in confirm
        assert f"多 {gains[km]} 位候选人" in confirm  # the same gain, counted again
        await screenshot(tab, "queue-confirm")
        await assert_accessible(tab)

        await tab.get_by_role("button", name=f"确认扩大到 {km} 公里并重新派单").click()
        await tab.wait_for_load_state("networkidle")
        assert tab.url.endswith(f"/desk/queue/{order_id}/result")
        result = await tab.locator("main").inner_text()
        assert "已重新派单" in result and "它已离开待处理队列" in result, result
        assert f"{km} 公里以内" in result
        await screenshot(tab, "queue-result")
        await assert_accessible(tab)

        await tab.locator("main").get_by_role("link", name="返回待处理队列").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator(f"#queue-item-{order_id}").count() == 0


async def test_the_date_picker_counts_candidates_for_a_chosen_day(browser, live_server):
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server)
        picker = tab.locator("form.day-picker").first
        await picker.scroll_into_view_if_needed()
        day = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
        await picker.locator("input[name=day]").fill(day)
        await picker.locator("input[name=at]").fill("09:30")
        await picker.get_by_role("button", name="看看这天有几位候选人").click()
        result = picker.locator(".day-result")
        await result.get_by_text("可邀请").wait_for()  # swapped in by htmx, no page load
        assert "/desk/queue" in tab.url and "/day" not in tab.url
        assert re.search(r"可邀请 \d+ 位", await result.inner_text())
        await picker.screenshot(path=str(SCREENSHOTS / "queue-picker-desk.png"))
        await assert_accessible(tab)


async def test_the_queue_on_a_small_phone_and_in_english(browser, live_server):
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server)
        assert tab.url.endswith("/desk/queue")
        width = await tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px screen"
        await screenshot(tab, "queue")
        await assert_accessible(tab)
        await tab.get_by_role("button", name="English").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "Stuck orders"
        await screenshot(tab, "queue-en")
        await assert_accessible(tab)
        # The choice is saved on the account too: give the shared demo coordinator Chinese back.
        await tab.get_by_role("button", name="中文").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "待处理队列"
