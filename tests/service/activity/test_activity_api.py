"""The activity day through the API: check-in/out, geofence flags, forgotten check-outs, completion."""

from datetime import timedelta

import sqlalchemy as sa

from service.activity.service import close_forgotten_checkouts, distance_to_venue
from service.actor import ANONYMOUS
from service.context import ActionContext
from service.evaluations.codes import ALPHABET
from service.models import Event, Notification, Offer, Order, RatingCode, ServiceRecord, Volunteer
from service.vocab import Role
from tests.factories import ZHIFU_LAT, ZHIFU_LNG, make_area
from tests.loop_helpers import staffed_order, user_with_token

NEAR = {"lat": ZHIFU_LAT + 0.001, "lng": ZHIFU_LNG}  # ~111 m north of the venue
FAR = {"lat": ZHIFU_LAT + 0.01, "lng": ZHIFU_LNG}  # ~1.1 km


async def fresh(session, model, row_id):
    """The committed row now (ending the read snapshot first, which SQLite WAL would keep)."""
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


async def count(session, model) -> int:
    await session.commit()
    return await session.scalar(sa.select(sa.func.count()).select_from(model))


async def test_check_in_near_the_venue_starts_the_order(client, session, clock):
    _, _, order, [(_, auth, offer), _] = await staffed_order(
        session, starts_at=clock.now() + timedelta(minutes=30)
    )
    response = await client.post(f"/api/v1/offers/{offer.id}/check-in", json=NEAR, headers=auth)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "checked_in" and body["flags"] == []
    assert body["checked_in_at"] == "2026-11-23T02:00:00Z" and body["message"] == "签到成功。"
    assert 100 < body["distance_m"] < 125
    assert (await fresh(session, Order, order.id)).status == "in_progress"
    await session.commit()
    events = (await session.scalars(sa.select(Event).order_by(Event.id))).all()
    assert [(e.entity, e.from_status, e.to_status) for e in events] == [
        ("offer", "accepted", "checked_in"),
        ("order", "staffed", "in_progress"),
    ]
    # Checking in again is harmless: same time, no new event.
    clock.advance(timedelta(minutes=5))
    again = await client.post(f"/api/v1/offers/{offer.id}/check-in", json=FAR, headers=auth)
    assert again.status_code == 200 and again.json()["checked_in_at"] == body["checked_in_at"]
    assert again.json()["message"] == "您已签到。"
    assert await count(session, Event) == 2


async def test_second_volunteer_check_in_leaves_the_order_running(client, session, clock):
    _, _, order, [(_, a1, o1), (_, a2, o2)] = await staffed_order(
        session, starts_at=clock.now() + timedelta(minutes=30)
    )
    assert (await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)).is_success
    second = await client.post(f"/api/v1/offers/{o2.id}/check-in", json=NEAR, headers=a2)
    assert second.status_code == 200
    assert (await fresh(session, Order, order.id)).status == "in_progress"


