"""我的资料 (/v/profile): whole and as an htmx fragment, in Chinese and English; each section's
form saves through the profile service (「已保存」 after a 303), a refusal is shown beside its
section in the reader's language with nothing saved; only the volunteer themself gets in."""

from __future__ import annotations

import re

import sqlalchemy as sa

from service.models import AvailabilityWindow, BlackoutDate, Volunteer, VolunteerSkill
from tests.service.auth.helpers import client_for

PAGE = "/v/profile"
HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


def _main(page) -> str:
    text = page.text
    if "<main" in text:
        text = text[text.index("<main") : text.index("</main>")]
    return text


async def _saved_page(client, response, anchor: str) -> str:
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{PAGE}?saved=") and location.endswith(f"#{anchor}")
    page = await client.get(location.split("#")[0])
    assert page.status_code == 200
    return _main(page)


async def _rows(session, model, volunteer_id):
    await session.commit()  # a new transaction sees what the requests committed
    session.expire_all()
    return (await session.scalars(sa.select(model).where(model.volunteer_id == volunteer_id))).all()


async def _volunteer(session, world) -> Volunteer:
    await session.commit()
    session.expire_all()
    return await session.get(Volunteer, world.volunteers["李明"])


# ---------------------------------------------------------------- the page


async def test_the_page_shows_every_section_in_chinese(world, me):
    page = await me.get(PAGE)
    assert page.status_code == 200
    main = _main(page)
    assert "<html" in page.text and "<h1>我的资料</h1>" in main
    assert 'aria-current="page">我的资料</a>' in page.text  # the volunteer's navigation
    for heading in (
        "接单状态",
        "我的技能",
        "我住在哪",
        "愿意走多远",
        "每周什么时候有空",
        "不方便的日子",
    ):
        assert f">{heading}</h2>" in main
    assert "现在：正在接单" in main and ">先暂停接单</button>" in main
    assert re.search(rf'value="{world.skills["cpr"]}" checked', main)
    assert "旧技能" not in main  # retired skills are not offered
    assert '<optgroup label="向阳街道">' in main and '<optgroup label="通伸街道">' in main
    assert re.search(rf'<option value="{world.areas["home"]}" selected>海岸社区</option>', main)
    assert "不会给任何人看" in main
    assert "37.5465" not in page.text and "121.412" not in page.text  # the point is never shown
    assert re.search(r'name="radius" value="5" checked', main)
    assert main.count('name="slots"') == 21 and "现在没有不方便的日子" in main
    assert 'src="/static/js/profile.js"' in main


async def test_the_page_as_a_fragment_and_in_english(world, login):
    me = await login(world.users["李明"])
    fragment = await me.get(PAGE, headers=HTMX)
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and "<h1>我的资料</h1>" in fragment.text
    english = await me.get(PAGE, headers=EN)
    main = _main(english)
    assert "<h1>My profile</h1>" in main
    for words in ("My skills", "Where I live", "How far I will go", "When I am free each week",
                  "Days I cannot come", "Pause taking activities", "Mon", "Morning"):  # fmt: skip
        assert words in main, words
    stored = ("心肺复苏", "AED 使用", "智能手机使用", "应急", "智慧助老", "海岸社区", "东山社区",
              "西沙社区", "向阳街道", "通伸街道")  # names are data, shown as stored  # fmt: skip
    words = main
    for name in stored:
        words = words.replace(name, "")
    assert not re.search("[\u4e00-\u9fff]", words), "untranslated Chinese on the English page"
    both = await me.get(PAGE, headers={**HTMX, **EN})
    assert "<html" not in both.text and "<h1>My profile</h1>" in both.text


async def test_only_a_volunteer_gets_their_own_page(world, login, app):
    anonymous = client_for(app)
    to_login = await anonymous.get(PAGE)
    assert to_login.status_code == 303 and to_login.headers["location"].startswith("/login")
    await anonymous.aclose()
    worker = await login(world.users["worker"])
    assert (await worker.get(PAGE)).status_code == 403
    assert (await worker.post(f"{PAGE}/pause")).status_code == 403
    admin = await login(world.users["admin"])
    refused = await admin.get(PAGE)
    assert refused.status_code == 403 and "您还没有志愿者档案" in refused.text


