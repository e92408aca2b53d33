"""The demo team leader (王海, 13800000005) on a small phone (360×740): lands on 队伍接单, opens an
offer, sees who of the team is free and who cannot go (and why), picks members and accepts;
declines another offer with a reason the coordinator then sees; views the team's schedule.

Setup: the demo worker dispatches two orders to the leader's team through the JSON API, at the
weekday and hour of an activity the team already staffed (so its members keep those hours),
some weeks ahead. Other browser tests share the demo database: only these two orders are used.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)
ACCEPT = "（加场）"  # the two orders are repeats of an activity the team already staffed
DECLINE = "（再加一场）"
REASON = "队员那周都在参加市里的救护员复训"


async def _api_login(http: httpx.AsyncClient, role: str) -> dict:
    response = await http.post(
        "/api/v1/auth/login", json={"phone": PHONES[role], "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


async def _team_of_leader(base: str) -> int:
    async with httpx.AsyncClient(base_url=base) as http:
        await _api_login(http, "team_leader")
        me = (await http.get("/api/v1/me")).json()
    return next(g["team_id"] for g in me["grants"] if g["role"] == "team_leader")


async def _model_orders(http: httpx.AsyncClient, team_id: int):
    """Orders of the worker's community the team staffed: their place, skills and hours."""
    offset = 0
    while True:
        page = (await http.get("/api/v1/orders", params={"limit": 100, "offset": offset})).json()
        for order in page["items"]:
            if order["team_id"] == team_id and order["accepted_count"] > 0:
                yield order
        offset += 100
        if offset >= page["total"]:
            return


