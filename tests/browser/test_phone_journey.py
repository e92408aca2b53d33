"""The whole loop on phones, in a real browser (issue #10's journey), every step screenshotted:

a resident orders an activity on a 360 px phone and follows it up; the community worker adopts
and dispatches it from the desk; a retired engineer — a new volunteer — sets their skills and
weekly time on the week grid, finds the invitation (the header's 消息 count says so), accepts,
checks in at the venue with the phone's location, checks out an hour later and sees the hours
once the worker confirms; the resident rates with a code from the printed sheet. On the phones
every action is a tap on a touch screen.

The journey runs on its own server and demo database, on a shifted clock
(``tests/browser/shifted_clock.py``): the resident orders at 19:00 for the next morning, the
worker dispatches and the volunteer accepts that evening; then the clock moves to 09:40 on
the day (the activity is 09:50–10:50, when the volunteer said they are free, whenever CI runs)
and on to 10:45 for the check-out, instead of the test waiting through the night.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import expect

from service import migrate
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
from tests.browser.phone import phone_problems
from tests.browser.shifted_clock import CLOCK_FILE_ENV, set_shift, shifted_now
from tests.conftest import _in_thread

SHANGHAI = ZoneInfo("Asia/Shanghai")
PHONES = dict(DEMO_LOGINS)
RUN = uuid.uuid4().hex[:6]
RESIDENT_PHONE = "13912346688"
VOLUNTEER_PHONE = "17612345678"
VOLUNTEER_NAME = "周建国"


ACTIVITY_DAY = (datetime.now(SHANGHAI) + timedelta(days=2)).date()


def _on_activity_day(hour: int, minute: int, days_before: int = 0) -> datetime:
    """A moment in Shanghai on (or ``days_before`` the day before) the activity's day."""
    day = ACTIVITY_DAY - timedelta(days=days_before)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def _load_demo_at(url: str, now: datetime) -> None:
    from service.db import create_engine, create_sessionmaker, open_session
    from service.demo.loader import load_demo
    from service.settings import Settings

    async def load() -> None:
        engine = create_engine(Settings(env="test", database_url=url, _env_file=None))
        try:
            session = await open_session(create_sessionmaker(engine), write=True)
            await load_demo(session, now=now)
            await session.commit()
            await session.close()
        finally:
            await engine.dispose()

    asyncio.run(load())


def _db(url: str) -> sqlite3.Connection:
    return sqlite3.connect(url.split(":///", 1)[1])


def _arrange(url: str) -> dict:
    """The worker's community, the two skills fewest demo volunteers have, and a new volunteer
    (active, living in that community, no skills and no free time yet: the pages set those)."""
    import sqlalchemy as sa
    from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

    from service.models import Area, RoleAssignment, Skill, User, VolunteerSkill
    from service.vocab import Role
    from tests.factories import make_user, make_volunteer

    async def arrange() -> dict:
        engine = create_async_engine(url)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                worker = await session.scalar(sa.select(User).where(User.phone == PHONES["worker"]))
                community = await session.get(
                    Area,
                    await session.scalar(
                        sa.select(RoleAssignment.area_id).where(
                            RoleAssignment.user_id == worker.id, RoleAssignment.role == Role.worker
                        )
                    ),
                )
                rare = list(
                    await session.scalars(
                        sa.select(Skill.id)
                        .outerjoin(VolunteerSkill, VolunteerSkill.skill_id == Skill.id)
                        .where(Skill.parent_id.is_not(None), Skill.active)
                        .group_by(Skill.id)
                        .order_by(sa.func.count(VolunteerSkill.volunteer_id), Skill.id)
                        .limit(2)
                    )
                )
                user = await make_user(
                    session,
                    phone=VOLUNTEER_PHONE,
                    name=VOLUNTEER_NAME,
                    password_hash=worker.password_hash,  # the demo password
                    roles=((Role.volunteer, None, None),),
                )
                await make_volunteer(
                    session,
                    home_area=community,
                    lat=community.lat,
                    lng=community.lng,
                    user=user,
                    all_week=False,
                )
                await session.commit()
                return {"community_id": community.id, "skills": rare}
        finally:
            await engine.dispose()

    return asyncio.run(arrange())


def _venue_of(url: str, order_id: int) -> tuple[float, float]:
    with _db(url) as db:
        return db.execute(
            "SELECT venue_lat, venue_lng FROM orders WHERE id = ?", (order_id,)
        ).fetchone()


def _offered_to(url: str, order_id: int) -> list[str]:
    with _db(url) as db:
        return [
            phone
            for (phone,) in db.execute(
                "SELECT u.phone FROM offers o JOIN volunteers v ON v.id = o.volunteer_id "
                "JOIN users u ON u.id = v.user_id WHERE o.order_id = ?",
                (order_id,),
            )
        ]