async def test_far_or_unlocated_check_ins_count_only_after_a_workers_confirmation(
    client, session, clock
):
    _, worker_auth, order, [(v1, a1, o1), (v2, a2, o2)] = await staffed_order(
        session, starts_at=clock.now()
    )
    away = {"lat": ZHIFU_LAT + 9.0, "lng": ZHIFU_LNG}  # ~1,000 km north of the venue
    far = await client.post(f"/api/v1/offers/{o1.id}/check-in", json=away, headers=a1)
    assert far.status_code == 200, far.text
    assert far.json()["status"] == "accepted"
    assert far.json()["flags"] == ["outside_geofence", "pending_confirmation"]
    assert far.json()["distance_m"] > 990_000 and "确认后才计入" in far.json()["message"]
    blind = await client.post(f"/api/v1/offers/{o2.id}/check-in", json={}, headers=a2)
    assert blind.json()["flags"] == ["no_location", "pending_confirmation"]
    assert blind.json()["status"] == "accepted" and blind.json()["distance_m"] is None
    assert (await fresh(session, Order, order.id)).status == "staffed"  # nothing counts yet
    out = await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)
    assert out.status_code == 409 and out.json()["code"] == "check_in_pending"

    other = await make_area(session, name="别的社区")
    _, stranger = await user_with_token(session, (Role.worker, other.id, None))
    await session.commit()
    url = f"/api/v1/offers/{o1.id}/confirm-check-in"
    for refused_auth in (stranger, a1):  # another community's worker; the volunteer themself
        assert (await client.post(url, headers=refused_auth)).status_code == 403
    clock.advance(timedelta(minutes=20))
    confirmed = await client.post(url, headers=worker_auth)
    assert confirmed.status_code == 200, confirmed.text
    body = confirmed.json()
    assert body["status"] == "checked_in" and body["checked_in_at"] == far.json()["checked_in_at"]
    assert body["flags"] == ["outside_geofence", "check_in_confirmed"]
    assert (await client.post(url, headers=worker_auth)).json() == body  # confirming again
    assert (await fresh(session, Order, order.id)).status == "in_progress"

    clock.advance(timedelta(hours=3))
    done = await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    assert done.status_code == 200, done.text
    assert done.json()["no_show_volunteer_ids"] == [v2.id]  # never confirmed: never counted
    [record] = done.json()["service_records"]
    assert record["volunteer_id"] == v1.id and record["hours"] == 2.0


async def test_a_check_in_with_nothing_pending_cannot_be_confirmed(client, session, clock):
    _, worker_auth, _, [(_, a1, o1)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    url = f"/api/v1/offers/{o1.id}/confirm-check-in"
    nothing = await client.post(url, headers=worker_auth)
    assert nothing.status_code == 409 and nothing.json()["code"] == "no_pending_check_in"
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    counted = await client.post(url, headers=worker_auth)
    assert counted.status_code == 409 and counted.json()["detail"] == "该志愿者没有待确认的签到。"
    missing = await client.post(
        f"/api/v1/offers/{o1.id + 1000}/confirm-check-in", headers=worker_auth
    )
    assert missing.status_code == 404


async def test_check_in_opens_30_minutes_before_the_start_and_says_when(client, session, clock):
    *_, [(_, auth, offer)] = await staffed_order(
        session, starts_at=clock.now() + timedelta(hours=3), volunteers=1
    )
    url = f"/api/v1/offers/{offer.id}/check-in"
    early = await client.post(url, json=NEAR, headers=auth)
    assert early.status_code == 409 and early.json()["code"] == "check_in_not_open"
    # 05:00 UTC is 13:00 in Shanghai: the check-in opens at 12:30 local time.
    assert early.json()["detail"] == "签到将于 11月23日 12:30（活动开始前 30 分钟）开放。"
    clock.advance(timedelta(hours=2, minutes=29))
    assert (await client.post(url, json=NEAR, headers=auth)).status_code == 409
    clock.advance(timedelta(minutes=1))
    opened = await client.post(url, json=NEAR, headers=auth)
    assert opened.status_code == 200 and opened.json()["status"] == "checked_in"


async def test_hours_are_the_scheduled_time_between_check_in_and_check_out(client, session, clock):
    start = clock.now() + timedelta(minutes=30)
    _, worker_auth, order, [(v1, a1, o1), (v2, a2, o2)] = await staffed_order(
        session,
        starts_at=start,
        hours=2 / 60,  # a 2-minute activity
    )
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)  # 30 min early
    clock.advance(timedelta(minutes=10))
    await client.post(f"/api/v1/offers/{o2.id}/check-in", json=NEAR, headers=a2)
    clock.advance(timedelta(minutes=5))
    await client.post(f"/api/v1/offers/{o2.id}/check-out", headers=a2)  # left before the start
    clock.advance(timedelta(hours=2))
    await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)  # long after the end
    done = await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    assert done.status_code == 200, done.text
    records = {r["volunteer_id"]: r for r in done.json()["service_records"]}
    assert records[v1.id]["hours"] == 0.03  # 2 minutes, not 2 h 32 min
    assert records[v1.id]["started_at"] == "2026-11-23T02:30:00Z"
    assert records[v1.id]["ended_at"] == "2026-11-23T02:32:00Z"
    assert records[v2.id]["hours"] == 0.0  # never negative
    assert records[v2.id]["started_at"] == records[v2.id]["ended_at"] == "2026-11-23T02:30:00Z"
    # The volunteers' own check-in and check-out times are kept as they were.
    assert (await fresh(session, Offer, o1.id)).checked_out_at == clock.now()


