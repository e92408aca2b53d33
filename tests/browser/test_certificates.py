"""志愿服务记录证明 on a phone (390 wide): the demo volunteer goes from 我的服务时长 to the
certificate page, downloads the PDF of the last three years (read back: its serial, name and
the verification address), then opens that address as a stranger would — the certificate's
face and its state — and a wrong one (a clear 404 page). Screenshots and axe on every page."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from urllib.parse import urlparse

from pypdf import PdfReader

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import SCREENSHOTS, assert_accessible, log_in, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)


async def test_a_volunteer_downloads_a_certificate_and_anyone_can_check_it(browser, live_server):
    async with open_tab(browser, live_server, "phone") as tab:
        await log_in(tab, live_server, PHONES["volunteer"])
        await tab.goto(f"{live_server}/v/hours")
        await screenshot(tab, "certificate-hours-link")
        await tab.get_by_role("button", name="开具志愿服务记录证明（PDF）").click()
        await tab.wait_for_url(f"{live_server}/v/certificates")
        await assert_accessible(tab)
        await screenshot(tab, "certificate-form")

        # A backwards period is said next to the field, and nothing is downloaded.
        await tab.get_by_label("自定义日期").check()
        today = date.today()
        await tab.get_by_label("开始日期（自定义时填写）").fill(today.isoformat())
        await tab.get_by_label("结束日期（自定义时填写）").fill(
            (today - timedelta(days=1)).isoformat()
        )
        await tab.get_by_role("button", name="下载证明（PDF）").click()
        await tab.wait_for_load_state("load")
        error = tab.locator(".field-error")
        assert await error.inner_text() == "结束日期不能早于开始日期。"
        assert (
            await tab.get_by_label("结束日期（自定义时填写）").get_attribute("aria-invalid")
            == "true"
        )
        await assert_accessible(tab)
        await screenshot(tab, "certificate-form-error")

        await tab.get_by_label("开始日期（自定义时填写）").fill(
            (today - timedelta(days=3 * 365)).isoformat()
        )
        await tab.get_by_label("结束日期（自定义时填写）").fill(today.isoformat())
        async with tab.expect_download() as event:
            await tab.get_by_role("button", name="下载证明（PDF）").click()
        download = await event.value
        assert download.suggested_filename.startswith("志愿服务记录证明-KP-")
        body = open(await download.path(), "rb").read()  # noqa: ASYNC230, SIM115
        # Kept beside the screenshots, for people to look at the document itself.
        SCREENSHOTS.mkdir(exist_ok=True)
        (SCREENSHOTS / "certificate.pdf").write_bytes(body)
        reader = PdfReader(io.BytesIO(body))
        text = re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))
        serial = re.search(r"证明编号：(KP-\d{4}-\d{6})", text).group(1)
        assert download.suggested_filename == f"志愿服务记录证明-{serial}.pdf"
        assert "志愿服务记录证明" in text and "出具单位：" in text and "合计：" in text
        url = re.search(r"https?://[A-Za-z0-9.:-]+/verify/[A-Za-z0-9/_-]+", text).group(0)

        await tab.goto(f"{live_server}/v/certificates")
        assert serial in await tab.locator(".cert-list").inner_text()
        await screenshot(tab, "certificate-issued")

    # The verification address (the QR's), opened by someone without an account.
    path = urlparse(url).path
    async with open_tab(browser, live_server, "phone") as stranger:
        await stranger.goto(f"{live_server}{path}")
        page = await stranger.locator("main").inner_text()
        assert "这份证明真实有效。" in page and serial in page
        assert not re.search(r"1[3-9]\d{9}", page)
        assert [await dt.inner_text() for dt in await stranger.locator("dt").all()] == [
            "证明编号", "志愿者姓名", "服务期间", "服务次数", "累计时长", "出具单位", "出具日期",
        ]  # fmt: skip
        await assert_accessible(stranger)
        await screenshot(stranger, "certificate-verify")
        answer = await stranger.goto(f"{live_server}{path[:-2]}zz")
        assert answer.status == 404
        assert "没有找到这份证明" in await stranger.locator("main").inner_text()
        await assert_accessible(stranger)
        await screenshot(stranger, "certificate-verify-not-found")


async def test_a_coordinator_lists_issues_and_exports(browser, live_server):
    """The district coordinator's desk page: last year's volunteers with their hours; one
    certificate issued from its row (the PDF downloads, the row then shows its serial)."""
    async with open_tab(browser, live_server, "desk") as tab:
        await log_in(tab, live_server, PHONES["coordinator"])
        await tab.goto(f"{live_server}/desk/certificates")
        await tab.get_by_label("今年（到今天）").check()
        await tab.get_by_role("button", name="列出志愿者").click()
        await tab.wait_for_url(re.compile(r"period=this_year"))
        rows = tab.locator("tbody tr")
        assert await rows.count() > 0
        first = rows.first
        assert re.search(r"1\d\d\*\*\*\*\d{4}", await first.inner_text())  # phones masked
        async with tab.expect_download() as event:
            await first.get_by_role("button", name=re.compile("出具|下载")).click()
        download = await event.value
        serial = re.search(r"KP-\d{4}-\d{6}", download.suggested_filename).group(0)
        await tab.reload()
        assert serial in await tab.locator("tbody").inner_text()
        await assert_accessible(tab)
        await screenshot(tab, "certificate-desk")
