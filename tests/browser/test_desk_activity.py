"""After the activity, in a real browser: the worker confirms who came, rates the volunteers,
prints the residents' rating codes; a resident on a small phone opens a card's QR link and rates.

The demo data has no ended, unconfirmed activity that is sure to exist whenever the tests run, so
the setup arranges one in the demo worker's community on the live server's database (as the
loop tests arrange theirs): it ended an hour ago; 王建国 checked in and out, 李秀兰 checked in
and forgot to check out, 张伟 never checked in.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from service.models import Area, Offer, RoleAssignment, Skill, User
from service.vocab import OfferStatus, OrderStatus, Role
from tests.browser.conftest import assert_accessible, open_tab, screenshot
from tests.factories import make_order, make_user, make_volunteer

PHONES = dict(DEMO_LOGINS)
VOLUNTEERS = ("王建国", "李秀兰", "张伟")


def _live_database(tmp_path_factory) -> str:
    """The live server's SQLite file (the ``live_server`` fixture makes it under browser*/)."""
    [path] = tmp_path_factory.getbasetemp().glob("browser[0-9]*/browser.db")
    return f"sqlite+aiosqlite:///{path}"


async def _arrange_ended_order(url: str, *, title: str, ended_hours_ago: float = 1) -> int:
    """An in-progress order in the demo worker's community that has ended, with three volunteers."""
    engine = create_async_engine(url)
    now = datetime.now(UTC).replace(microsecond=0)
    starts_at = now - timedelta(hours=2 + ended_hours_ago)
    try:
        async with async_sessionmaker(engine, expire_on_commit=False)() as session:
            worker = await session.scalar(sa.select(User).where(User.phone == PHONES["worker"]))
            community_id = await session.scalar(
                sa.select(RoleAssignment.area_id).where(
                    RoleAssignment.user_id == worker.id, RoleAssignment.role == Role.worker
                )
            )
            community = await session.get(Area, community_id)
            skill = await session.scalar(sa.select(Skill).where(Skill.parent_id.is_not(None)))
            order = await make_order(
                session,
                community=community,
                starts_at=starts_at,
                hours=2,
                skills=[skill],
                slots=3,
                status=OrderStatus.in_progress,
                accepted_count=3,
                title=title,
                venue_name="社区党群服务中心二楼活动室",
                expected_attendance=6,
            )
            states = (
                (OfferStatus.checked_in, timedelta(minutes=-10), timedelta(minutes=110)),
                (OfferStatus.checked_in, timedelta(minutes=5), None),
                (OfferStatus.accepted, None, None),
            )
            for name, (status, came, left) in zip(VOLUNTEERS, states, strict=True):
                user = await make_user(
                    session,
                    name=name,
                    phone=f"177{random.randrange(10**8):08d}",
                    # Every account in the shared browser database logs in with the demo
                    # password: later tests act as whichever volunteer the matching picks.
                    password_hash=worker.password_hash,
                    roles=((Role.volunteer, None, None),),
                )
                volunteer = await make_volunteer(
                    session, home_area=community, skills=[skill], user=user
                )
                session.add(
                    Offer(
                        order_id=order.id,
                        volunteer_id=volunteer.id,
                        status=status,
                        offered_at=starts_at - timedelta(days=3),
                        responded_at=starts_at - timedelta(days=2),
                        checked_in_at=starts_at + came if came is not None else None,
                        checked_out_at=starts_at + left if left is not None else None,
                    )
                )
            await session.commit()
            return order.id
    finally:
        await engine.dispose()


async def _log_in(tab, base: str, next_path: str) -> None:
    await tab.goto(f"{base}/login?next={next_path}")
    await tab.fill("main input[name=phone]", PHONES["worker"])
    await tab.fill("main input[name=password]", DEMO_PASSWORD)
    await tab.click("main button[type=submit]")
    await tab.wait_for_load_state("networkidle")
    assert tab.url == base + next_path, (tab.url, await tab.locator("main").inner_text())


def _card(tab, name: str):
    return tab.locator(".attendance-card", has_text=name)


@pytest.fixture
async def ended_order_id(live_server, tmp_path_factory) -> int:
    return await _arrange_ended_order(
        _live_database(tmp_path_factory), title="防范电信诈骗 守好养老钱（浏览器测试）"
    )


