"""The volunteer's own profile through the JSON API: reading it, every field's checks (problem JSON
422 in the reader's language, nothing saved), pause and resume through the volunteer machine,
and that nobody but the volunteer can read or change it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.context import ActionContext
from service.errors import Conflict
from service.models import AuditEntry, AvailabilityWindow, BlackoutDate, Event, Volunteer
from service.vocab import VolunteerStatus
from service.volunteers import service
from tests.service.auth.helpers import client_for

URL = "/api/v1/me/volunteer-profile"
EN = {"Accept-Language": "en"}


async def _volunteer(session, volunteer_id) -> Volunteer:
    session.expire_all()
    return await session.get(Volunteer, volunteer_id)


def _refused(response, status: int, code: str, field: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    if field is not None:
        assert body["field"] == field
    return body


# ---------------------------------------------------------------- reading


async def test_a_volunteer_reads_their_own_profile(world, me):
    response = await me.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["volunteer_id"] == world.volunteers["李明"]
    assert body["status"] == "active"
    assert (
        body["home"]["community_name"] == "海岸社区" and body["home"]["street_name"] == "向阳街道"
    )
    assert body["home"]["lat"] == pytest.approx(37.5465)
    assert body["radius_km"] == 5.0
    assert body["skills"] == [
        {"id": world.skills["cpr"], "name": "心肺复苏", "domain_id": world.skills["emergency"],
         "domain_name": "应急"}
    ]  # fmt: skip
    assert body["windows"] == [] and body["blackout_dates"] == []


async def test_nobody_else_reads_or_changes_the_profile(world, login, app, session):
    anonymous = client_for(app)
    assert (await anonymous.get(URL)).status_code == 401
    assert (await anonymous.put(f"{URL}/skills", json={"skill_ids": []})).status_code in (401, 403)
    await anonymous.aclose()
    for who in ("worker",):
        other = await login(world.users[who])
        assert (await other.get(URL)).status_code == 403
        refused = await other.put(f"{URL}/skills", json={"skill_ids": [world.skills["aed"]]})
        assert refused.status_code == 403
        assert (await other.post(f"{URL}/pause")).status_code == 403
    admin = await login(world.users["admin"])  # passes the gate, but has no profile of their own
    _refused(await admin.get(URL), 403, "no_volunteer_profile")
    _refused(await admin.post(f"{URL}/pause"), 403, "no_volunteer_profile")
    # Another volunteer acts on their own profile only: 李明's stays as it was.
    zhao = await login(world.users["赵敏"])
    changed = await zhao.put(f"{URL}/skills", json={"skill_ids": [world.skills["aed"]]})
    assert changed.json()["volunteer_id"] == world.volunteers["赵敏"]
    mine = await (await login(world.users["李明"])).get(URL)
    assert [s["id"] for s in mine.json()["skills"]] == [world.skills["cpr"]]


async def test_a_non_volunteer_is_refused_in_english_too(world, login):
    worker = await login(world.users["worker"], **EN)
    body = (await worker.get(URL)).json()
    assert body["status"] == 403 and body["detail"].isascii() and body["detail"]


# ---------------------------------------------------------------- home, radius, bio


async def test_choosing_only_a_community_puts_the_home_at_its_centre(world, me, session):
    response = await me.patch(URL, json={"home_area_id": world.areas["near"]})
    assert response.status_code == 200, response.text
    volunteer = await _volunteer(session, world.volunteers["李明"])
    assert volunteer.home_area_id == world.areas["near"]
    assert (volunteer.home_lat, volunteer.home_lng) == (37.548, 121.42)


async def test_a_point_inside_the_district_is_kept(world, me, session):
    body = {"home_area_id": world.areas["far"], "lat": 37.521, "lng": 121.331, "radius_km": 3}
    response = await me.patch(URL, json=body)
    assert response.status_code == 200, response.text
    volunteer = await _volunteer(session, world.volunteers["李明"])
    assert (volunteer.home_lat, volunteer.home_lng, volunteer.radius_km) == (37.521, 121.331, 3)
    audit = (await session.scalars(sa.select(AuditEntry))).all()
    assert audit[-1].detail == {"volunteer_id": volunteer.id, "profile": ["home", "radius_km"]}


async def test_home_checks(world, me, session):
    outside = await me.patch(URL, json={"lat": 39.9, "lng": 116.4})  # Beijing
    body = _refused(outside, 422, "home_outside_district", "lat")
    assert "芝罘区" in body["detail"]
    english = await me.patch(URL, json={"lat": 39.9, "lng": 116.4}, headers=EN)
    assert "outside 芝罘区" in english.json()["detail"]
    _refused(await me.patch(URL, json={"lat": 37.54}), 422, "half_location", "lat")
    street = await me.patch(URL, json={"home_area_id": world.areas["east"]})
    _refused(street, 422, "unknown_community", "home_area_id")
    _refused(await me.patch(URL, json={"home_area_id": 999999}), 422, "unknown_community")
    assert (await me.patch(URL, json={"lat": 91, "lng": 121})).status_code == 422
    assert (await me.patch(URL, json={"home_area_id": 0})).status_code == 422
    assert (await me.patch(URL, json={"colour": "red"})).status_code == 422
    volunteer = await _volunteer(session, world.volunteers["李明"])
    assert (volunteer.home_area_id, volunteer.home_lat) == (world.areas["home"], 37.5465)


async def test_radius_and_bio_checks(world, me, session):
    for bad in (0, -1, 200.5, 1e9):
        body = _refused(await me.patch(URL, json={"radius_km": bad}), 422, "radius_range")
        assert body["field"] == "radius_km" and "200" in body["detail"]
    english = await me.patch(URL, json={"radius_km": 0}, headers=EN)
    assert english.json()["detail"].startswith("How far you will go")
    nan = await me.patch(
        URL, content='{"radius_km": NaN}', headers={"Content-Type": "application/json"}
    )
    assert nan.status_code == 422
    assert (await me.patch(URL, json={"bio": "x" * 501})).status_code == 422
    assert (await me.patch(URL, json={"bio": "a\x00b"})).status_code == 422
    ok = await me.patch(URL, json={"radius_km": 200, "bio": "退休护士\n会讲急救"})
    assert ok.status_code == 200 and ok.json()["radius_km"] == 200
    assert ok.json()["bio"] == "退休护士\n会讲急救"


# ---------------------------------------------------------------- skills


async def test_skills_are_replaced_and_unknown_or_retired_ones_refused(world, me):
    ids = [world.skills["aed"], world.skills["phone"], world.skills["aed"]]
    response = await me.put(f"{URL}/skills", json={"skill_ids": ids})
    assert response.status_code == 200
    assert [s["name"] for s in response.json()["skills"]] == ["AED 使用", "智能手机使用"]
    for bad in ("retired", "emergency"):  # retired, or a domain rather than a skill
        refused = await me.put(f"{URL}/skills", json={"skill_ids": [world.skills[bad]]})
        body = _refused(refused, 422, "unknown_skill", "skill_ids")
        assert str(world.skills[bad]) in body["detail"]
    _refused(await me.put(f"{URL}/skills", json={"skill_ids": [999999]}), 422, "unknown_skill")
    english = await me.put(f"{URL}/skills", json={"skill_ids": [999999]}, headers=EN)
    assert "no longer offered" in english.json()["detail"]
    assert (await me.put(f"{URL}/skills", json={"skill_ids": ["x"]})).status_code == 422
    assert (await me.put(f"{URL}/skills", json={"skill_ids": [2**40]})).status_code == 422
    assert [s["name"] for s in (await me.get(URL)).json()["skills"]] == ["AED 使用", "智能手机使用"]
    cleared = await me.put(f"{URL}/skills", json={"skill_ids": []})
    assert cleared.json()["skills"] == []


# ---------------------------------------------------------------- availability


def _windows(*triples):
    return {"windows": [{"weekday": d, "start": s, "end": e} for d, s, e in triples]}


async def test_availability_is_replaced(world, me, session):
    body = _windows((5, "08:00", "12:00"), (0, "18:30", "21:00"), (5, "12:00", "24:00"))
    response = await me.put(f"{URL}/availability", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["windows"] == [
        {"weekday": 0, "start": "18:30", "end": "21:00"},
        {"weekday": 5, "start": "08:00", "end": "12:00"},
        {"weekday": 5, "start": "12:00", "end": "24:00"},  # touching is not overlapping
    ]
    rows = (await session.scalars(sa.select(AvailabilityWindow))).all()
    assert sorted((r.weekday, r.start_minute, r.end_minute) for r in rows) == [
        (0, 1110, 1260), (5, 480, 720), (5, 720, 1440)
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("triples", "code", "field"),
    [
        (((1, "10:00", "12:00"), (1, "11:00", "13:00")), "window_overlap", "windows.1"),
        (((1, "10:00", "10:00"),), "window_order", "windows.0.end"),
        (((1, "12:00", "09:00"),), "window_order", "windows.0.end"),
        (((1, "9点", "10:00"),), "bad_time", "windows.0.start"),
        (((1, "09:00", "24:30"),), "bad_time", "windows.0.end"),
        (((1, "09:60", "10:00"),), "bad_time", "windows.0.start"),
        (((1, "25:00", "26:00"),), "bad_time", "windows.0.start"),
        (tuple((d % 7, f"{h:02d}:00", f"{h:02d}:30") for d in range(7) for h in range(8)),
         "too_many_windows", "windows"),
    ],
)  # fmt: skip
async def test_availability_checks(world, me, session, triples, code, field):
    await me.put(f"{URL}/availability", json=_windows((2, "08:00", "12:00")))
    body = _refused(await me.put(f"{URL}/availability", json=_windows(*triples)), 422, code, field)
    assert body["detail"]
    english = await me.put(f"{URL}/availability", json=_windows(*triples), headers=EN)
    assert not re.search("[\u4e00-\u9fff]", english.json()["detail"]) or code == "bad_time"
    windows = (await me.get(URL)).json()["windows"]
    assert windows == [{"weekday": 2, "start": "08:00", "end": "12:00"}]  # nothing saved


async def test_availability_shape_is_checked_by_the_schema(world, me):
    assert (
        await me.put(f"{URL}/availability", json=_windows((7, "08:00", "09:00")))
    ).status_code == 422
    assert (
        await me.put(f"{URL}/availability", json={"windows": [{"weekday": 1}]})
    ).status_code == 422
    assert (await me.put(f"{URL}/availability", json={"windows": "x"})).status_code == 422


# ---------------------------------------------------------------- blackout dates


async def test_blackout_dates_are_added_and_removed(world, me, session):
    for day in ("2026-12-24", "2026-11-23"):  # today is allowed
        assert (await me.post(f"{URL}/blackout-dates", json={"day": day})).status_code == 201
    body = (await me.get(URL)).json()
    assert body["blackout_dates"] == ["2026-11-23", "2026-12-24"]
    removed = await me.delete(f"{URL}/blackout-dates", params={"day": "2026-12-24"})
    assert removed.status_code == 200 and removed.json()["blackout_dates"] == ["2026-11-23"]
    missing = await me.delete(f"{URL}/blackout-dates", params={"day": "2026-12-24"})
    _refused(missing, 404, "blackout_missing")
    assert (await me.delete(f"{URL}/blackout-dates", params={"day": "soon"})).status_code == 422


async def test_blackout_date_checks(world, me, session):
    await me.post(f"{URL}/blackout-dates", json={"day": "2026-12-24"})
    cases = [
        ("2026-11-22", "blackout_past"),  # yesterday
        ("2027-11-24", "blackout_too_far"),  # a year and a day
        ("2026-12-24", "blackout_duplicate"),
    ]
    for day, code in cases:
        _refused(await me.post(f"{URL}/blackout-dates", json={"day": day}), 422, code, "day")
    english = await me.post(f"{URL}/blackout-dates", json={"day": "2026-11-22"}, headers=EN)
    assert english.json()["detail"].startswith("This day has already passed")
    assert (await me.post(f"{URL}/blackout-dates", json={"day": "2027-11-23"})).status_code == 201
    assert (await me.post(f"{URL}/blackout-dates", json={"day": "31.12."})).status_code == 422
    rows = (await session.scalars(sa.select(BlackoutDate.day))).all()
    assert sorted(d.isoformat() for d in rows) == ["2026-12-24", "2027-11-23"]


# ---------------------------------------------------------------- pause and resume


async def test_pause_and_resume_write_the_event_log(world, me, session):
    paused = await me.post(f"{URL}/pause")
    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert (await me.post(f"{URL}/pause")).json()["status"] == "paused"  # harmless twice
    resumed = await me.post(f"{URL}/resume")
    assert resumed.json()["status"] == "active"
    events = (
        await session.scalars(
            sa.select(Event).where(Event.entity == "volunteer").order_by(Event.id)
        )
    ).all()
    assert [(e.from_status, e.to_status) for e in events] == [
        ("active", "paused"), ("paused", "active")
    ]  # fmt: skip
    assert events[0].actor_user_id == world.users["李明"]


async def test_a_pending_volunteer_cannot_pause_or_resume(world, session, clock, settings):
    volunteer = await session.get(Volunteer, world.volunteers["赵敏"])
    volunteer.status = VolunteerStatus.pending
    await session.commit()
    from service.actor import Actor, RoleGrant
    from service.vocab import Role

    actor = Actor(
        user_id=world.users["赵敏"],
        grants=(RoleGrant(Role.volunteer),),
        volunteer_id=world.volunteers["赵敏"],
    )
    ctx = ActionContext(actor=actor, now=clock.now(), settings=settings)
    for move in (service.resume, service.pause):
        with pytest.raises(Conflict) as refused:
            await move(session, ctx)
        assert refused.value.code == "pending_approval"
    await session.rollback()
    assert (await _volunteer(session, volunteer.id)).status == VolunteerStatus.pending
