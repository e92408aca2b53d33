"""群众点单 → 社区派单 → 志愿队接单 → 群众评单, end to end through the HTTP API only.

Only the world (areas, a skill, accounts with tokens, volunteer profiles) is arranged in the
database; every step of the loop is a request by the role who would make it.
"""

import json
import logging
from datetime import timedelta

from service.notifications.senders import sign
from service.vocab import Role
from tests.e2e.conftest import SMS_SECRET
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.loop_helpers import texted_code, user_with_token

RESIDENT_PHONE = "13812345678"


async def arrange_world(session):
    _, street, community = await make_area_tree(session)
    skill = await make_skill(session, name="电信诈骗识别")
    _, worker = await user_with_token(session, (Role.worker, community.id, None), name="张老师")
    _, coordinator = await user_with_token(
        session, (Role.coordinator, street.id, None), name="科协李主任"
    )
    volunteers = {}
    for n, name in enumerate(["赵志愿", "钱志愿", "孙志愿"]):
        user = await make_user(
            session, name=name, phone=f"1370000000{n}", roles=((Role.volunteer, None, None),)
        )
        # Slightly different distances so the ranking is stable: 赵 closest, 孙 farthest.
        volunteer = await make_volunteer(
            session,
            home_area=community,
            skills=[skill],
            user=user,
            lat=community.lat + 0.002 * (n + 1),
            lng=community.lng,
        )
        volunteers[name] = {
            "id": volunteer.id,
            "phone": user.phone,
            "auth": bearer(await make_api_token(session, user_id=user.id)),
        }
    await session.commit()
    return community, skill, worker, coordinator, volunteers


def sms(payload: dict, *, at) -> dict:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(at.timestamp()))
    return {
        "content": body,
        "headers": {
            "Content-Type": "application/json",
            "X-Kepu-Timestamp": timestamp,
            "X-Kepu-Signature": sign(SMS_SECRET, timestamp, body),
        },
    }


async def ok(response, status=200):
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json()


async def my_offers(client, volunteer, status="offered"):
    page = await ok(
        await client.get("/api/v1/offers", params={"status": status}, headers=volunteer["auth"])
    )
    return page["items"]


