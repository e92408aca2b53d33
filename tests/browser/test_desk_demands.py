"""A community worker's demand inbox and order form in a real browser.

The worker logs in, opens the inbox, filters it, adopts a demand into an order while the
candidate preview follows the form without a reload, creates and dispatches the order, then
declines one demand with a reason and merges a duplicate. The demands are the test's own
(submitted through the public API with a unique word), since the demo database is shared.
"""

from __future__ import annotations

import re
import uuid

import httpx

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from tests.browser.conftest import assert_accessible, open_tab, screenshot

WORKER = dict(DEMO_LOGINS)["worker"]
COUNT = "#candidate-preview [data-count]"


async def _log_in(tab, base: str) -> None:
    await tab.goto(f"{base}/login")
    await tab.fill("input[name=phone]", WORKER)
    await tab.fill("input[name=password]", DEMO_PASSWORD)
    await tab.locator("main button[type=submit]").click()
    await tab.wait_for_load_state("networkidle")


async def _form_choices(tab, base: str) -> tuple[str, dict[str, str]]:
    """The worker's community id and skill ids by name, as the order form offers them."""
    await tab.goto(f"{base}/desk/orders/new")
    community = await tab.locator("#community option[selected]").get_attribute("value")
    skills = {}
    for box in await tab.locator(".skill-choice").all():
        skills[(await box.inner_text()).strip()] = await box.locator("input").get_attribute("value")
    return community, skills


def _submit_demands(base: str, community: str, skills: dict[str, str], tag: str) -> dict:
    """Three demands from residents, as the public API takes them."""
    wanted = {
        "adopt": ("急救", "老年人急救知识讲座", "心肺复苏", 2),
        "decline": ("夜观", "小区天文夜观活动", "天文", 1),
        "duplicate": ("急救重复", "想学心肺复苏", "心肺复苏", 0),
    }
    topics = {}
    with httpx.Client(base_url=base) as client:
        for key, (word, topic, skill, days) in wanted.items():
            full_topic = f"{topic}（{tag}{word}）"
            response = client.post(
                "/api/v1/demands",
                json={
                    "community_id": int(community),
                    "topic": full_topic,
                    "target_group": "elderly",
                    "skill_id": int(skills[skill]),
                    "description": "小区老人多，希望有人来讲一讲。",
                    "contact_name": "王阿姨",
                    "contact_phone": f"1391234{days:04d}",
                },
            )
            assert response.status_code == 201, response.text
            topics[key] = full_topic
    return topics


def _card(tab, topic: str):
    return tab.locator("article.demand-card", has=tab.locator("h3", has_text=topic))


async def _count(tab) -> int:
    return int(await tab.locator(COUNT).get_attribute("data-count"))


async def _count_changes_from(tab, before: int) -> int:
    # A function, not an expression: the page's CSP forbids eval, which an expression needs.
    await tab.wait_for_function(
        """([selector, before]) => {
            const shown = document.querySelector(selector);
            return shown !== null && Number(shown.dataset.count) !== before;
        }""",
        arg=[COUNT, before],
        timeout=15_000,
    )
    return await _count(tab)


