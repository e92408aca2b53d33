"""日历订阅: a personal secret .ics address; only its digest is stored; revoked keys are 404."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from icalendar import Calendar

from service.models import Offer, Volunteer
from service.tokens import hash_secret
from service.vocab import OfferStatus

FEED = re.compile(r'value="(https?://[^"]+/calendar/([A-Za-z0-9_-]+)\.ics)"')


async def _turn_on(me) -> tuple[str, str]:
    page = await me.post("/v/calendar")
    assert page.status_code == 201
    url, key = FEED.search(page.text).groups()
    return url, key


async def test_turning_the_feed_on_shows_the_address_once(world, me, session):
    off = await me.get("/v/calendar")
    assert off.status_code == 200 and "开通日历订阅" in off.text and "/calendar/" not in off.text
    url, key = await _turn_on(me)
    assert url.startswith("http://127.0.0.1:8000/calendar/")  # KEPU_PUBLIC_ORIGIN, never Host
    again = await me.get("/v/calendar")
    assert key not in again.text and "日历订阅已开通" in again.text
    stored = await session.scalar(
        sa.select(Volunteer.calendar_key_digest).where(Volunteer.id == world.volunteers["李老师"])
    )
    assert stored == hash_secret(key) and key not in stored


async def test_the_feed_lists_my_activities_with_their_time_zone(world, me, app, client, session):
    _, key = await _turn_on(me)
    other = await session.get(Offer, world.offers["other"])
    other.status = OfferStatus.accepted  # 王大爷's activity must not show in mine
    await session.commit()
    feed = await client.get(f"/calendar/{key}.ics")  # no cookie at all
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(feed.content)
    events = calendar.walk("VEVENT")
    assert [str(e["summary"]) for e in events] == ["老年人防跌倒讲座"]
    event = events[0]
    start = event.decoded("dtstart")
    assert str(start.tzinfo) == "Asia/Shanghai" and start.hour == 9
    assert event.decoded("dtend").hour == 11
    assert "海岸社区活动室" in str(event["location"])
    assert str(event["url"]).endswith(f"/v/activities/{world.offers['held']}")
    assert calendar.walk("VTIMEZONE")  # the zone travels with the feed
    assert "王大爷的邀请" not in feed.text and "社区急救知识讲座" not in feed.text  # not accepted


async def test_accepting_puts_the_activity_in_the_feed(world, me, client):
    _, key = await _turn_on(me)
    await me.post(f"/v/offers/{world.offers['invite']}/accept")
    feed = Calendar.from_ical((await client.get(f"/calendar/{key}.ics")).content)
    assert {str(e["summary"]) for e in feed.walk("VEVENT")} == {
        "老年人防跌倒讲座",
        "社区急救知识讲座",
    }


async def test_a_new_address_revokes_the_old_and_off_revokes_all(world, me, client):
    _, old = await _turn_on(me)
    _, new = await _turn_on(me)
    assert old != new
    assert (await client.get(f"/calendar/{old}.ics")).status_code == 404
    assert (await client.get(f"/calendar/{new}.ics")).status_code == 200
    off = await me.post("/v/calendar/off")
    assert off.status_code == 303 and off.headers["location"] == "/v/calendar?done=off"
    assert (await client.get(f"/calendar/{new}.ics")).status_code == 404
    page = await me.get("/v/calendar?done=off")
    assert "已停用" in page.text


async def test_unknown_or_malformed_keys_are_not_found(world, client):
    for key in ("x", "A" * 32, "a" * 101, "..%2F"):
        response = await client.get(f"/calendar/{key}.ics")
        assert response.status_code == 404, key
    assert (await client.get("/calendar/%00.ics")).status_code == 422  # the input guard


async def test_the_feed_keeps_to_its_window(world, me, client, session, clock):
    _, key = await _turn_on(me)
    held = await session.get(Offer, world.offers["held"])
    assert held is not None
    clock.advance(timedelta(days=40))  # the held activity ended more than 30 days ago
    feed = Calendar.from_ical((await client.get(f"/calendar/{key}.ics")).content)
    assert feed.walk("VEVENT") == []


async def test_the_calendar_page_in_english_and_as_a_fragment(world, me):
    english = await me.get("/v/calendar", headers={"Accept-Language": "en"})
    assert "<h1>Phone calendar</h1>" in english.text and "Turn on the calendar feed" in english.text
    fragment = await me.get("/v/calendar", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<h1>手机日历订阅</h1>" in fragment.text
