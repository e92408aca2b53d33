"""The volunteer's activity-day pages (phone first): the day page with 签到 / 签退 by plain form
posts (no JS: no location → pending, or the venue code), refusals beside their cause, my hours
by month, my ratings; whole and as htmx fragments, in Chinese and English; nobody sees another
volunteer's day."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.activity.venue_codes import venue_code
from service.models import Evaluation, Offer, Order, ServiceRecord, User
from service.vocab import RaterKind
from tests.loop_helpers import staffed_order
from tests.service.activity.page_helpers import ENGLISH, HTMX, is_fragment, worker_browser
from tests.service.auth.helpers import browser, open_session_for

PAGE_HEADERS = [{}, HTMX, ENGLISH, {**HTMX, **ENGLISH}]
IDS = ["zh", "zh-htmx", "en", "en-htmx"]


async def volunteer_browser(app, settings, session, clock, volunteer):
    cookie, csrf = await open_session_for(
        session, settings, user_id=volunteer.user_id, now=clock.now()
    )
    await session.commit()
    return browser(app, settings, cookie, csrf), csrf


async def fresh(session, model, row_id):
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


@pytest.fixture
async def day(session, clock):
    """A 2-hour activity starting in 20 minutes, its worker as the order's creator."""
    _, _, order, people = await staffed_order(
        session,
        starts_at=clock.now() + timedelta(minutes=20),
        venue_name="幸福社区党群服务中心",
        venue_address="幸福路 12 号二楼",
    )
    worker = await session.scalar(sa.select(User).where(User.name == "社区张老师"))
    row = await session.get(Order, order.id)
    row.created_by_user_id = worker.id
    worker.phone = "13912345678"
    await session.commit()
    return order, people


@pytest.mark.parametrize("headers", PAGE_HEADERS, ids=IDS)
async def test_the_day_page_shows_what_when_where_whom_and_the_big_buttons(
    app, settings, session, clock, day, headers
):
    order, [(volunteer, _, offer), _] = day
    tab, _ = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        page = await tab.get(f"/v/activities/{offer.id}", headers=headers)
    assert page.status_code == 200
    html = page.text
    assert is_fragment(html) == ("HX-Request" in headers)
    assert order.title in html and "幸福社区党群服务中心" in html and "幸福路 12 号二楼" in html
    assert "社***师" in html and "139****5678" in html and "13912345678" not in html
    assert f'action="/v/activities/{offer.id}/check-in"' in html
    assert 'name="venue_code"' in html
    # The venue code is for the worker to read out, never shown to the volunteer.
    assert venue_code(settings, order.id) not in html
    if "Accept-Language" in headers:
        assert "Check in" in html and "Not checked in yet" in html and "签到" not in html
    else:
        assert ">签到</button>" in html and "还没签到" in html


async def test_a_plain_form_check_in_without_location_waits_for_the_community(
    app, settings, session, clock, day
):
    _, [(volunteer, _, offer), _] = day
    tab, csrf = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        posted = await tab.post(
            f"/v/activities/{offer.id}/check-in", data={"csrf_token": csrf, "lat": "", "lng": ""}
        )
        assert posted.status_code == 303
        assert posted.headers["location"] == f"/v/activities/{offer.id}?done=pending"
        page = await tab.get(posted.headers["location"])
    assert "签到已记下，等社区确认" in page.text and "用签到码签到" in page.text
    assert (await fresh(session, Offer, offer.id)).flags == ["no_location", "pending_confirmation"]


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_a_check_in_near_the_venue_then_a_check_out(
    app, settings, session, clock, day, headers
):
    order, [(volunteer, _, offer), _] = day
    tab, csrf = await volunteer_browser(app, settings, session, clock, volunteer)
    near = {"lat": str(order.venue_lat + 0.001), "lng": str(order.venue_lng)}
    async with tab:
        posted = await tab.post(
            f"/v/activities/{offer.id}/check-in", data={"csrf_token": csrf, **near}, headers=headers
        )
        target = f"/v/activities/{offer.id}?done=checked_in"
        if headers:
            assert posted.status_code == 204 and posted.headers["HX-Redirect"] == target
        else:
            assert posted.status_code == 303 and posted.headers["location"] == target
        page = await tab.get(target)
        assert "签到成功！" in page.text and "已签到（" in page.text
        assert f'action="/v/activities/{offer.id}/check-out"' in page.text
        clock.advance(timedelta(hours=2))
        out = await tab.post(f"/v/activities/{offer.id}/check-out", data={"csrf_token": csrf})
        assert out.status_code == 303
        done = await tab.get(out.headers["location"])
    assert "签退成功，辛苦了！" in done.text and "已签退（" in done.text
    assert (await fresh(session, Offer, offer.id)).checked_out_at is not None