# ---------------------------------------------------------------- saving each section


async def test_ticking_skills_saves_them(world, me, session):
    ids = {"skill_ids": [str(world.skills["aed"]), str(world.skills["phone"])]}
    main = await _saved_page(me, await me.post(f"{PAGE}/skills", data=ids), "skills")
    assert "✓ 已保存" in main
    rows = await _rows(session, VolunteerSkill, world.volunteers["李明"])
    assert sorted(r.skill_id for r in rows) == sorted([world.skills["aed"], world.skills["phone"]])


async def test_a_refused_skill_is_shown_beside_the_skills_and_nothing_saved(world, login, session):
    me = await login(world.users["李明"], **EN)
    refused = await me.post(f"{PAGE}/skills", data={"skill_ids": [str(world.skills["retired"])]})
    assert refused.status_code == 422
    assert 'id="skills-error"' in refused.text and "no longer offered" in refused.text
    rows = await _rows(session, VolunteerSkill, world.volunteers["李明"])
    assert [r.skill_id for r in rows] == [world.skills["cpr"]]


async def test_the_home_community_and_the_point(world, me, session):
    main = await _saved_page(
        me, await me.post(f"{PAGE}/home", data={"home_area_id": world.areas["near"]}), "home"
    )
    assert re.search(rf'<option value="{world.areas["near"]}" selected>东山社区</option>', main)
    volunteer = await _volunteer(session, world)
    assert (volunteer.home_lat, volunteer.home_lng) == (37.548, 121.42)
    point = {"home_area_id": world.areas["near"], "lat": "37.5491", "lng": "121.4213"}
    await _saved_page(me, await me.post(f"{PAGE}/home", data=point), "home")
    volunteer = await _volunteer(session, world)
    assert (volunteer.home_lat, volunteer.home_lng) == (37.5491, 121.4213)
    # Saving the same community without locating again keeps the exact point.
    same = await me.post(f"{PAGE}/home", data={"home_area_id": world.areas["near"]})
    await _saved_page(me, same, "home")
    volunteer = await _volunteer(session, world)
    assert volunteer.home_lat == 37.5491


async def test_a_point_outside_the_district_is_refused_beside_the_home(world, me, session):
    bad = {"home_area_id": world.areas["far"], "lat": "31.23", "lng": "121.47"}  # Shanghai
    refused = await me.post(f"{PAGE}/home", data=bad)
    assert refused.status_code == 422
    assert 'id="home-error"' in refused.text and "不在芝罘区范围内" in refused.text
    assert re.search(rf'<option value="{world.areas["far"]}" selected>', refused.text)  # kept
    volunteer = await session.get(Volunteer, world.volunteers["李明"])
    assert volunteer.home_area_id == world.areas["home"]
    nothing = await me.post(f"{PAGE}/home", data={"home_area_id": "abc"})
    assert nothing.status_code == 422 and "请选择您住的社区" in nothing.text


async def test_the_radius_from_a_choice_or_a_number(world, me, session):
    await _saved_page(me, await me.post(f"{PAGE}/radius", data={"radius": "10"}), "radius")
    main = await _saved_page(
        me,
        await me.post(f"{PAGE}/radius", data={"radius": "custom", "radius_custom": "7.5"}),
        "radius",
    )
    assert 'value="7.5"' in main and re.search(r'value="custom" data-radius-custom checked', main)
    volunteer = await _volunteer(session, world)
    assert volunteer.radius_km == 7.5
    for bad, words in (("0", "最多 200 公里"), ("300", "最多 200 公里"), ("很远", "请选一个距离")):
        refused = await me.post(f"{PAGE}/radius", data={"radius_custom": bad})
        assert refused.status_code == 422 and 'id="radius-error"' in refused.text
        assert words in refused.text and f'value="{bad}"' in refused.text
    volunteer = await _volunteer(session, world)
    assert volunteer.radius_km == 7.5