async def test_a_worker_confirms_rates_and_prints_and_a_resident_rates(
    browser, live_server, ended_order_id
):
    order_id = ended_order_id
    complete = f"/desk/orders/{order_id}/complete"
    async with open_tab(browser, live_server, "desk") as tab:
        await _log_in(tab, live_server, complete)
        # 1. The attendance, preselected from the check-ins.
        assert await tab.locator("h1").inner_text() == "确认活动完成"
        wang, li, zhang = (_card(tab, masked) for masked in ("王*国", "李*兰", "张*"))
        assert await wang.get_by_label("到场", exact=True).is_checked()
        assert await li.get_by_label("到场", exact=True).is_checked()
        assert await zhang.get_by_label("未到场", exact=True).is_checked()
        assert await wang.get_by_label("服务时长（小时，到场才记）").input_value() == "1.83"
        assert await li.get_by_label("服务时长（小时，到场才记）").input_value() == "1.92"
        assert "没有签到" in await zhang.inner_text()
        assert "王建国" not in await tab.locator("main").inner_text()  # names are masked
        await screenshot(tab, "activity-complete-preselected")
        await assert_accessible(tab)

        # 2. 张伟 did come (he forgot his phone): the worker says so, for one and a half hours.
        await zhang.get_by_text("到场", exact=True).click()
        await zhang.get_by_label("服务时长（小时，到场才记）").fill("1.5")
        await tab.get_by_role("spinbutton", name="生成评价码（份）").fill("6")
        await tab.get_by_label("我已核对到场情况", exact=False).check()
        await screenshot(tab, "activity-complete-changed")
        await tab.get_by_role("button", name="确认活动完成").click()
        await tab.wait_for_load_state("networkidle")
        assert "活动已确认完成" in await tab.locator("main").inner_text()
        table = await tab.locator("table.recorded-attendance").inner_text()
        assert "1.83 小时" in table and "1.5 小时" in table and "未到场" not in table
        await screenshot(tab, "activity-complete-done")
        await assert_accessible(tab)

        # 3. Rating the three volunteers: stars by keyboard for the first, by click for the rest.
        await tab.get_by_role("button", name="评价志愿者").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "评价志愿者"
        await assert_accessible(tab)
        first = tab.get_by_role("group", name="给 王*国 打分")
        await first.get_by_role("radio").first.focus()
        for _ in range(4):  # arrow keys move the choice: 1 → 5 stars
            await tab.keyboard.press("ArrowRight")
        assert await first.get_by_role("radio", name="5 星 · 很满意").is_checked()
        await tab.get_by_label("评价（可不填）").first.fill("讲解耐心，老人们都听懂了")
        await tab.get_by_role("group", name="给 李*兰 打分").get_by_text("4 星 · 满意").click()
        await tab.get_by_role("group", name="给 张* 打分").get_by_text("5 星 · 很满意").click()
        await screenshot(tab, "activity-rate-filled")
        await tab.get_by_role("button", name="提交评价").click()
        await tab.wait_for_load_state("networkidle")
        assert "评单已完成" in await tab.locator("main").inner_text()
        await screenshot(tab, "activity-rate-done")
        await assert_accessible(tab)

        # 4. The rating-code sheet, on screen and as printed.
        await tab.get_by_role("button", name="打印居民评价码").click()
        await tab.wait_for_load_state("networkidle")
        assert await tab.locator("h1").inner_text() == "居民评价码"
        cards = tab.locator(".code-card")
        assert await cards.count() == 6
        assert await cards.first.locator("svg.qr").is_visible()
        await screenshot(tab, "activity-rating-codes")
        await assert_accessible(tab)
        await tab.emulate_media(media="print")
        assert not await tab.locator(".site-header").is_visible()
        assert not await tab.locator("h1").is_visible()
        assert await cards.first.is_visible()
        await screenshot(tab, "activity-rating-codes-print")
        await tab.emulate_media(media="screen")
        rate_url = await cards.first.get_attribute("data-rate-url")
        code = rate_url.rsplit("/", 1)[1]

    # 5. A resident on a small phone opens the QR code's link (the path on this server) and rates.
    async with open_tab(browser, live_server, "small-phone") as phone:
        await phone.goto(f"{live_server}/rate/{code}")
        assert await phone.locator("h1").inner_text() == "给活动打分"
        assert "防范电信诈骗 守好养老钱" in await phone.locator("main").inner_text()
        await screenshot(phone, "activity-resident-rate")
        await assert_accessible(phone)
        await phone.get_by_text("5 星 · 很满意").click()
        await phone.get_by_label("想说的话（可不填）").fill("学会了怎么识别冒充客服的电话，谢谢！")
        submit = phone.get_by_role("button", name="提交评价")
        box = await submit.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 300  # big enough for any thumb
        await screenshot(phone, "activity-resident-rate-filled")
        await submit.click()
        await phone.wait_for_load_state("networkidle")
        assert await phone.locator("h1").inner_text() == "感谢您的评价！"
        await screenshot(phone, "activity-resident-thanks")
        await assert_accessible(phone)
        # The same card again says it was used.
        await phone.goto(f"{live_server}/rate/{code}")
        assert "这个评价码已经用过了" in await phone.locator("main").inner_text()


async def test_the_attendance_page_works_on_a_small_phone(browser, live_server, tmp_path_factory):
    order_id = await _arrange_ended_order(
        _live_database(tmp_path_factory), title="智能手机防诈骗课（小屏测试）"
    )
    async with open_tab(browser, live_server, "small-phone") as tab:
        await _log_in(tab, live_server, f"/desk/orders/{order_id}/complete")
        assert await tab.locator("h1").inner_text() == "确认活动完成"
        # Nothing is wider than the screen.
        width = await tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 360
        await screenshot(tab, "activity-complete-small-phone")
        await assert_accessible(tab)
        # A refusal stays on the page: submitting without the confirmation tick.
        await tab.get_by_role("button", name="确认活动完成").click()
        await tab.wait_for_load_state("networkidle")
        # The browser itself may ask for nothing here (no `required`): the server answers inline.
        error = tab.locator("#error-confirmed")
        assert await error.inner_text() == "请勾选上面的确认，再提交。"
        focused = await tab.evaluate("document.activeElement.name")
        assert focused == "confirmed"  # app.js moves the focus to the first field to fix
        await screenshot(tab, "activity-complete-small-phone-refused")
        await assert_accessible(tab)
