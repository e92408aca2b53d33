"""A resident without an account on a small phone (360×740), in 长辈 mode (the default): finds
activities near a community and near where the phone is (mocked geolocation), opens one, asks
for an activity (点单), writes down the number and code, follows it up, says 「我也想要」 to a
neighbour's demand and rates an activity with a code from a rating card.

The browser tests share one demo database: this test's demand has a description unique to the
run, it votes with a phone number unique to the run, and it rates with an unused demo code.
The texted one-time code of 「我也想要」 cannot be read from the server's log here, so the test
plays the SMS: it replaces the stored (hashed) code with the hash of a code it knows.
"""

from __future__ import annotations

import re
import sqlite3
import uuid
from datetime import date, timedelta

from service.auth.phone_codes import _code_hash, phone_key
from service.settings import Settings
from tests.browser.conftest import assert_accessible, open_tab, screenshot

RUN = uuid.uuid4().hex[:6]
PHONE = "13912" + str(uuid.uuid4().int)[:6]
VOTER = "13711" + str(uuid.uuid4().int)[:6]
KNOWN_CODE = "246813"


def _db(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.split(":///", 1)[1], timeout=10)


def _demo_facts(url: str) -> dict:
    """A community with a neighbour's open demand, its centre, and an unused rating code."""
    with _db(url) as db:
        community_id, demand_id, topic = db.execute(
            "SELECT community_id, id, topic FROM demands WHERE status = 'new' "
            "ORDER BY upvotes DESC, id LIMIT 1"
        ).fetchone()
        name, lat, lng = db.execute(
            "SELECT name, lat, lng FROM areas WHERE id = ?", (community_id,)
        ).fetchone()
        (code,) = db.execute(
            "SELECT rc.code FROM rating_codes rc JOIN orders o ON o.id = rc.order_id "
            "WHERE rc.used_at IS NULL AND o.status IN ('completed', 'evaluated') "
            "ORDER BY rc.id DESC LIMIT 1"
        ).fetchone()
    return {
        "community_id": community_id,
        "community": name,
        "lat": lat,
        "lng": lng,
        "demand_id": demand_id,
        "topic": topic,
        "rating_code": code,
    }


def _receive_text(url: str, phone: str, purpose: str) -> None:
    """Stand in for the SMS: the live code of ``phone`` becomes KNOWN_CODE."""
    settings = Settings(env="test", database_url=url, _env_file=None)
    key = phone_key(settings, phone)
    with _db(url) as db:
        changed = db.execute(
            "UPDATE phone_codes SET code_hash = ? WHERE phone_key = ? AND purpose = ?",
            (_code_hash(settings, key, KNOWN_CODE), key, purpose),
        ).rowcount
    assert changed == 1


async def _check(tab, name: str) -> None:
    """Every step: a screenshot, nothing wider than the phone, no serious axe finding, and the
    large text on (nobody switched it off)."""
    await screenshot(tab, f"resident-{name}")
    assert await tab.evaluate("document.documentElement.scrollWidth") <= 360, name
    assert await tab.evaluate("document.documentElement.classList.contains('large-text')")
    await assert_accessible(tab)


