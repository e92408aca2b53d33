"""The admin data pages in a real browser at desk width: the volunteer import (template
download, upload → dry run report → commit), and the area, skill and venue pages — each
checked with axe, with screenshots for people to look at."""

from __future__ import annotations

import csv
import io
import sqlite3
from urllib.parse import urlparse

from service.demo.accounts import DEMO_LOGINS
from tests.browser.conftest import assert_accessible, log_in, open_tab, screenshot

PHONES = dict(DEMO_LOGINS)


def _csv(rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(["姓名", "手机号", "社区", "技能", "服务半径（公里）", "简介"])
    writer.writerows(rows)
    return out.getvalue().encode("gbk")  # as Excel on a Chinese Windows saves "CSV"


def _give_demo_passwords(database_url: str) -> None:
    """Every account in the shared browser database logs in with the demo password: later
    tests act as whichever volunteer the matching picks, and imported people have none."""
    path = urlparse(database_url.replace("sqlite+aiosqlite", "file")).path
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE users SET password_hash = (SELECT password_hash FROM users WHERE phone = ?) "
            "WHERE password_hash IS NULL",
            (PHONES["worker"],),
        )


async def test_import_volunteers_from_template_to_commit(browser, live_server, demo_database):
    async with open_tab(browser, live_server, "desktop") as tab:
        await log_in(tab, live_server, PHONES["admin"])
        await tab.goto(f"{live_server}/admin/data/import")
        assert await tab.locator("h1").inner_text() == "批量导入志愿者"
        await screenshot(tab, "admin-import-start")
        await assert_accessible(tab)

        async with tab.expect_download() as download_info:
            await tab.get_by_role("link", name="下载 CSV 模板").click()
        download = await download_info.value
        template = (await download.path()).read_bytes().decode("utf-8-sig")
        header, example = list(csv.reader(io.StringIO(template)))
        assert header[:3] == ["姓名*", "手机号*", "社区*"] and example[2]
        community, skills = example[2], example[3]

        bad = [
            ["", "16600000001", community, skills, "", ""],
            ["李四", "1660000", community, "不存在的技能", "", ""],
            ["王五", "16600000003", "没有这个社区", skills, "", ""],
            ["赵六", "16600000003", community, skills, "500", ""],
        ]
        await tab.set_input_files(
            "input[type=file]",
            files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": _csv(bad)}],
        )
        await tab.get_by_role("button", name="上传并试运行").click()
        await tab.wait_for_load_state("load")
        report = await tab.locator("#import-report").inner_text()
        assert "4 行有问题，整个文件都没有导入" in report and "GBK" in report
        rows = await tab.locator("table.import-problems tbody tr").all_inner_texts()
        assert [r.split("\t")[0] for r in rows] == ["2", "3", "3", "4", "5", "5"]
        assert "姓名为空" in rows[0] and "手机号与第 4 行重复" in rows[4]
        assert await tab.get_by_role("button", name="确认导入").count() == 0
        await screenshot(tab, "admin-import-dry-run-errors")
        await assert_accessible(tab)

        good = [[f"导入志愿者{i}", f"1660000{i:04d}", community, skills, "5", ""] for i in range(3)]
        await tab.set_input_files(
            "input[type=file]",
            files=[{"name": "名单.csv", "mimeType": "text/csv", "buffer": _csv(good)}],
        )
        await tab.get_by_role("button", name="上传并试运行").click()
        await tab.wait_for_load_state("load")
        assert "3 行全部检查通过" in await tab.locator("#import-report").inner_text()
        await screenshot(tab, "admin-import-dry-run-ok")
        await assert_accessible(tab)
        await tab.get_by_role("button", name="确认导入 3 名志愿者").click()
        await tab.wait_for_load_state("load")
        assert "已导入 3 名志愿者" in await tab.locator("#import-done").inner_text()
        _give_demo_passwords(demo_database)
        await screenshot(tab, "admin-import-done")
        await assert_accessible(tab)


async def test_area_skill_and_venue_pages(browser, live_server):
    async with open_tab(browser, live_server, "desktop") as tab:
        await log_in(tab, live_server, PHONES["admin"])
        for path, title, name in (
            ("/admin/data/areas", "区域与区划代码", "admin-areas"),
            ("/admin/data/skills", "技能分类", "admin-skills"),
            ("/admin/data/venues", "场地", "admin-venues"),
        ):
            await tab.goto(f"{live_server}{path}")
            assert await tab.locator("h1").inner_text() == title
            await screenshot(tab, name)
            await assert_accessible(tab)
        await tab.fill("#name", "测试场地")
        await tab.fill("#address", "测试路 1 号")
        await tab.select_option("#community_id", index=1)
        await tab.fill("#lat", "39.9")
        await tab.fill("#lng", "116.4")
        await tab.get_by_role("button", name="添加场地").click()
        await tab.wait_for_load_state("load")
        assert "所在的区县内" in await tab.locator("#venue-form").inner_text()
        await screenshot(tab, "admin-venue-outside-district")
        await assert_accessible(tab)
