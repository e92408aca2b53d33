"""Confirming completion: who may be named present, and when an activity may be confirmed.

Two bugs this file pins down:

* naming a volunteer who had checked in as present answered a 422 saying they had "no acceptance
  waiting for confirmation" — the attendance list shows every volunteer's id, and the API
  refused the very ids it listed;
* an activity could be confirmed as completed while it was still running (right after its start),
  which closed everybody's hours early and sent the residents' rating codes too soon.
"""

from datetime import timedelta

import sqlalchemy as sa

from service.models import Offer, Order, RatingCode, ServiceRecord
from tests.factories import ZHIFU_LAT, ZHIFU_LNG
from tests.loop_helpers import staffed_order

NEAR = {"lat": ZHIFU_LAT + 0.001, "lng": ZHIFU_LNG}
ENGLISH = {"Accept-Language": "en"}


async def fresh(session, model, row_id):
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


async def count(session, model) -> int:
    await session.commit()
    return await session.scalar(sa.select(sa.func.count()).select_from(model))


def completion_url(order) -> str:
    return f"/api/v1/orders/{order.id}/completion"


# ---------------------------------------------------------------- who may be named present


async def test_volunteers_who_checked_in_may_be_named_present(client, session, clock):
    _, worker, order, [(v1, a1, o1), (v2, _, _)] = await staffed_order(
        session, starts_at=clock.now(), hours=2
    )
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    clock.advance(timedelta(hours=1, minutes=30))
    await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)
    clock.advance(timedelta(hours=1))
    roster = (await client.get(f"/api/v1/orders/{order.id}/attendance", headers=worker)).json()
    shown = [item["volunteer_id"] for item in roster["items"]]
    assert shown == [v1.id, v2.id]
    # The worker ticks the one who came, as the attendance list shows them.
    done = await client.post(
        completion_url(order), json={"present_volunteer_ids": [v1.id]}, headers=worker
    )
    assert done.status_code == 200, done.text
    [record] = done.json()["service_records"]
    # Hours come from the check-in and check-out, not from the scheduled time.
    assert record["volunteer_id"] == v1.id and record["hours"] == 1.5 and record["flags"] == []
    assert done.json()["no_show_volunteer_ids"] == [v2.id]


