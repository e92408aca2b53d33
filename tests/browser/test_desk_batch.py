"""一键派单 in a real browser: the district coordinator opens it, plans the next two weeks of
the demo district, reads the plan (totals against greedy, who would be asked and why), applies
it, reads the report, applies again (nothing sent); the refusals in words; a phone-width look.

It runs on its own server over a copy of the demo database: applying sends invitations, which
the other browser tests must not find.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta

import pytest

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import (
    _free_port,
    assert_accessible,
    log_in,
    open_tab,
    screenshot,
    start_server,
    stop_server,
)

PHONES = dict(DEMO_LOGINS)


@pytest.fixture(scope="module")
def batch_server(demo_database, tmp_path_factory):
    source = demo_database.removeprefix("sqlite+aiosqlite:///")
    copy = tmp_path_factory.mktemp("batch") / "batch.db"
    shutil.copyfile(source, copy)
    for attempt in range(3):  # a busy machine can take longer than one start allows
        port = _free_port()
        try:
            process = start_server(f"sqlite+aiosqlite:///{copy}", port)
            break
        except RuntimeError:
            if attempt == 2:
                raise
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(process)


async def _open_batch(tab, base):
    await log_in(tab, base, PHONES["coordinator"])
    await tab.goto(f"{base}/desk/batch")
    assert await tab.locator("h1").inner_text() == "一键派单"


async def test_the_coordinator_plans_applies_and_reads_the_report(browser, batch_server):
    base = batch_server
    async with open_tab(browser, base, "desktop") as tab:
        await _open_batch(tab, base)
        await screenshot(tab, "batch-form")
        await assert_accessible(tab)
        await tab.select_option("#batch-area", label="芝罘区（全区）")
        await tab.get_by_role("button", name="生成派单方案").click()
        await tab.wait_for_load_state("networkidle")
        assert re.search(r"/desk/batch/plans/\d+$", tab.url), tab.url
        main = await tab.locator("main").inner_text()
        assert "这只是方案，还没有发出任何邀请" in main
        summary = re.search(r"共缺 (\d+) 人；这个方案排上 (\d+) 人，逐个派单能排上 (\d+) 人", main)
        assert summary, main
        slots, filled, greedy = map(int, summary.groups())
        assert slots >= filled >= greedy and filled > 0, main
        assert "基尼系数" in main and "第一次参加活动的志愿者" in main
        assert "最多能排上" in main
        first_card = tab.locator("article.queue-item", has_text="匹配度").first
        card = await first_card.inner_text()
        assert "匹配度" in card and re.search(r"1\d\d\*{4}\d{4}", card), card
        await screenshot(tab, "batch-plan")
        await assert_accessible(tab)

        await tab.get_by_role("button", name=f"确认执行，发出 {filled} 个邀请").click()
        await tab.wait_for_load_state("networkidle")
        assert tab.url.endswith("/report"), tab.url
        report = await tab.locator("#batch-summary").inner_text()
        sent = int(re.search(r"发出 (\d+) 个邀请", report).group(1))
        assert 0 < sent <= filled
        await screenshot(tab, "batch-report")
        await assert_accessible(tab)

        plan_url = tab.url.removesuffix("/report")
        await tab.goto(plan_url)
        assert "这个方案已于" in await tab.locator("main").inner_text()
        assert await tab.locator("#batch-apply").count() == 0
        # Applying again (an old tab, a double click): nothing is sent, and the page says so.
        await tab.evaluate(
            """url => { const f = document.createElement('form'); f.method = 'post';
            f.action = url + '/apply'; const t = document.createElement('input');
            t.type = 'hidden'; t.name = 'csrf_token';
            t.value = document.querySelector('input[name=csrf_token]')?.value
                      || document.querySelector('meta[name=csrf-token]')?.content || '';
            f.appendChild(t); document.body.appendChild(f); f.submit(); }""",
            plan_url,
        )
        await tab.wait_for_url(lambda url: "again=1" in url)
        again = await tab.locator("#batch-again").inner_text()
        assert "这次没有再发送任何邀请" in again
        assert f"发出 {sent} 个邀请" in await tab.locator("#batch-summary").inner_text()
        await screenshot(tab, "batch-again")


async def test_refusals_are_said_in_words(browser, batch_server):
    base = batch_server
    async with open_tab(browser, base, "desktop") as tab:
        await _open_batch(tab, base)
        await tab.select_option("#batch-area", label="芝罘区（全区）")
        today = datetime.now(UTC) + timedelta(hours=8)
        await tab.fill("#batch-from", (today + timedelta(days=5)).date().isoformat())
        await tab.fill("#batch-to", (today + timedelta(days=1)).date().isoformat())
        await tab.get_by_role("button", name="生成派单方案").click()
        await tab.wait_for_load_state("networkidle")
        assert "结束日期不能早于开始日期" in await tab.locator("#batch-to-error").inner_text()
        await screenshot(tab, "batch-form-error")
        await assert_accessible(tab)

        far = (today + timedelta(days=600)).date().isoformat()
        await tab.fill("#batch-from", far)
        await tab.fill("#batch-to", far)
        await tab.get_by_role("button", name="生成派单方案").click()
        await tab.wait_for_load_state("networkidle")
        assert "这段时间本区域没有需要派人的活动" in await tab.locator("main").inner_text()
        await screenshot(tab, "batch-empty")

        response = await tab.goto(f"{base}/desk/batch/plans/999999")
        assert response.status == 404
        assert "没有找到这个派单方案" in await tab.locator("main").inner_text()


async def test_the_plan_fits_a_phone(browser, batch_server):
    base = batch_server
    async with open_tab(browser, base, "phone") as tab:
        await _open_batch(tab, base)
        await tab.select_option("#batch-area", label="芝罘区（全区）")
        await tab.get_by_role("button", name="生成派单方案").click()
        await tab.wait_for_load_state("networkidle")
        width = await tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the plan is {width}px wide on a 390px screen"
        await screenshot(tab, "batch-plan")
        await assert_accessible(tab)