async def test_a_resident_on_a_small_phone(browser, live_server, demo_database):
    facts = _demo_facts(demo_database)
    async with open_tab(browser, live_server, "small-phone") as tab:
        await tab.goto(live_server + "/")
        await _check(tab, "1-home")
        await tab.get_by_role("button", name=re.compile("附近的科普活动")).first.click()
        await tab.wait_for_url("**/activities")

        # Near a community chosen from the picker (works without JavaScript).
        await tab.get_by_label("我住在哪个社区").select_option(str(facts["community_id"]))
        await tab.get_by_role("button", name="看这个社区附近的活动").click()
        await tab.wait_for_url(re.compile(r"community_id="))
        heading = await tab.locator("#list-heading").inner_text()
        assert facts["community"] in heading
        distances = await tab.locator(".resident-facts dd strong").all_inner_texts()
        assert distances and all(d.startswith("约") for d in distances)
        await _check(tab, "2-near-community")

        # Near where the phone is.
        await tab.context.grant_permissions(["geolocation"], origin=live_server)
        await tab.context.set_geolocation({"latitude": facts["lat"], "longitude": facts["lng"]})
        await tab.get_by_role("button", name="用我现在的位置").click()
        await tab.wait_for_url(re.compile(r"lat=.*lng="))
        assert "离您最近的活动" in await tab.locator("#list-heading").inner_text()
        await _check(tab, "3-near-me")

        # One activity.
        await tab.locator(".resident-card h3 a").first.click()
        await tab.wait_for_url(re.compile(r"/activities/\d+$"))
        facts_text = await tab.locator(".resident-facts").inner_text()
        for words in ("面向谁", "什么时候", "在哪里", "怎么去", "志愿者报名"):
            assert words in facts_text
        await _check(tab, "4-activity")

        # 点单: first without a phone (told beside the field), then complete.
        await tab.goto(live_server + "/demand")
        await _check(tab, "5-demand-form")
        await tab.get_by_label("1. 您住在哪个社区").select_option(str(facts["community_id"]))
        await tab.get_by_label("2. 想听什么").select_option(index=1)
        await tab.get_by_label("老年人").check()
        wish = (date.today() + timedelta(days=30)).isoformat()
        await tab.get_by_label("4. 希望哪天（可不填）").fill(wish)
        await tab.get_by_label("希望什么时段").select_option("afternoon")
        await tab.get_by_label("5. 还想说的话（可不填）").fill(f"浏览器测试点单 {RUN}")
        await tab.get_by_role("button", name="提交点单").click()
        await tab.wait_for_load_state()
        error = tab.locator("#error-contact_phone")
        assert "11 位手机号" in await error.inner_text()
        await _check(tab, "6-demand-missing-phone")
        await tab.get_by_label("7. 您的手机号（必填）").fill(PHONE)
        await tab.get_by_role("button", name="提交点单").click()
        await tab.wait_for_url("**/demand/done")
        number = await tab.locator("#receipt-number").inner_text()
        code = await tab.locator("#receipt-code").get_attribute("data-code")
        assert number.isdigit() and re.fullmatch(r"\d{8}", code)
        await _check(tab, "7-demand-receipt")

        # Follow it up: a wrong code first (one neutral answer), then the right one.
        await tab.get_by_role("button", name="查询点单进度").last.click()
        await tab.wait_for_url(re.compile(r"/demand/follow\?demand="))
        assert await tab.get_by_label("点单编号").input_value() == number
        await tab.get_by_label("手机号").fill(PHONE)
        await tab.get_by_label("查询码（8 位数字）").fill("00000000" if code != "00000000" else "1")
        await tab.get_by_role("button", name="查询", exact=True).click()
        await tab.wait_for_load_state()
        assert await tab.locator("#follow-refusal").is_visible()
        await _check(tab, "8-follow-wrong")
        await tab.get_by_label("查询码（8 位数字）").fill(f"{code[:4]} {code[4:]}")  # as copied
        await tab.get_by_role("button", name="查询", exact=True).click()
        await tab.wait_for_load_state()
        assert "社区已收到，正在考虑。" in await tab.locator("main").inner_text()
        await _check(tab, "9-follow-status")

        # 我也想要 on a neighbour's demand.
        await tab.goto(f"{live_server}/communities/{facts['community_id']}/demands")
        await _check(tab, "10-community-demands")
        card = tab.locator(f"#demand-{facts['demand_id']}")
        await card.get_by_label("您的手机号").fill(VOTER)
        await card.get_by_role("button", name="我也想要").click()
        await tab.wait_for_load_state()
        card = tab.locator(f"#demand-{facts['demand_id']}")
        assert "验证码已经用短信发到" in await card.inner_text()
        await _check(tab, "11-upvote-code")
        _receive_text(demo_database, VOTER, f"upvote:{facts['demand_id']}")
        await card.get_by_label("短信验证码（6 位数字）").fill(KNOWN_CODE)
        await card.get_by_role("button", name="确认我也想要").click()
        await tab.wait_for_url(re.compile(r"counted=1"))
        said = await tab.locator(f"#demand-{facts['demand_id']}").inner_text()
        assert "已经记下了，谢谢！" in said
        await _check(tab, "12-upvote-counted")

        # 评单 with a code from a rating card.
        await tab.goto(live_server + "/")
        await tab.get_by_role("button", name=re.compile("评价活动")).click()
        await tab.wait_for_url("**/rate")
        await _check(tab, "13-rate-code")
        await tab.get_by_label("评价码").fill(facts["rating_code"].lower())
        await tab.get_by_role("button", name="下一步").click()
        await tab.wait_for_url(re.compile(r"/rate/\w+$"))
        await _check(tab, "14-rate-stars")
        await tab.locator("label.star-option").nth(4).click()
        await tab.get_by_role("button", name="提交评价").click()
        await tab.wait_for_url("**/rate/done")
        assert "感谢您的评价！" in await tab.locator("main").inner_text()
        await _check(tab, "15-rate-done")