def test_geofence_distance_is_geodesic():
    order = Order(venue_lat=ZHIFU_LAT, venue_lng=ZHIFU_LNG)
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert abs(distance_to_venue(order, ZHIFU_LAT + 0.001, ZHIFU_LNG) - 111.0) < 1.0


async def test_check_in_window_and_ownership(client, session, clock):
    _, worker_auth, _, [(_, a1, o1), (_, a2, _)] = await staffed_order(
        session, starts_at=clock.now() + timedelta(hours=3)
    )
    early = await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    assert early.status_code == 409 and "30 分钟" in early.json()["detail"]
    clock.advance(timedelta(hours=6))  # after the end
    late = await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    assert late.status_code == 409
    theirs = await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a2)
    assert theirs.status_code == 403
    worker = await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=worker_auth)
    assert worker.status_code == 403
    half = await client.post(f"/api/v1/offers/{o1.id}/check-in", json={"lat": 37.5}, headers=a1)
    assert half.status_code == 422


async def test_check_out_is_idempotent_and_needs_a_check_in(client, session, clock):
    _, _, _, [(_, auth, offer), (_, a2, o2)] = await staffed_order(session, starts_at=clock.now())
    premature = await client.post(f"/api/v1/offers/{o2.id}/check-out", headers=a2)
    assert premature.status_code == 409
    await client.post(f"/api/v1/offers/{offer.id}/check-in", json=NEAR, headers=auth)
    clock.advance(timedelta(minutes=90))
    out = await client.post(f"/api/v1/offers/{offer.id}/check-out", headers=auth)
    assert out.status_code == 200 and out.json()["checked_out_at"] == "2026-11-23T03:30:00Z"
    clock.advance(timedelta(minutes=10))
    again = await client.post(f"/api/v1/offers/{offer.id}/check-out", headers=auth)
    assert again.json()["checked_out_at"] == "2026-11-23T03:30:00Z"


async def test_forgotten_check_outs_close_at_the_order_end_flagged(app, client, session, clock):
    _, _, order, [(_, a1, o1), (_, a2, o2)] = await staffed_order(session, starts_at=clock.now())
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    await client.post(f"/api/v1/offers/{o2.id}/check-in", json=NEAR, headers=a2)
    clock.advance(timedelta(minutes=30))
    await client.post(f"/api/v1/offers/{o2.id}/check-out", headers=a2)
    ctx = ActionContext(actor=ANONYMOUS, now=clock.now(), settings=app.state.settings)
    async with app.state.sessionmaker() as sweep:
        assert await close_forgotten_checkouts(sweep, ctx) == 0  # not over yet
    later = ActionContext(
        actor=ANONYMOUS, now=order.ends_at + timedelta(hours=1), settings=app.state.settings
    )
    async with app.state.sessionmaker() as sweep:
        assert await close_forgotten_checkouts(sweep, later) == 1
        await sweep.commit()
    async with app.state.sessionmaker() as sweep:
        assert await close_forgotten_checkouts(sweep, later) == 0  # nothing left to close
    forgot, remembered = await fresh(session, Offer, o1.id), await fresh(session, Offer, o2.id)
    assert forgot.checked_out_at == order.ends_at and forgot.flags == ["auto_checkout"]
    assert remembered.flags == [] and remembered.checked_out_at == clock.now()