async def test_the_venue_code_on_the_page_right_wrong_and_throttled(
    app, settings, session, clock, day
):
    order, [(volunteer, _, offer), _] = day
    tab, csrf = await volunteer_browser(app, settings, session, clock, volunteer)
    url = f"/v/activities/{offer.id}/check-in"
    code = venue_code(settings, order.id)
    wrong = f"{(int(code) + 1) % 10000:04d}"
    async with tab:
        refused = await tab.post(url, data={"csrf_token": csrf, "venue_code": wrong})
        assert refused.status_code == 422
        assert "签到码不对。请向社区工作者再问一次这 4 位数字。" in refused.text
        assert 'aria-invalid="true"' in refused.text and f'value="{wrong}"' in refused.text
        english = await tab.post(
            url, data={"csrf_token": csrf, "venue_code": wrong}, headers=ENGLISH
        )
        assert english.status_code == 422 and "That venue code is not right." in english.text
        for _ in range(3):
            await tab.post(url, data={"csrf_token": csrf, "venue_code": wrong})
        throttled = await tab.post(url, data={"csrf_token": csrf, "venue_code": code})
        assert throttled.status_code == 429 and "签到码输错的次数太多" in throttled.text
        clock.advance(timedelta(minutes=settings.login_window_minutes + 1))
        right = await tab.post(url, data={"csrf_token": csrf, "venue_code": code})
        assert right.status_code == 303
    offer_now = await fresh(session, Offer, offer.id)
    assert offer_now.status == "checked_in" and offer_now.flags == ["venue_code"]


async def test_refusals_stay_on_the_day_page_with_their_status(app, settings, session, clock, day):
    _, [(volunteer, _, offer), _] = day
    tab, csrf = await volunteer_browser(app, settings, session, clock, volunteer)
    url = f"/v/activities/{offer.id}/check-in"
    async with tab:
        clock.advance(timedelta(minutes=-60))  # before check-in opens
        early = await tab.post(url, data={"csrf_token": csrf})
        assert early.status_code == 409 and "签到" in early.text and 'role="alert"' in early.text
        clock.advance(timedelta(minutes=60))
        future = (clock.now() + timedelta(hours=1)).isoformat()
        ahead = await tab.post(url, data={"csrf_token": csrf, "at": future}, headers=ENGLISH)
        assert ahead.status_code == 422 and "later than now" in ahead.text
        bad = await tab.post(url, data={"csrf_token": csrf, "lat": "north", "lng": "1"})
        assert bad.status_code == 422
        out = await tab.post(f"/v/activities/{offer.id}/check-out", data={"csrf_token": csrf})
        assert out.status_code == 409 and "签到" in out.text


async def test_nobody_sees_or_checks_in_on_another_volunteers_day(
    app, settings, session, clock, day
):
    _, [(_, _, offer), (other, _, _)] = day
    tab, csrf = await volunteer_browser(app, settings, session, clock, other)
    async with tab:
        page = await tab.get(f"/v/activities/{offer.id}")
        assert page.status_code == 404
        assert "没有找到这项活动，或者它不是您接下的活动。" in page.text
        english = await tab.get(f"/v/activities/{offer.id}", headers=ENGLISH)
        assert "No such activity, or it is not one you accepted." in english.text
        posted = await tab.post(f"/v/activities/{offer.id}/check-in", data={"csrf_token": csrf})
        assert posted.status_code == 404
        missing = await tab.get(f"/v/activities/{offer.id + 999}")
        assert missing.status_code == 404
    assert (await fresh(session, Offer, offer.id)).checked_in_at is None


async def _served(session, order, volunteer, *, hours, month_offset_days, stars=None, comment=""):
    record = ServiceRecord(
        order_id=order.id,
        volunteer_id=volunteer.id,
        hours=hours,
        started_at=order.starts_at - timedelta(days=month_offset_days),
        ended_at=order.starts_at - timedelta(days=month_offset_days) + timedelta(hours=hours),
        confirmed_by_user_id=order.created_by_user_id,
    )
    session.add(record)
    if stars:
        session.add(
            Evaluation(
                order_id=order.id,
                volunteer_id=volunteer.id,
                rater_kind=RaterKind.worker,
                rater_user_id=order.created_by_user_id,
                stars=stars,
                comment=comment,
            )
        )
        volunteer_row = await session.get(type(volunteer), volunteer.id)
        volunteer_row.rating_avg, volunteer_row.rating_count = 4.5, 2
    await session.commit()