def _repeat(model: dict, *, team_id: int, title: str, weeks: int) -> dict:
    starts = datetime.fromisoformat(model["starts_at"]).astimezone(UTC)
    length = datetime.fromisoformat(model["ends_at"]) - datetime.fromisoformat(model["starts_at"])
    begin = starts + timedelta(weeks=weeks)
    body = {
        "title": title,
        "description": "请志愿队派出队员。",
        "community_id": model["community_id"],
        "target_group": model["target_group"],
        "venue_id": model["venue_id"],
        "starts_at": begin.isoformat(),
        "ends_at": (begin + length).isoformat(),
        "accept_deadline": (begin - timedelta(days=1)).isoformat(),
        "slots": 2,
        "dispatch_mode": "team",
        "team_id": team_id,
        "skill_ids": model["skill_ids"][:1],
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


async def _dispatch_to_team(base: str) -> dict[str, tuple[int, str]]:
    """Two repeats of a team activity, published to the team by the demo worker:
    ACCEPT / DECLINE → (order id, title). The demo data moves with the clock, so the model
    activity is the first whose repeat leaves at least two members free, one of them skilled
    (a repeat that does not is cancelled again)."""
    team_id = await _team_of_leader(base)
    async with httpx.AsyncClient(base_url=base) as http, httpx.AsyncClient(base_url=base) as leader:
        csrf = await _api_login(http, "worker")
        await _api_login(leader, "team_leader")
        async for model in _model_orders(http, team_id):
            starts = datetime.fromisoformat(model["starts_at"]).astimezone(UTC)
            weeks = max((datetime.now(UTC) - starts).days // 7 + 2, 1)
            title = model["title"][:80] + ACCEPT
            body = _repeat(model, team_id=team_id, title=title, weeks=weeks)
            order_id = await _publish(http, csrf, body)
            offer = (await leader.get(f"/desk/team/offers/{order_id}")).text
            # The free members are the form's; the blocked ones follow it (and may be skilled).
            free = offer.split('class="team-accept"', 1)[-1].split("</form>", 1)[0]
            if free.count('<li class="team-member">') >= 2 and "本次用得上的技能" in free:
                created = {ACCEPT: (order_id, title)}
                title = model["title"][:80] + DECLINE
                body = _repeat(model, team_id=team_id, title=title, weeks=weeks + 1)
                created[DECLINE] = (await _publish(http, csrf, body), title)
                return created
            cancelled = await http.post(
                f"/api/v1/orders/{order_id}/cancel", json={"reason": "测试换个时间"}, headers=csrf
            )
            assert cancelled.status_code == 200, cancelled.text
    raise AssertionError("no team activity of the demo worker's community leaves members free")


async def _log_in(tab, base: str) -> None:
    await tab.goto(f"{base}/login?next=/start")
    await tab.fill("input[name=phone]", PHONES["team_leader"])
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.locator("main button[type=submit]").click()
    await tab.wait_for_load_state("networkidle")


def _card(tab, title: str):
    return tab.locator("article.team-card").filter(has=tab.get_by_role("heading", name=title))


async def test_a_team_leader_answers_the_teams_offers_on_a_small_phone(browser, live_server):
    orders = await _dispatch_to_team(live_server)
    (accept_id, accept_title), (decline_id, decline_title) = orders[ACCEPT], orders[DECLINE]
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server)
        assert tab.url.endswith("/desk/team")  # the team leader's landing page
        assert await tab.locator("h1").inner_text() == "队伍接单"
        await screenshot(tab, "team-offers")
        await assert_accessible(tab)

        # 1. Open the offer: the team's members with their situation for that time.
        await _card(tab, accept_title).get_by_role("button", name="查看并选派队员").click()
        await tab.wait_for_load_state("networkidle")
        assert tab.url.endswith(f"/desk/team/offers/{accept_id}")
        assert await tab.locator("h1").inner_text() == accept_title
        main = await tab.locator("main").inner_text()
        assert "这个时段有空的队员" in main
        assert "这个时段不能派的队员" in main  # e.g. not available that weekday, busy, paused
        assert re.search("不在可服务时间|时间冲突|已暂停接单|不能服务的日子", main)
        await screenshot(tab, "team-offer")
        await assert_accessible(tab)

        # 2. Tick more members than there are places: refused in place, the ticks kept.
        free = tab.locator(".team-accept li.team-member")
        skilled = free.filter(has_text="本次用得上的技能")
        assert await free.count() >= 2 and await skilled.count() >= 1, "too few free members"
        if await free.count() >= 3:
            for index in range(3):
                await free.nth(index).locator("input").check()
            await tab.get_by_role("button", name="接单，派出勾选的队员").click()
            await tab.wait_for_load_state("networkidle")
            alert = tab.locator("#accept-refusal")
            assert "名额" in await alert.inner_text()
            assert await free.nth(2).locator("input").is_checked()
            await alert.scroll_into_view_if_needed()
            await screenshot(tab, "team-offer-too-many")
            await assert_accessible(tab)
            for index in range(await free.count()):
                await free.nth(index).locator("input").uncheck()

        # 3. Tick a free member with the skill needed and one more, and accept.
        first = skilled.first
        other = free.filter(has_not_text=await first.locator("strong").inner_text()).first
        chosen = [await row.locator("strong").inner_text() for row in (first, other)]
        for row in (first, other):
            await row.locator("input").check()
        await screenshot(tab, "team-offer-chosen")
        await tab.get_by_role("button", name="接单，派出勾选的队员").click()
        await tab.wait_for_load_state("networkidle")
        notice = await tab.locator("p.notice.ok").inner_text()
        assert "已接单" in notice and all(name in notice for name in chosen)
        assert "名额已满" in await tab.locator("main").inner_text()
        await screenshot(tab, "team-accepted")
        await assert_accessible(tab)

        # 4. Decline the other offer, with a reason (asked for before it is sent).
        await tab.get_by_role("link", name="返回队伍接单").click()
        await tab.wait_for_load_state("networkidle")
        await _card(tab, decline_title).get_by_role("button", name="查看并选派队员").click()
        await tab.wait_for_load_state("networkidle")
        await tab.get_by_role("link", name="队伍去不了？婉拒这个活动").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "婉拒这个活动"
        await screenshot(tab, "team-decline")
        await assert_accessible(tab)
        await tab.get_by_role("button", name="确认婉拒").click()  # no reason yet
        await tab.wait_for_load_state("networkidle")
        assert "请写明婉拒的原因" in await tab.locator("#reason-error").inner_text()
        assert await tab.locator("#reason").get_attribute("aria-invalid") == "true"
        await screenshot(tab, "team-decline-no-reason")
        await assert_accessible(tab)
        await tab.get_by_label("婉拒原因（必填）").fill(REASON)
        await tab.get_by_role("button", name="确认婉拒").click()
        await tab.wait_for_load_state("networkidle")
        assert tab.url.endswith("/desk/team?done=declined")
        assert "已婉拒" in await tab.locator("p.notice.ok").inner_text()
        await screenshot(tab, "team-declined")
        await assert_accessible(tab)

        # 5. The schedule: the accepted activity, on its day, with who goes.
        await tab.get_by_role("link", name="队伍日程", exact=True).click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "队伍日程"
        item = tab.locator("article.team-card").filter(
            has=tab.get_by_role("heading", name=accept_title)
        )
        planned = await item.inner_text()
        assert all(name in planned for name in chosen)
        await item.scroll_into_view_if_needed()
        await screenshot(tab, "team-schedule")
        await assert_accessible(tab)

        # 6. The same offer in the 大字 display: still one column, nothing cut off.
        await tab.goto(f"{live_server}/desk/team/offers/{accept_id}")
        await tab.get_by_role("button", name="大字模式").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.evaluate("document.documentElement.classList.contains('large-text')")
        width = await tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px phone"
        await screenshot(tab, "team-accepted-large-text")
        await assert_accessible(tab)

    # The coordinator sees the team's reason in the queue.
    async with httpx.AsyncClient(base_url=live_server) as http:
        await _api_login(http, "coordinator")
        queue = (await http.get("/api/v1/coordinator/queue", params={"limit": 100})).json()
    declined = next(i for i in queue["items"] if i["id"] == decline_id)
    assert REASON in declined["suggestion"]["text"]