async def test_a_worker_adopts_a_demand_with_a_live_preview_and_declines_another(
    browser, live_server
):
    tag = uuid.uuid4().hex[:6]
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server)
        assert tab.url.endswith("/desk")  # a worker lands on their desk, not on their account
        await screenshot(tab, "demands-01-landing")
        community, skills = await _form_choices(tab, live_server)
        topics = _submit_demands(live_server, community, skills, tag)

        # The inbox, from the navigation.
        await (
            tab.get_by_role("navigation", name="主导航")
            .get_by_role("link", name="点单待办")
            .click()
        )
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "点单待办"
        await assert_accessible(tab)
        await screenshot(tab, "demands-02-inbox")

        # Filtering swaps the list in place (htmx) and keeps the filter in the address.
        await tab.fill("#filter-q", tag)
        await tab.press("#filter-q", "Enter")
        await tab.wait_for_function(
            "(n) => document.querySelectorAll('article.demand-card').length === n",
            arg=3,
            timeout=10_000,
        )
        assert tag in tab.url
        assert "共 3 条点单" in await tab.locator("#demand-list h2").inner_text()
        card = _card(tab, topics["adopt"])
        assert "「我也想要」0 人" in await card.inner_text()
        assert "1 小时内提交" in await card.inner_text()
        await assert_accessible(tab)
        await screenshot(tab, "demands-03-filtered")

        # Adopt: the order form opens filled in from the demand.
        await card.get_by_role("button", name="采纳，新建活动").click()
        await tab.wait_for_load_state("networkidle")
        assert "/desk/orders/new?demand_id=" in tab.url
        assert await tab.input_value("#title") == topics["adopt"]
        assert await tab.locator(
            f"input[name=skill_ids][value='{skills['心肺复苏']}']"
        ).is_checked()
        await tab.wait_for_selector(COUNT, timeout=15_000)  # the preview loads by itself
        wide = await _count(tab)
        assert wide > 0
        assert "心肺复苏 ✓" in await tab.locator("#candidate-preview").inner_text()
        await tab.evaluate("window.__sameDocument = true")  # gone if the page reloads
        await assert_accessible(tab)
        await screenshot(tab, "demands-04-order-form")

        # A smaller distance: fewer candidates, without a reload.
        await tab.fill("#max-distance", "1")
        near = await _count_changes_from(tab, wide)
        assert near < wide
        await screenshot(tab, "demands-05-preview-1km")
        await tab.fill("#max-distance", "10")
        assert await _count_changes_from(tab, near) == wide
        # Another skill: another count, still without a reload.
        await tab.locator(f"input[name=skill_ids][value='{skills['心肺复苏']}']").uncheck()
        await tab.locator(f"input[name=skill_ids][value='{skills['天文']}']").check()
        other = await _count_changes_from(tab, wide)
        assert other != wide
        assert await tab.evaluate("window.__sameDocument === true")
        await screenshot(tab, "demands-06-preview-other-skill")
        await tab.locator(f"input[name=skill_ids][value='{skills['天文']}']").uncheck()
        await tab.locator(f"input[name=skill_ids][value='{skills['心肺复苏']}']").check()
        await _count_changes_from(tab, other)
        await tab.fill("#slots", "2")
        await assert_accessible(tab)
        await screenshot(tab, "demands-07-order-form-ready")

        # Create and dispatch: the browser goes to the new order's page.
        await tab.get_by_role("button", name="创建并派单").click()
        await tab.wait_for_url(re.compile(r"/desk/orders/\d+$"), timeout=15_000)
        await screenshot(tab, "demands-08-after-create")

        # The demand is adopted and linked to its order.
        await tab.goto(f"{live_server}/desk/demands?status=adopted&q={tag}")
        adopted = _card(tab, topics["adopt"])
        assert "已采纳" in await adopted.inner_text()
        assert "已采纳，生成了活动" in await adopted.inner_text()
        await screenshot(tab, "demands-09-adopted")

        # Decline another with a reason, confirmed on its own page.
        await tab.goto(f"{live_server}/desk/demands?q={tag}")
        declining = _card(tab, topics["decline"])
        await declining.get_by_text("不采纳…").click()
        reason = "本月已安排天文讲座，欢迎 12 月 5 日到社区活动室参加。"
        await declining.locator("textarea[name=reason]").fill(reason)
        await screenshot(tab, "demands-10-decline-reason")
        await declining.get_by_role("button", name="下一步：确认不采纳").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "不采纳这条点单？"
        assert await tab.input_value("#reason") == reason
        await assert_accessible(tab)
        await screenshot(tab, "demands-11-decline-confirm")
        await tab.get_by_role("button", name="确认不采纳，通知居民").click()
        await tab.wait_for_load_state("networkidle")
        assert "已记录不采纳" in await tab.locator("main").inner_text()
        await screenshot(tab, "demands-12-declined")

        # Merge the duplicate into the adopted demand, picked from a list and confirmed.
        await tab.goto(f"{live_server}/desk/demands?q={tag}")
        duplicate = _card(tab, topics["duplicate"])
        await duplicate.get_by_text("合并重复点单…").click()
        merge_select = duplicate.locator("select[name=into_demand_id]")
        label = await merge_select.locator("option", has_text=topics["adopt"]).inner_text()
        await merge_select.select_option(label=label.strip())
        await duplicate.get_by_role("button", name="下一步：确认合并").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "合并这条重复点单？"
        await assert_accessible(tab)
        await screenshot(tab, "demands-13-merge-confirm")
        await tab.get_by_role("button", name="确认合并").click()
        await tab.wait_for_load_state("networkidle")
        await tab.goto(f"{live_server}/desk/demands?status=all&q={tag}")
        text = await tab.locator("#demand-list").inner_text()
        assert "未采纳的原因：" + reason in text and "已合并到" in text
        await screenshot(tab, "demands-14-all-done")


async def test_the_inbox_and_the_form_work_on_a_small_phone(browser, live_server):
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server)
        await tab.goto(f"{live_server}/desk/demands")
        assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await assert_accessible(tab)
        await screenshot(tab, "demands-inbox")
        await tab.goto(f"{live_server}/desk/orders/new")
        await tab.wait_for_selector("#candidate-preview h2")
        assert await tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        await assert_accessible(tab)
        await screenshot(tab, "demands-order-form")


async def test_the_inbox_and_the_form_in_english(browser, live_server):
    # The browser asks for English (Accept-Language); the account's own choice is left alone.
    async with open_tab(browser, live_server, "desk", locale="en-US") as tab:
        await _log_in(tab, live_server)
        await tab.goto(f"{live_server}/desk/demands")
        assert await tab.locator("h1").inner_text() == "Demand inbox"
        await assert_accessible(tab)
        await screenshot(tab, "demands-inbox-en")
        await tab.goto(f"{live_server}/desk/orders/new")
        assert await tab.locator("h1").inner_text() == "New activity"
        await tab.locator(".skill-choice", has_text="心肺复苏").locator("input").check()
        await tab.wait_for_selector(COUNT, timeout=15_000)
        assert (
            "within" in await tab.locator("#candidate-preview").inner_text()
            or await _count(tab) == 0
        )
        await assert_accessible(tab)
        await screenshot(tab, "demands-order-form-en")
