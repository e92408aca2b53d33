"""The activity day on a small phone (360×740), as the demo volunteer: 签到 with the phone's
location near the venue, 签退; a second activity checked in with no signal (kept on the phone,
sent when back online); a third with the venue code the worker reads out (a wrong one first);
then my hours and my ratings. Every step screenshotted, nothing wider than the screen, no
serious accessibility finding.

The activities are made through the JSON API as the demo worker (unique titles, starting in a
few minutes so check-in is open) and accepted by the demo volunteer. Check-in must be open for
each, so they overlap one another; the API refuses such an acceptance (and, at night, one outside
the demo volunteer's weekly availability), so for those two reasons only the acceptance is
arranged in the live database as the API would leave it.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.async_api import expect
from sqlalchemy.ext.asyncio import create_async_engine

from service.demo.accounts import DEMO_LOGINS
from service.models import Offer, Order
from service.vocab import OfferStatus, OrderStatus
from tests.browser.conftest import (
    api_client,
    assert_accessible,
    log_in,
    model_order,
    open_tab,
    screenshot,
)

PHONES = dict(DEMO_LOGINS)
RUN = uuid.uuid4().hex[:4]
MADE: list[int] = []  # this run's activities: they overlap each other by design


@pytest.fixture
def live_database(live_server, tmp_path_factory) -> str:
    """The live server's SQLite file (the ``live_server`` fixture makes it under browser*/)."""
    [path] = tmp_path_factory.getbasetemp().glob("browser[0-9]*/browser.db")
    return f"sqlite+aiosqlite:///{path}"


async def _accept_outside_availability(url: str, order_id: int, volunteer_id: int) -> int:
    """The acceptance the API refuses at this hour only because the demo volunteer's weekly
    availability does not cover it (the tests run at any time of day): arranged in the live
    database as the API would leave it."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:
            now = datetime.now(UTC)
            await connection.execute(
                sa.update(Order.__table__)
                .where(Order.__table__.c.id == order_id)
                .values(accepted_count=1, status=OrderStatus.staffed.value, staffed_at=now)
            )
            result = await connection.execute(
                sa.insert(Offer.__table__).values(
                    order_id=order_id,
                    volunteer_id=volunteer_id,
                    status=OfferStatus.accepted.value,
                    offered_at=now,
                    responded_at=now,
                    flags=[],
                    updated_at=now,
                )
            )
            return result.inserted_primary_key[0]
    finally:
        await engine.dispose()


async def _activity_starting_soon(worker, volunteer, title: str, url: str) -> tuple[dict, int]:
    """(the order, my offer id): an open activity in the worker's community, accepted by the
    volunteer, whose check-in is open now; a start that clashes with the volunteer's other
    commitments is skipped (the demo data and other browser tests hold some)."""
    model, _held = await model_order(worker, volunteer)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    refusals = []
    for minutes in (10, 28, 5, 20):  # check-in opens 30 minutes before the start
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
        MADE.append(order["id"])
        if accepted.status_code == 200:
            return order, accepted.json()["id"]
        why = accepted.json().get("code")
        if (why == "not_eligible" and "不在可服务时段" in accepted.json().get("detail", "")) or (
            why == "time_overlap" and MADE
        ):
            return order, await _accept_outside_availability(
                url, order["id"], await _volunteer_id(volunteer)
            )
        refusals.append(accepted.text)
        await worker.post(
            f"/api/v1/orders/{order['id']}/cancel", json={"reason": "浏览器测试换个时间"}
        )
    raise AssertionError(f"the demo volunteer cannot take any start tried: {refusals}")


async def _check(tab, name: str) -> None:
    await screenshot(tab, name)
    assert await tab.evaluate("document.documentElement.scrollWidth") <= 360
    await assert_accessible(tab)


async def test_a_volunteer_checks_in_and_out_on_a_small_phone(browser, live_server, live_database):
    worker = await api_client(live_server, PHONES["worker"])
    volunteer = await api_client(live_server, PHONES["volunteer"])
    try:
        async with open_tab(browser, live_server, "small-phone") as tab:
            await log_in(tab, live_server, PHONES["volunteer"])
            await _with_location(tab, worker, volunteer, live_server, live_database)
            await _offline(tab, worker, volunteer, live_server, live_database)
            await _with_the_venue_code(tab, worker, volunteer, live_server, live_database)
            await _hours_and_ratings(tab, live_server)
    finally:
        await worker.aclose()
        await volunteer.aclose()


async def _with_location(tab, worker, volunteer, base, url) -> None:
    title = f"浏览器测试：防诈骗讲座 签到（{RUN}）"
    order, offer_id = await _activity_starting_soon(worker, volunteer, title, url)
    await tab.context.grant_permissions(["geolocation"], origin=base)
    await tab.context.set_geolocation(
        {"latitude": order["venue_lat"] + 0.0005, "longitude": order["venue_lng"]}
    )
    await tab.goto(f"{base}/v/activities/{offer_id}")
    await expect(tab.locator("h1")).to_have_text(title)
    await expect(tab.locator(".checkin-state")).to_have_text("还没签到")
    await _check(tab, "volunteer-day-before")
    await tab.get_by_role("button", name="签到", exact=True).click()
    await expect(tab.locator(".checkin-notice.ok:not([hidden])")).to_have_text(
        "签到成功！", timeout=15000
    )
    assert tab.url.endswith(f"/v/activities/{offer_id}?done=checked_in"), tab.url
    await expect(tab.locator(".checkin-state")).to_contain_text("已签到")
    await _check(tab, "volunteer-day-checked-in")
    await tab.get_by_role("button", name="签退", exact=True).click()
    await tab.wait_for_url(f"**/v/activities/{offer_id}?done=checked_out")
    await expect(tab.locator(".checkin-state")).to_contain_text("已签退")
    await _check(tab, "volunteer-day-checked-out")


async def _volunteer_id(volunteer) -> int:
    return (await volunteer.get("/api/v1/me")).json()["volunteer_id"]


async def _offline(tab, worker, volunteer, base, url) -> None:
    title = f"浏览器测试：智能手机课 离线签到（{RUN}）"
    _, offer_id = await _activity_starting_soon(worker, volunteer, title, url)
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


async def _with_the_venue_code(tab, worker, volunteer, base, url) -> None:
    title = f"浏览器测试：急救体验课 签到码（{RUN}）"
    order, offer_id = await _activity_starting_soon(worker, volunteer, title, url)
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
    await _check(tab, "volunteer-hours")
    await tab.goto(f"{base}/v/ratings")
    await expect(tab.locator("h1")).to_have_text("我的评价")
    await expect(tab.locator("#average-heading")).to_have_text("社区给我的平均分")
    await _check(tab, "volunteer-ratings")