@pytest.fixture(scope="module")
def journey_server(tmp_path_factory):
    """Its own demo database and server, on a clock that starts the evening before."""
    folder = tmp_path_factory.mktemp("journey")
    url = f"sqlite+aiosqlite:///{folder / 'journey.db'}"
    clock_file = folder / "clock-offset"
    set_shift(clock_file, _on_activity_day(19, 0, days_before=1))
    _in_thread(migrate.upgrade, url)
    _in_thread(_load_demo_at, url, shifted_now(clock_file))
    facts = _in_thread(_arrange, url)
    port = _free_port()
    process = start_server(
        url,
        port,
        factory="tests.browser.shifted_clock:create_app_on_shifted_clock",
        env={CLOCK_FILE_ENV: str(clock_file)},
    )
    try:
        yield {"base": f"http://127.0.0.1:{port}", "url": url, "clock": clock_file, **facts}
    finally:
        stop_server(process)


async def _step(tab, name: str) -> None:
    """Every step: a screenshot to look at, fits the phone, no serious accessibility finding."""
    await screenshot(tab, f"phone-journey-{name}")
    if tab.viewport_name == "small-phone":
        assert await phone_problems(tab) == [], name
    await assert_accessible(tab)


async def test_the_loop_on_phones(browser, journey_server):
    base, url = journey_server["base"], journey_server["url"]
    community, (skill_a, skill_b) = journey_server["community_id"], journey_server["skills"]
    day = ACTIVITY_DAY
    title = f"手机旅程科普课 {RUN}"

    async with (
        open_tab(browser, base, "small-phone") as resident,
        open_tab(browser, base, "small-phone") as volunteer,
        open_tab(browser, base, "desk") as worker,
    ):
        # 1. The volunteer, new, sets what they can teach and when they are free.
        await log_in(volunteer, base, VOLUNTEER_PHONE)
        await expect(volunteer.locator("h1")).to_have_text("我的志愿")
        await _step(volunteer, "01-volunteer-home-empty")
        await volunteer.goto(f"{base}/v/profile")
        skills = volunteer.locator("form", has=volunteer.locator("input[name=skill_ids]"))
        for skill in (skill_a, skill_b):
            await skills.locator(f"input[name=skill_ids][value='{skill}']").check()
        async with volunteer.expect_navigation():
            await skills.get_by_role("button", name="保存技能").tap()
        await volunteer.wait_for_load_state("networkidle")
        grid = volunteer.locator("form", has=volunteer.locator(".week-grid"))
        await grid.locator(f"label.week-tile:has(input[value='{day.weekday()}-am'])").tap()
        await _step(volunteer, "02-volunteer-week-grid")
        async with volunteer.expect_navigation():
            await grid.get_by_role("button", name="保存有空的时间").tap()
        await volunteer.wait_for_load_state("networkidle")
        grid = volunteer.locator("form", has=volunteer.locator(".week-grid"))
        assert await grid.locator(f"input[value='{day.weekday()}-am']").is_checked()
        await _step(volunteer, "03-volunteer-profile-saved")

        # 2. A resident orders the activity on their phone, with only a phone number.
        await resident.goto(f"{base}/demand")
        await resident.get_by_label("1. 您住在哪个社区").select_option(str(community))
        await resident.get_by_label("2. 想听什么").select_option(str(skill_a))
        await resident.get_by_label("老年人").check()
        await resident.get_by_label("4. 希望哪天（可不填）").fill(day.isoformat())
        await resident.get_by_label("希望什么时段").select_option("morning")
        await resident.get_by_label("5. 还想说的话（可不填）").fill(f"楼里老人想听 {RUN}")
        await resident.get_by_label("7. 您的手机号（必填）").fill(RESIDENT_PHONE)
        await _step(resident, "04-resident-demand-form")
        async with resident.expect_navigation():
            await resident.get_by_role("button", name="提交点单").tap()
        await resident.wait_for_load_state("networkidle")
        assert "/demand/done" in resident.url, await resident.locator("main").inner_text()
        number = await resident.locator("#receipt-number").inner_text()
        code = await resident.locator("#receipt-code").get_attribute("data-code")
        await _step(resident, "05-resident-receipt")

        # 3. The worker adopts it at the desk and dispatches it to the best matches.
        await log_in(worker, base, PHONES["worker"])
        await worker.goto(f"{base}/desk/demands")
        await worker.fill("#filter-q", RUN)
        await worker.press("#filter-q", "Enter")
        card = worker.locator("article.demand-card", has_text=RUN)
        await expect(card).to_have_count(1)
        await _step(worker, "06-worker-demands")
        await card.get_by_role("button", name="采纳，新建活动").click()
        await worker.wait_for_url(re.compile(r"/desk/orders/new\?demand_id=\d+"))
        await worker.fill("#title", title)
        await worker.fill("#date", day.isoformat())
        await worker.fill("#start-time", "09:50")
        await worker.fill("#end-time", "10:50")
        await worker.fill("#slots", "1")
        await worker.locator(f"input[name=skill_ids][value='{skill_b}']").check()
        await worker.locator("input[name=dispatch_mode][value=targeted]").check()
        await _step(worker, "07-worker-order-form")
        await worker.get_by_role("button", name="创建并派单").click()
        await worker.wait_for_url(re.compile(r"/desk/orders/(\d+)$"), timeout=15_000)
        order_id = int(worker.url.rsplit("/", 1)[1])
        await _step(worker, "08-worker-order-dispatched")
        assert VOLUNTEER_PHONE in _offered_to(url, order_id)

        # 4. The resident follows up with the number and the code: adopted.
        await resident.goto(f"{base}/demand/follow")
        await resident.get_by_label("点单编号").fill(number.strip().lstrip("#"))
        await resident.get_by_label("手机号").fill(RESIDENT_PHONE)
        await resident.get_by_label("查询码（8 位数字）").fill(code)
        async with resident.expect_navigation():
            await resident.get_by_role("button", name="查询", exact=True).tap()
        await resident.wait_for_load_state("networkidle")
        assert "社区已经采纳了您的点单" in await resident.locator("main").inner_text()
        await _step(resident, "09-resident-adopted")

        # 5. The volunteer sees the count in the header, the invitation, and accepts it.
        await volunteer.goto(f"{base}/v")
        await expect(volunteer.locator(".inbox-link .unread-count")).to_be_visible()
        offer = volunteer.locator("article", has_text=title)
        await expect(offer).to_have_count(1)
        await _step(volunteer, "10-volunteer-invited")
        async with volunteer.expect_navigation():
            await offer.get_by_role("button", name=re.compile("接受")).tap()
        await volunteer.wait_for_load_state("networkidle")
        day_link = volunteer.locator("a[href^='/v/activities/']").first
        await expect(day_link).to_be_visible()
        await _step(volunteer, "11-volunteer-accepted")

        # 6. The next morning at the venue (logged in again: the evening's session has ended),
        # check-in with the phone's location, ten minutes early.
        set_shift(journey_server["clock"], _on_activity_day(9, 40))
        lat, lng = _venue_of(url, order_id)
        await volunteer.context.grant_permissions(["geolocation"], origin=base)
        await volunteer.context.set_geolocation({"latitude": lat + 0.0002, "longitude": lng})
        await log_in(volunteer, base, VOLUNTEER_PHONE)
        await expect(volunteer.locator("h1")).to_have_text("我的志愿")
        await _step(volunteer, "12-volunteer-home-on-the-day")
        async with volunteer.expect_navigation():
            await volunteer.locator("a[href^='/v/activities/']").first.tap()
        await volunteer.wait_for_load_state("networkidle")
        await expect(volunteer.locator("h1")).to_have_text(title)
        await _step(volunteer, "13-volunteer-day")
        await volunteer.get_by_role("button", name="签到", exact=True).tap()
        await expect(volunteer.locator(".checkin-state")).to_contain_text("已签到")
        await _step(volunteer, "14-volunteer-checked-in")

        # 7. An hour later (the server's clock moves on), check-out.
        set_shift(journey_server["clock"], _on_activity_day(10, 45))
        await volunteer.reload()
        await volunteer.get_by_role("button", name="签退", exact=True).tap()
        await expect(volunteer.locator(".checkin-state")).to_contain_text("已签退")
        await _step(volunteer, "15-volunteer-checked-out")

        # 8. The worker confirms completion and prints the residents' rating codes.
        await log_in(worker, base, PHONES["worker"])
        await worker.goto(f"{base}/desk/orders/{order_id}/complete")
        await worker.get_by_role("spinbutton", name="生成评价码（份）").fill("5")
        await worker.get_by_label("我已核对到场情况", exact=False).check()
        await worker.get_by_role("button", name="确认活动完成").click()
        await worker.wait_for_load_state("networkidle")
        await worker.goto(f"{base}/desk/orders/{order_id}/rating-codes")
        rate_url = await worker.locator(".code-card").first.get_attribute("data-rate-url")
        rating_code = rate_url.rsplit("/", 1)[1]
        await _step(worker, "16-worker-rating-codes")

        # 9. The volunteer sees the hours of this activity.
        await volunteer.goto(f"{base}/v/hours")
        hours = volunteer.locator("main")
        await expect(hours).to_contain_text(title)
        await expect(hours).to_contain_text("0.92")  # 09:50 (not the early arrival) to 10:45
        await _step(volunteer, "17-volunteer-hours")

        # 10. The resident rates with a code from the printed sheet.
        await resident.goto(f"{base}/rate/{rating_code}")
        await expect(resident.locator("main")).to_contain_text(title)
        await resident.get_by_text("5 星 · 很满意").tap()
        await _step(resident, "18-resident-rates")
        async with resident.expect_navigation():
            await resident.get_by_role("button", name="提交评价").tap()
        await resident.wait_for_load_state("networkidle")
        await _step(resident, "19-resident-rated")
        assert "/rate/done" in resident.url