async def test_the_whole_order_loop(client, session, clock, caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    community, skill, worker, coordinator, vols = await arrange_world(session)
    start = (clock.now() + timedelta(days=2)).replace(hour=1, minute=0)

    # 点单 — an anonymous resident asks; a neighbour says 「我也想要」.
    submitted = await ok(
        await client.post(
            "/api/v1/demands",
            json={
                "community_id": community.id,
                "skill_id": skill.id,
                "topic": "老年人防范电信诈骗讲座",
                "target_group": "elderly",
                "preferred_start": start.isoformat(),
                "preferred_end": (start + timedelta(hours=2)).isoformat(),
                "contact_name": "王阿姨",
                "contact_phone": RESIDENT_PHONE,
            },
        ),
        201,
    )
    demand_id = submitted["demand"]["id"]
    # A neighbour wants it too: the phone gets a code by SMS, the phone with the code votes.
    upvotes = f"/api/v1/demands/{demand_id}/upvotes"
    await ok(await client.post(upvotes, json={"phone": "13900000001"}), 202)
    vote = await ok(
        await client.post(upvotes, json={"phone": "13900000001", "code": texted_code(caplog)})
    )
    assert vote["upvotes"] == 1

    # 派单 — the worker finds it in the inbox, adopts it, and publishes the draft.
    inbox = await ok(await client.get("/api/v1/demands/inbox", headers=worker))
    assert [item["id"] for item in inbox["items"]] == [demand_id]
    adopted = await ok(
        await client.post(
            f"/api/v1/demands/{demand_id}/adopt",
            json={
                "venue_name": "社区活动室",
                "venue_lat": community.lat,
                "venue_lng": community.lng,
                "slots": 2,
            },
            headers=worker,
        ),
        201,
    )
    order_id = adopted["order_id"]
    published = await ok(
        await client.post(
            f"/api/v1/orders/{order_id}/publish", json={"dispatch_mode": "targeted"}, headers=worker
        )
    )
    assert published["status"] == "published" and published["demand_id"] == demand_id
    offers = await ok(await client.get(f"/api/v1/orders/{order_id}/offers", headers=worker))
    offered_to = {offer["volunteer_id"] for offer in offers if offer["status"] == "offered"}
    assert offered_to == {vols["赵志愿"]["id"], vols["钱志愿"]["id"]}  # the two best first
    assert await my_offers(client, vols["孙志愿"]) == []

    # 接单 — 赵 declines; the cascade asks 孙 at once. 钱 accepts in the app, 孙 by SMS.
    (zhao_offer,) = await my_offers(client, vols["赵志愿"])
    declined = await ok(
        await client.post(
            f"/api/v1/offers/{zhao_offer['id']}/decline",
            json={"reason": "当天要带孙子"},
            headers=vols["赵志愿"]["auth"],
        )
    )
    assert declined["status"] == "declined"
    (sun_offer,) = await my_offers(client, vols["孙志愿"])
    inbox_sun = await ok(
        await client.get("/api/v1/me/notifications", headers=vols["孙志愿"]["auth"])
    )
    assert any(n["payload"].get("offer_id") == sun_offer["id"] for n in inbox_sun["items"])
    (qian_offer,) = await my_offers(client, vols["钱志愿"])
    accepted = await ok(
        await client.post(
            f"/api/v1/offers/{qian_offer['id']}/accept", headers=vols["钱志愿"]["auth"]
        )
    )
    assert accepted["status"] == "accepted"
    reply = await ok(
        await client.post(
            "/api/v1/sms/inbound",
            **sms(
                {"phone": vols["孙志愿"]["phone"], "text": f"Y {sun_offer['id']}"}, at=clock.now()
            ),
        )
    )
    assert reply["outcome"] == "accepted" and reply["offer_id"] == sun_offer["id"]
    order = await ok(await client.get(f"/api/v1/orders/{order_id}", headers=worker))
    assert (order["status"], order["accepted_count"]) == ("staffed", 2)

    # The resident follows up with the phone number they left and the code shown at submission.
    follow_up = {"phone": RESIDENT_PHONE, "code": submitted["follow_up_code"]}
    progress = await ok(await client.post(f"/api/v1/demands/{demand_id}/lookup", json=follow_up))
    assert progress["status"] == "adopted" and progress["order_id"] == order_id

    # Activity day — 钱 checks in at the venue, 孙 without location; 钱 checks out, 孙 forgets.
    clock.current = start - timedelta(minutes=10)
    near = {"lat": community.lat + 0.0005, "lng": community.lng}
    qian_in = await ok(
        await client.post(
            f"/api/v1/offers/{qian_offer['id']}/check-in", json=near, headers=vols["钱志愿"]["auth"]
        )
    )
    assert qian_in["flags"] == []
    sun_in = await ok(
        await client.post(
            f"/api/v1/offers/{sun_offer['id']}/check-in", json={}, headers=vols["孙志愿"]["auth"]
        )
    )
    assert sun_in["flags"] == ["no_location", "pending_confirmation"]  # waits for the worker
    sun_confirmed = await ok(
        await client.post(f"/api/v1/offers/{sun_offer['id']}/confirm-check-in", headers=worker)
    )
    assert sun_confirmed["flags"] == ["no_location", "check_in_confirmed"]
    running = await ok(await client.get(f"/api/v1/orders/{order_id}", headers=worker))
    assert running["status"] == "in_progress"
    clock.current = start + timedelta(hours=1, minutes=50)
    await ok(
        await client.post(
            f"/api/v1/offers/{qian_offer['id']}/check-out", headers=vols["钱志愿"]["auth"]
        )
    )

    # The worker confirms completion the next morning: hours, flags, printable rating codes.
    clock.current = start + timedelta(hours=20)
    completion = await ok(
        await client.post(
            f"/api/v1/orders/{order_id}/completion", json={"rating_codes": 10}, headers=worker
        )
    )
    assert completion["status"] == "completed" and completion["no_show_volunteer_ids"] == []
    hours = {r["volunteer_id"]: (r["hours"], r["flags"]) for r in completion["service_records"]}
    assert hours == {
        vols["钱志愿"]["id"]: (1.83, []),  # from the start (not 10 minutes early) to 1:50
        vols["孙志愿"]["id"]: (2.0, ["no_location", "check_in_confirmed", "auto_checkout"]),
    }

    # 评单 — residents rate with the codes (no login, one rating per code) …
    codes = completion["rating_codes"]
    for code, stars in zip(codes[:3], (5, 4, 5), strict=True):
        await ok(await client.post("/api/v1/ratings", json={"code": code, "stars": stars}), 201)
    reused = await client.post("/api/v1/ratings", json={"code": codes[0], "stars": 1})
    assert reused.status_code == 409
    # … and the worker rates each volunteer; the last rating closes the loop.
    statuses = []
    for name, stars in (("钱志愿", 5), ("孙志愿", 4)):
        rated = await ok(
            await client.post(
                f"/api/v1/orders/{order_id}/volunteer-ratings",
                json={"volunteer_id": vols[name]["id"], "stars": stars},
                headers=worker,
            ),
            201,
        )
        statuses.append(rated["order_status"])
    assert statuses == ["completed", "evaluated"]

    # Volunteers see their hours; the coordinator sees the ratings and the whole trail.
    qian_hours = await ok(
        await client.get("/api/v1/me/service-records", headers=vols["钱志愿"]["auth"])
    )
    assert qian_hours["total_hours"] == 1.83
    sun_notes = await ok(
        await client.get("/api/v1/me/notifications", headers=vols["孙志愿"]["auth"])
    )
    assert any(n["kind"] == "service_recorded" for n in sun_notes["items"])
    summary = await ok(
        await client.get(f"/api/v1/orders/{order_id}/evaluations", headers=coordinator)
    )
    assert summary["resident_count"] == 3 and summary["resident_avg"] == 4.67
    assert summary["order_status"] == "evaluated"
    events = await ok(
        await client.get(
            f"/api/v1/orders/{order_id}/events", params={"limit": 100}, headers=coordinator
        )
    )
    order_trail = [
        (e["from_status"], e["to_status"]) for e in events["items"] if e["entity"] == "order"
    ]
    assert order_trail == [
        (None, "draft"),
        ("draft", "published"),
        ("published", "staffed"),
        ("staffed", "in_progress"),
        ("in_progress", "completed"),
        ("completed", "evaluated"),
    ]