async def test_a_volunteer_not_on_the_order_is_refused_in_words_that_say_so(client, session, clock):
    _, worker, order, [(v1, _, _)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    clock.advance(timedelta(hours=3))
    stranger_id = v1.id + 1000
    body = {"present_volunteer_ids": [stranger_id, v1.id]}
    refused = await client.post(completion_url(order), json=body, headers=worker)
    assert refused.status_code == 422
    detail = refused.json()["detail"]
    assert "没有接这个活动" in detail and str(stranger_id) in detail
    assert "待确认" not in detail and "[" not in detail  # no misleading reason, no Python list
    english = await client.post(completion_url(order), json=body, headers={**worker, **ENGLISH})
    assert "did not accept this activity" in english.json()["detail"]
    assert (await fresh(session, Order, order.id)).status == "staffed"  # nothing changed


async def test_a_volunteer_cannot_be_both_present_and_absent(client, session, clock):
    _, worker, order, [(v1, _, _)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    clock.advance(timedelta(hours=3))
    body = {"present_volunteer_ids": [v1.id], "absent_volunteer_ids": [v1.id]}
    refused = await client.post(completion_url(order), json=body, headers=worker)
    assert refused.status_code == 422 and "既" in refused.json()["detail"]


async def test_the_worker_may_mark_a_checked_in_volunteer_absent_and_correct_hours(
    client, session, clock
):
    _, worker, order, people = await staffed_order(
        session, starts_at=clock.now(), volunteers=3, hours=2
    )
    (v1, a1, o1), (v2, a2, o2), (v3, _, _) = people
    for offer, auth in ((o1, a1), (o2, a2)):
        await client.post(f"/api/v1/offers/{offer.id}/check-in", json=NEAR, headers=auth)
    clock.advance(timedelta(hours=3))
    body = {
        "present_volunteer_ids": [v3.id],
        "absent_volunteer_ids": [v2.id],  # checked in by mistake, never served
        "hours": [{"volunteer_id": v1.id, "hours": 2.5}, {"volunteer_id": v3.id, "hours": 1}],
    }
    done = await client.post(completion_url(order), json=body, headers=worker)
    assert done.status_code == 200, done.text
    records = {r["volunteer_id"]: r for r in done.json()["service_records"]}
    assert records[v1.id]["hours"] == 2.5
    assert records[v1.id]["flags"] == ["auto_checkout", "hours_adjusted"]
    assert records[v3.id]["hours"] == 1.0
    assert records[v3.id]["flags"] == ["confirmed_without_checkin", "hours_adjusted"]
    assert done.json()["no_show_volunteer_ids"] == [v2.id]
    assert (await fresh(session, Offer, o2.id)).status == "no_show"


async def test_hours_only_for_volunteers_who_were_there(client, session, clock):
    _, worker, order, [(v1, _, _)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    clock.advance(timedelta(hours=3))
    body = {"hours": [{"volunteer_id": v1.id, "hours": 2}]}  # v1 never checked in, not named
    refused = await client.post(completion_url(order), json=body, headers=worker)
    assert refused.status_code == 422 and refused.json()["field"] == "hours"
    too_long = {"present_volunteer_ids": [v1.id], "hours": [{"volunteer_id": v1.id, "hours": 25}]}
    assert (
        await client.post(completion_url(order), json=too_long, headers=worker)
    ).status_code == 422


# ---------------------------------------------------------------- when an activity may be confirmed


async def test_completion_while_the_activity_is_running_is_refused(client, session, clock):
    _, worker, order, [(_, a1, o1), (_, a2, o2)] = await staffed_order(
        session, starts_at=clock.now(), hours=2
    )
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    await client.post(f"/api/v1/offers/{o2.id}/check-in", json=NEAR, headers=a2)
    clock.advance(timedelta(minutes=30))
    await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)  # o2 is still there
    refused = await client.post(completion_url(order), json={}, headers=worker)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "not_ended"
    # 02:00 UTC + 2 h is 12:00 in Shanghai.
    assert "2026-11-23 12:00" in refused.json()["detail"] and "签退" in refused.json()["detail"]
    english = await client.post(completion_url(order), json={}, headers={**worker, **ENGLISH})
    assert english.status_code == 409 and "checked out" in english.json()["detail"]
    # Nothing moved: the activity runs on, nobody's hours are closed, no codes exist yet.
    assert (await fresh(session, Order, order.id)).status == "in_progress"
    assert (await fresh(session, Offer, o2.id)).status == "checked_in"
    assert await count(session, ServiceRecord) == 0 and await count(session, RatingCode) == 0


async def test_an_activity_that_ended_early_may_be_confirmed_once_everyone_checked_out(
    client, session, clock
):
    _, worker, order, [(_, a1, o1), (v2, _, _)] = await staffed_order(
        session, starts_at=clock.now(), hours=2
    )
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    clock.advance(timedelta(hours=1))
    await client.post(f"/api/v1/offers/{o1.id}/check-out", headers=a1)
    done = await client.post(completion_url(order), json={}, headers=worker)
    assert done.status_code == 200, done.text
    assert [r["hours"] for r in done.json()["service_records"]] == [1.0]
    assert done.json()["no_show_volunteer_ids"] == [v2.id]


async def test_without_any_check_in_the_worker_waits_for_the_scheduled_end(client, session, clock):
    _, worker, order, [(v1, _, _)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1, hours=2
    )
    clock.advance(timedelta(hours=1))
    body = {"present_volunteer_ids": [v1.id]}
    early = await client.post(completion_url(order), json=body, headers=worker)
    assert early.status_code == 409 and early.json()["code"] == "not_ended"
    clock.advance(timedelta(hours=1))  # the scheduled end
    done = await client.post(completion_url(order), json=body, headers=worker)
    assert done.status_code == 200 and done.json()["service_records"][0]["hours"] == 2.0


async def test_before_the_start_the_refusal_says_so(client, session, clock):
    _, worker, order, _ = await staffed_order(session, starts_at=clock.now() + timedelta(hours=1))
    early = await client.post(completion_url(order), json={}, headers=worker)
    assert early.status_code == 409 and early.json()["detail"] == "活动尚未开始，不能确认完成。"