@pytest.mark.parametrize("headers", PAGE_HEADERS, ids=IDS)
async def test_my_hours_by_month_with_the_year_total(app, settings, session, clock, day, headers):
    order, [(volunteer, _, _), (other, _, _)] = day
    await _served(session, order, volunteer, hours=2.0, month_offset_days=0)
    second, _ = await _second_order(session, clock, volunteer)
    await _served(session, second, volunteer, hours=1.5, month_offset_days=0)
    await _served(session, order, other, hours=9.0, month_offset_days=0)
    tab, _ = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        page = await tab.get("/v/hours", headers=headers)
    assert page.status_code == 200
    html = page.text
    assert is_fragment(html) == ("HX-Request" in headers)
    assert order.title in html and second.title in html and "9.0" not in html
    assert "社***师" in html  # who confirmed, masked
    if "Accept-Language" in headers:
        assert "My service hours" in html and "3.5 hours" in html and "November 2026" not in html
    else:
        assert "2026 年合计" in html and "3.5 小时" in html
        assert "2026 年 11 月：2.0 小时" in html and "2026 年 10 月：1.5 小时" in html
        assert re.search(r"2026年1[01]月\d\d日 周[一二三四五六日]", html)  # a day in words


async def test_hours_of_an_empty_year_and_a_bad_year(app, settings, session, clock, day):
    _, [(volunteer, _, _), _] = day
    tab, _ = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        empty = await tab.get("/v/hours?year=2020")
        assert empty.status_code == 200 and "这一年还没有记录的服务时长" in empty.text
        assert "?year=2021" in empty.text  # the way forward to this year
        assert (await tab.get("/v/hours?year=1")).status_code == 422
        assert (await tab.get("/v/hours?year=abc")).status_code == 422


@pytest.mark.parametrize("headers", PAGE_HEADERS, ids=IDS)
async def test_my_ratings_average_count_and_recent_without_the_rater(
    app, settings, session, clock, day, headers
):
    order, [(volunteer, _, _), _] = day
    await _served(
        session, order, volunteer, hours=2.0, month_offset_days=0, stars=5, comment="讲得很清楚"
    )
    tab, _ = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        page = await tab.get("/v/ratings", headers=headers)
    assert page.status_code == 200
    html = page.text
    assert is_fragment(html) == ("HX-Request" in headers)
    assert "讲得很清楚" in html and order.title in html
    assert "社区张老师" not in html and "社***师" not in html  # never who rated
    if "Accept-Language" in headers:
        assert "My ratings" in html and "4.5 points (2 ratings)" in html and "5 stars" in html
    else:
        assert "4.5 分（共 2 次评价）" in html and "5 星" in html


async def test_ratings_and_hours_when_there_is_nothing_yet(app, settings, session, clock, day):
    _, [(volunteer, _, _), _] = day
    tab, _ = await volunteer_browser(app, settings, session, clock, volunteer)
    async with tab:
        ratings = await tab.get("/v/ratings")
        hours = await tab.get("/v/hours")
    assert "还没有评价" in ratings.text
    assert "0 小时" in hours.text and "这一年还没有记录的服务时长" in hours.text


async def test_the_pages_need_a_volunteer(app, settings, session, clock, day, client):
    _, [(_, _, offer), _] = day
    for url in (f"/v/activities/{offer.id}", "/v/hours", "/v/ratings"):
        anonymous = await client.get(url)
        assert anonymous.status_code in (303, 401), url


async def _second_order(session, clock, volunteer):
    from tests.factories import make_order

    first = await session.scalar(sa.select(Order).order_by(Order.id))
    community = await session.get(type(first).__mro__[0], first.id)
    order = await make_order(
        session,
        community=await _community(session, community.community_id),
        starts_at=clock.now() - timedelta(days=40),
        title="十月的反诈讲座",
    )
    order.created_by_user_id = first.created_by_user_id
    await session.commit()
    return order, community


async def _community(session, area_id):
    from service.models import Area

    return await session.get(Area, area_id)


@pytest.mark.parametrize("path", ["complete", "rating-codes"])
async def test_the_worker_sees_the_venue_code_to_read_out(app, settings, session, clock, path):
    community, _, order, _ = await staffed_order(session, starts_at=clock.now())
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(f"/desk/orders/{order.id}/{path}")
        english = await desk.get(f"/desk/orders/{order.id}/{path}", headers=ENGLISH)
    code = venue_code(settings, order.id)
    assert page.status_code == 200
    assert f'活动签到码：<strong class="venue-code">{code}</strong>' in page.text
    assert f'Venue code: <strong class="venue-code">{code}</strong>' in english.text