async def test_the_week_grid_saves_blocks_and_keeps_other_times(world, me, session):
    li = world.volunteers["李明"]
    session.add(AvailabilityWindow(volunteer_id=li, weekday=2, start_minute=540, end_minute=690))
    await session.commit()
    page = _main(await me.get(PAGE))
    assert "其他有空的时间" in page and "周三 09:00–11:30" in page
    form = {"slots": ["5-am", "5-pm", "0-eve", "9-am", "1-xx"], "keep": ["2-540-690"]}
    main = await _saved_page(me, await me.post(f"{PAGE}/availability", data=form), "availability")
    assert re.search(r'value="5-am" checked', main) and re.search(r'value="0-eve" checked', main)
    assert "周三 09:00–11:30" in main
    rows = await _rows(session, AvailabilityWindow, li)
    assert sorted((r.weekday, r.start_minute, r.end_minute) for r in rows) == [
        (0, 1110, 1290), (2, 540, 690), (5, 480, 720), (5, 840, 1080)
    ]  # fmt: skip
    # Unticking the kept time and a tile removes them; an extra time is added.
    form = {"slots": ["5-am"], "day": "6", "start": "14:00", "end": "16:30"}
    await _saved_page(me, await me.post(f"{PAGE}/availability", data=form), "availability")
    rows = await _rows(session, AvailabilityWindow, li)
    assert sorted((r.weekday, r.start_minute, r.end_minute) for r in rows) == [
        (5, 480, 720), (6, 840, 990)
    ]  # fmt: skip


async def test_a_wrong_extra_time_is_refused_and_nothing_saved(world, login, session):
    li = world.volunteers["李明"]
    for headers, words in (({}, "结束时间要晚于开始时间"), (EN, "The end must be later")):
        me = await login(world.users["李明"], **headers)
        form = {"slots": ["5-am"], "day": "6", "start": "16:00", "end": "14:00"}
        refused = await me.post(f"{PAGE}/availability", data=form)
        assert refused.status_code == 422 and 'id="availability-error"' in refused.text
        assert words in refused.text
        assert re.search(r'value="5-am" checked', refused.text)  # what was ticked stays ticked
        assert 'value="16:00"' in refused.text
    assert await _rows(session, AvailabilityWindow, li) == []


async def test_blackout_dates_are_added_and_removed(world, me, session):
    li = world.volunteers["李明"]
    main = await _saved_page(
        me, await me.post(f"{PAGE}/blackout-dates", data={"day": "2026-12-24"}), "blackout"
    )
    assert "12月24日 周四" in main and 'value="2026-12-24"' in main
    for day, words in (("2026-11-01", "这一天已经过去了"), ("2026-12-24", "已经在不方便的日子里"),
                       ("", "请选一个日子")):  # fmt: skip
        refused = await me.post(f"{PAGE}/blackout-dates", data={"day": day})
        assert refused.status_code == 422 and 'id="blackout-error"' in refused.text
        assert words in refused.text
    await _saved_page(
        me, await me.post(f"{PAGE}/blackout-dates/remove", data={"day": "2026-12-24"}), "blackout"
    )
    assert await _rows(session, BlackoutDate, li) == []
    gone = await me.post(f"{PAGE}/blackout-dates/remove", data={"day": "2026-12-24"})
    assert gone.status_code == 404 and "不在不方便的日子里" in gone.text


async def test_pause_and_resume(world, me, session):
    main = await _saved_page(me, await me.post(f"{PAGE}/pause"), "status")
    assert (
        "✓ 已暂停，不会再收到新的邀请" in main
        and "现在：暂停接单" in main
        and ">恢复接单</button>" in main
    )
    main = await _saved_page(me, await me.post(f"{PAGE}/resume"), "status")
    assert "✓ 已恢复接单" in main and "现在：正在接单" in main


async def test_a_save_over_htmx_redirects_the_page(world, me):
    answer = await me.post(f"{PAGE}/pause", headers=HTMX)
    assert answer.status_code == 204
    assert answer.headers["HX-Redirect"] == f"{PAGE}?saved=paused#status"
