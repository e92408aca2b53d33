"""The activity day on a small phone (360×740), as the demo volunteer: 签到 with the phone's
location near the venue, 签退; a second activity checked in with no signal (kept on the phone,
sent when back online); a third with the venue code the worker reads out (a wrong one first);
then my hours and my ratings. Every step screenshotted, nothing wider than the screen, no
serious accessibility finding.

The activities are made through the JSON API as the demo worker (unique titles, starting in a
few minutes so check-in is open) and accepted by the demo volunteer; each is confirmed as
completed (it may be, once everyone who checked in has checked out) before the next is made, so
the volunteer never holds two overlapping activities.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from playwright.async_api import expect

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)
RUN = uuid.uuid4().hex[:4]


async def _api_login(base: str, phone: str) -> httpx.AsyncClient:
    http = httpx.AsyncClient(base_url=base, timeout=20)
    answer = await http.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    assert answer.status_code == 200, answer.text
    http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
    return http


async def _all(http: httpx.AsyncClient, path: str) -> list[dict]:
    items, offset = [], 0
    while True:
        page = (await http.get(path, params={"limit": 100, "offset": offset})).json()
        items += page["items"]
        offset += 100
        if offset >= page["total"]:
            return items


async def _activity_starting_soon(worker, volunteer, title: str) -> tuple[dict, int]:
    """(the order, my offer id): an open activity in the worker's community, accepted by the
    volunteer, whose check-in is open now; a start that clashes with the volunteer's other
    commitments is skipped (the demo data and other browser tests hold some)."""
    mine = {o["id"]: o for o in await _all(worker, "/api/v1/orders")}
    held = [o for o in await _all(volunteer, "/api/v1/offers") if o["status"] == "accepted"]
    model = next(mine[o["order_id"]] for o in held if o["order_id"] in mine and not o["team_id"])
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    for minutes in (10, 25, 0, -20):
        starts = now + timedelta(minutes=minutes)
        created = await worker.post(
            "/api/v1/orders",
            json={
                "title": title,
                "description": "教大家认出冒充客服、冒充公检法的电话，现场练习。",
                "community_id": model["community_id"],
                "venue_id": model["venue_id"],
                "target_group": "elderly",
                "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=90)).isoformat(),
                "slots": 1,
                "dispatch_mode": "open",
                "skill_ids": model["skill_ids"],
            },
        )
        assert created.status_code == 201, created.text
        order = created.json()
        published = await worker.post(f"/api/v1/orders/{order['id']}/publish", json={})
        assert published.status_code == 200, published.text
        accepted = await volunteer.post(f"/api/v1/orders/{order['id']}/accept")
        if accepted.status_code == 200:
            return order, accepted.json()["id"]
        await worker.post(
            f"/api/v1/orders/{order['id']}/cancel", json={"reason": "浏览器测试换个时间"}
        )
    raise AssertionError("the demo volunteer is busy at every start tried")


async def _complete(worker, order_id: int, volunteer_id: int, stars: int, comment: str) -> None:
    done = await worker.post(f"/api/v1/orders/{order_id}/completion", json={"rating_codes": 0})
    assert done.status_code == 200, done.text
    rated = await worker.post(
        f"/api/v1/orders/{order_id}/volunteer-ratings",
        json={"volunteer_id": volunteer_id, "stars": stars, "comment": comment},
    )
    assert rated.status_code == 201, rated.text


async def _log_in(tab, base: str, phone: str) -> None:
    await tab.goto(f"{base}/login")
    await tab.fill("input[name=phone]", phone)
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.click("main button[type=submit]")
    await tab.wait_for_load_state("load")


async def _check(tab, name: str) -> None:
    await screenshot(tab, name)
    assert await tab.evaluate("document.documentElement.scrollWidth") <= 360
    await assert_accessible(tab)


async def test_a_volunteer_checks_in_and_out_on_a_small_phone(browser, live_server):
    worker = await _api_login(live_server, PHONES["worker"])
    volunteer = await _api_login(live_server, PHONES["volunteer"])
    try:
        async with open_tab(browser, live_server, "small-phone") as tab:
            await _log_in(tab, live_server, PHONES["volunteer"])
            await _with_location(tab, worker, volunteer, live_server)
            await _offline(tab, worker, volunteer, live_server)
            await _with_the_venue_code(tab, worker, volunteer, live_server)
            await _hours_and_ratings(tab, live_server)
    finally:
        await worker.aclose()
        await volunteer.aclose()


async def _with_location(tab, worker, volunteer, base) -> None:
    title = f"浏览器测试：防诈骗讲座 签到（{RUN}）"
    order, offer_id = await _activity_starting_soon(worker, volunteer, title)
    await tab.context.grant_permissions(["geolocation"], origin=base)
    await tab.context.set_geolocation(
        {"latitude": order["venue_lat"] + 0.0005, "longitude": order["venue_lng"]}
    )
    await tab.goto(f"{base}/v/activities/{offer_id}")
    await expect(tab.locator("h1")).to_have_text(title)
    await expect(tab.locator(".checkin-state")).to_have_text("还没签到")
    await _check(tab, "volunteer-day-before")
    await tab.get_by_role("button", name="签到", exact=True).click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_in")
    await expect(tab.locator(".checkin-notice.ok")).to_have_text("签到成功！")
    await expect(tab.locator(".checkin-state")).to_contain_text("已签到")
    await _check(tab, "volunteer-day-checked-in")
    await tab.get_by_role("button", name="签退", exact=True).click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_out")
    await expect(tab.locator(".checkin-state")).to_contain_text("已签退")
    await _check(tab, "volunteer-day-checked-out")
    await _complete(
        worker, order["id"], await _volunteer_id(volunteer), 5, "讲得清楚，老人都听懂了"
    )


async def _volunteer_id(volunteer) -> int:
    offers = await _all(volunteer, "/api/v1/offers")
    return offers[0]["volunteer_id"]


async def _offline(tab, worker, volunteer, base) -> None:
    title = f"浏览器测试：智能手机课 离线签到（{RUN}）"
    order, offer_id = await _activity_starting_soon(worker, volunteer, title)
    await tab.goto(f"{base}/v/activities/{offer_id}")
    await tab.context.set_offline(True)
    await tab.get_by_role("button", name="签到", exact=True).click()
    queued = tab.locator("#checkin-queued")
    await expect(queued).to_be_visible()
    await expect(queued).to_have_text("已记下，联网后会自动发送")
    await _check(tab, "volunteer-day-offline-kept")
    await tab.context.set_offline(False)
    # Back online: the kept check-in is sent by itself, and the page shows it counted.
    await expect(tab.locator(".checkin-state")).to_contain_text("已签到", timeout=10000)
    assert await tab.evaluate("localStorage.getItem('kepu.checkin.queue')") == "[]"
    await _check(tab, "volunteer-day-offline-sent")
    await tab.get_by_role("button", name="签退", exact=True).click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_out")
    await _complete(worker, order["id"], await _volunteer_id(volunteer), 4, "准时到场")


async def _with_the_venue_code(tab, worker, volunteer, base) -> None:
    title = f"浏览器测试：急救体验课 签到码（{RUN}）"
    order, offer_id = await _activity_starting_soon(worker, volunteer, title)
    await tab.context.clear_permissions()  # a basement hall: the phone cannot locate itself
    # The worker reads the code off the attendance page.
    sheet = await worker.get(f"/desk/orders/{order['id']}/complete")
    code = re.search(r'class="venue-code">(\d{4})<', sheet.text).group(1)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    await tab.goto(f"{base}/v/activities/{offer_id}")
    field = tab.get_by_label("签到码（问社区工作者，4 位数字）")
    await field.fill(wrong)
    await tab.get_by_role("button", name="用签到码签到").click()
    await expect(tab.locator("#venue-code-error")).to_contain_text("签到码不对")
    await expect(field).to_be_focused()
    await _check(tab, "volunteer-day-wrong-code")
    await field.fill(code)
    await tab.get_by_role("button", name="用签到码签到").click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_in")
    await expect(tab.locator(".checkin-state")).to_contain_text("已签到")
    await _check(tab, "volunteer-day-code-checked-in")
    await tab.get_by_role("button", name="签退", exact=True).click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_out")


async def _hours_and_ratings(tab, base) -> None:
    await tab.goto(f"{base}/v/hours")
    await expect(tab.locator("h1")).to_have_text("我的服务时长")
    await expect(tab.locator("main")).to_contain_text(f"防诈骗讲座 签到（{RUN}）")
    await _check(tab, "volunteer-hours")
    await tab.goto(f"{base}/v/ratings")
    await expect(tab.locator("h1")).to_have_text("我的评价")
    await expect(tab.locator("main")).to_contain_text("讲得清楚，老人都听懂了")
    await _check(tab, "volunteer-ratings")
