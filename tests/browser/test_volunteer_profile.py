"""A demo volunteer on a small phone (360×740) keeps their own profile at /v/profile: ticks a
skill, marks free times on the week grid, adds a day they cannot come, pauses and resumes, and
changes how far they will go — each save answered with 「已保存」, nothing wider than the phone.

The browser tests share one demo database and others dispatch offers to the demo volunteer
(13800000004), so this test logs in as another demo volunteer nobody else uses (every demo
account has the demo password): active, in no team, never invited. Whatever it changes is put
back through the JSON API at the end.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from urllib.parse import urlparse

import httpx

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

API = "/api/v1/me/volunteer-profile"
# 40 days ahead: far from the days other browser tests use (they stay within ten weeks, but
# they never look at this volunteer's blackout dates).
BLACKOUT = date.today() + timedelta(days=40)


def _unused_volunteer_phone(database_url: str) -> str:
    """An active demo volunteer who is in no team, has no offer and is not a demo login."""
    path = urlparse(database_url.replace("sqlite+aiosqlite", "file")).path
    demo_phones = tuple(phone for _role, phone in DEMO_LOGINS)
    with sqlite3.connect(path) as db:
        row = db.execute(
            f"""
            SELECT u.phone FROM volunteers v JOIN users u ON u.id = v.user_id
            WHERE v.status = 'active' AND u.status = 'active' AND u.password_hash IS NOT NULL
              AND u.phone NOT IN ({",".join("?" * len(demo_phones))})
              AND v.id NOT IN (SELECT volunteer_id FROM team_members)
              AND v.id NOT IN (SELECT volunteer_id FROM offers)
            ORDER BY v.id DESC LIMIT 1
            """,
            demo_phones,
        ).fetchone()
    assert row, "the demo data has no volunteer free for this test"
    return row[0]


async def _api(base: str, phone: str) -> tuple[httpx.AsyncClient, dict]:
    http = httpx.AsyncClient(base_url=base)
    login = await http.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    assert login.status_code == 200, login.text
    return http, {"X-CSRF-Token": login.json()["csrf_token"]}


async def _restore(base: str, phone: str, before: dict) -> None:
    """Put back what the test changed (skills, free times, radius, the day, the status)."""
    http, csrf = await _api(base, phone)
    try:
        skills = {"skill_ids": [s["id"] for s in before["skills"]]}
        assert (await http.put(f"{API}/skills", json=skills, headers=csrf)).status_code == 200
        windows = {"windows": before["windows"]}
        assert (
            await http.put(f"{API}/availability", json=windows, headers=csrf)
        ).status_code == 200
        radius = {"radius_km": before["radius_km"]}
        assert (await http.patch(API, json=radius, headers=csrf)).status_code == 200
        now = (await http.get(API)).json()
        if BLACKOUT.isoformat() in now["blackout_dates"]:
            await http.delete(
                f"{API}/blackout-dates", params={"day": BLACKOUT.isoformat()}, headers=csrf
            )
        if now["status"] != before["status"]:
            await http.post(f"{API}/resume", headers=csrf)
        after = (await http.get(API)).json()
    finally:
        await http.aclose()
    assert after == before


async def _fits_the_phone(tab) -> None:
    assert await tab.evaluate("document.documentElement.scrollWidth") <= 360


async def _section(tab, anchor: str):
    return tab.locator(f"section#{anchor}")


async def test_a_volunteer_keeps_their_profile_on_a_small_phone(
    browser, live_server, demo_database
):
    phone = _unused_volunteer_phone(demo_database)
    http, _csrf = await _api(live_server, phone)
    before = (await http.get(API)).json()
    await http.aclose()
    try:
        async with open_tab(browser, live_server, "small-phone") as tab:
            await tab.goto(f"{live_server}/login?next=/v/profile")
            await tab.fill("input[name=phone]", phone)
            await tab.fill("input[name=password]", DEMO_PASSWORD)
            await tab.locator("main button[type=submit]").click()
            await tab.wait_for_url("**/v/profile")
            assert await tab.locator("h1").inner_text() == "我的资料"
            await screenshot(tab, "profile-start")
            await _fits_the_phone(tab)
            await assert_accessible(tab)

            # 我的技能: tick one more skill.
            skills = await _section(tab, "skills")
            unticked = skills.locator("input[name=skill_ids]:not(:checked)").first
            skill_id = await unticked.get_attribute("value")
            await unticked.check()
            await skills.get_by_role("button", name="保存技能").click()
            await tab.wait_for_url("**saved=skills**")
            assert await skills.locator(".profile-saved").inner_text() == "✓ 已保存"
            assert await skills.locator(f"input[value='{skill_id}']").is_checked()
            await screenshot(tab, "profile-skills-saved")

            # 每周什么时候有空: two tiles on the week grid.
            grid = await _section(tab, "availability")
            saturday_morning = grid.locator(
                "label.week-tile", has=tab.locator("input[value='5-am']")
            )
            sunday_evening = grid.locator(
                "label.week-tile", has=tab.locator("input[value='6-eve']")
            )
            want_saturday = not await grid.locator("input[value='5-am']").is_checked()
            await saturday_morning.click()
            await sunday_evening.click()
            box = await saturday_morning.bounding_box()
            assert box["height"] >= 44 and box["width"] >= 44  # a tile big enough to tap
            await screenshot(tab, "profile-week-grid-ticked")
            await grid.get_by_role("button", name="保存有空的时间").click()
            await tab.wait_for_url("**saved=availability**")
            assert await grid.locator(".profile-saved").is_visible()
            assert await grid.locator("input[value='5-am']").is_checked() == want_saturday
            await screenshot(tab, "profile-week-grid-saved")
            await _fits_the_phone(tab)

            # 不方便的日子: add one.
            days = await _section(tab, "blackout")
            await days.locator("input[name=day][type=date]").fill(BLACKOUT.isoformat())
            await days.get_by_role("button", name="加上这一天").click()
            await tab.wait_for_url("**saved=blackout**")
            assert (
                await days.locator(".profile-days li", has_text=BLACKOUT.isoformat()).count() == 1
            )
            await screenshot(tab, "profile-blackout-added")

            # 暂停接单, then 恢复接单.
            status = await _section(tab, "status")
            await status.get_by_role("button", name="先暂停接单").click()
            await tab.wait_for_url("**saved=paused**")
            assert "现在：暂停接单" in await status.inner_text()
            await screenshot(tab, "profile-paused")
            await assert_accessible(tab)
            await status.get_by_role("button", name="恢复接单").click()
            await tab.wait_for_url("**saved=resumed**")
            assert "现在：正在接单" in await status.inner_text()

            # 愿意走多远: 10 km.
            radius = await _section(tab, "radius")
            await radius.locator("label.profile-tile", has_text="10 公里").click()
            await radius.get_by_role("button", name="保存距离").click()
            await tab.wait_for_url("**saved=radius**")
            assert await radius.locator("input[name=radius][value='10']").is_checked()
            await screenshot(tab, "profile-radius-saved")
            await _fits_the_phone(tab)

            # A refusal is said beside its section: the same day again.
            await days.locator("input[name=day][type=date]").fill(BLACKOUT.isoformat())
            await days.get_by_role("button", name="加上这一天").click()
            await tab.wait_for_load_state("networkidle")
            assert "已经在不方便的日子里了" in await days.locator(".profile-error").inner_text()
            await screenshot(tab, "profile-refused")
            await assert_accessible(tab)
            await _fits_the_phone(tab)
    finally:
        await _restore(live_server, phone, before)