async def test_completion_records_hours_no_shows_counters_and_codes(client, session, clock):
    _, worker_auth, order, people = await staffed_order(
        session, starts_at=clock.now(), volunteers=3, hours=2
    )
    (v1, a1, o1), (v2, _, o2), (v3, _, o3) = people
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=FAR, headers=a1)
    await client.post(f"/api/v1/offers/{o1.id}/confirm-check-in", headers=worker_auth)
    clock.advance(timedelta(minutes=90))
    await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)
    clock.advance(timedelta(hours=1))
    response = await client.post(
        f"/api/v1/orders/{order.id}/completion",
        json={"present_volunteer_ids": [v3.id], "rating_codes": 25},
        headers=worker_auth,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed" and body["no_show_volunteer_ids"] == [v2.id]
    records = {r["volunteer_id"]: r for r in body["service_records"]}
    assert records[v1.id]["hours"] == 1.5
    assert records[v1.id]["flags"] == ["outside_geofence", "check_in_confirmed"]
    assert records[v3.id]["hours"] == 2.0 and records[v3.id]["flags"] == [
        "confirmed_without_checkin"
    ]
    codes = body["rating_codes"]
    assert len(codes) == len(set(codes)) == 25
    assert all(len(c) == 6 and set(c) <= set(ALPHABET) for c in codes)
    assert await count(session, RatingCode) == 25

    statuses = {o.id: (await fresh(session, Offer, o.id)).status for o in (o1, o2, o3)}
    assert statuses == {o1.id: "completed", o2.id: "no_show", o3.id: "completed"}
    counts = {
        v.id: ((row := await fresh(session, Volunteer, v.id)).completed_count, row.no_show_count)
        for v in (v1, v2, v3)
    }
    assert counts == {v1.id: (1, 0), v2.id: (0, 1), v3.id: (1, 0)}
    assert await count(session, ServiceRecord) == 2
    await session.commit()
    kinds = sorted(await session.scalars(sa.select(Notification.kind)))
    assert kinds == ["no_show", "service_recorded", "service_recorded"]
    roster = (await client.get(f"/api/v1/orders/{order.id}/attendance", headers=worker_auth)).json()
    assert {item["status"] for item in roster["items"]} == {"completed", "no_show"}

    again = await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    assert again.status_code == 409
    assert await count(session, ServiceRecord) == 2

    mine = (await client.get("/api/v1/me/service-records", headers=a1)).json()
    assert mine["total"] == 1 and mine["total_hours"] == 1.5
    assert mine["items"][0]["order_title"] == order.title


async def test_completion_closes_a_forgotten_check_out_at_the_end(client, session, clock):
    _, worker_auth, order, [(_, a1, o1)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1, hours=2
    )
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    clock.advance(timedelta(hours=5))
    body = (
        await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    ).json()
    assert body["service_records"][0]["hours"] == 2.0
    assert body["service_records"][0]["flags"] == ["auto_checkout"]


async def test_completion_refusals(client, session, clock):
    _, worker_auth, order, [(v1, _, _)] = await staffed_order(
        session, starts_at=clock.now() + timedelta(hours=1), volunteers=1
    )
    early = await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    assert early.status_code == 409 and early.json()["title"] == "操作无法完成"
    other = await make_area(session, name="别的社区")
    _, stranger = await user_with_token(session, (Role.worker, other.id, None))
    await session.commit()
    clock.advance(timedelta(hours=3))  # the scheduled end: only the volunteer ids are wrong now
    forbidden = await client.post(
        f"/api/v1/orders/{order.id}/completion", json={}, headers=stranger
    )
    assert forbidden.status_code == 403
    unknown = await client.post(
        f"/api/v1/orders/{order.id}/completion",
        json={"present_volunteer_ids": [v1.id + 1000]},
        headers=worker_auth,
    )
    assert unknown.status_code == 422
    assert (await fresh(session, Order, order.id)).status == "staffed"  # nothing changed
