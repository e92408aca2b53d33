"""点单 through the API: submit, browse, upvote once, follow up, adopt, decline, merge."""

import asyncio
import logging

import pytest
import sqlalchemy as sa

from service.models import Demand, DemandUpvote, Event, Notification, Order, OrderSkill
from service.vocab import Role
from tests.factories import make_area, make_area_tree, make_skill
from tests.loop_helpers import texted_code, user_with_token

PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _texts(caplog):
    """Texted codes reach the log sender; tests read them from there."""
    caplog.set_level(logging.INFO, logger="kepu.notifications")


async def arrange(session):
    _, street, community = await make_area_tree(session)
    other = await make_area(session, parent=street, name="别的社区")
    worker, worker_auth = await user_with_token(session, (Role.worker, community.id, None))
    await session.commit()
    return community, other, worker, worker_auth


def demand_body(community_id, **fields):
    return {
        "community_id": community_id,
        "topic": "老年人防范电信诈骗讲座",
        "target_group": "elderly",
        "description": "最近有人接到冒充公检法的电话",
        "contact_name": "王阿姨",
        "contact_phone": PHONE,
        **fields,
    }


async def submit(client, community_id, headers=None, **fields):
    response = await client.post(
        "/api/v1/demands", json=demand_body(community_id, **fields), headers=headers or {}
    )
    assert response.status_code == 201, response.text
    return {**response.json()["demand"], "follow_up_code": response.json()["follow_up_code"]}


async def vote(client, caplog, demand_id, phone):
    """An anonymous 「我也想要」: the phone gets a code, the phone with the code votes."""
    url = f"/api/v1/demands/{demand_id}/upvotes"
    sent = await client.post(url, json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return await client.post(url, json={"phone": phone, "code": texted_code(caplog)})


async def test_anonymous_resident_submits_and_sees_it_listed(client, session):
    community, *_ = await arrange(session)
    demand = await submit(client, community.id)
    assert demand["status"] == "new" and demand["status_label"] == "待处理"
    assert "contact_phone" not in demand
    listed = (await client.get("/api/v1/demands", params={"community_id": community.id})).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == demand["id"]
    event = await session.scalar(sa.select(Event).where(Event.entity == "demand"))
    assert (event.from_status, event.to_status, event.actor_role) == (None, "new", "resident")


async def test_anonymous_submission_without_phone_is_refused(client, session):
    community, *_ = await arrange(session)
    body = demand_body(community.id)
    del body["contact_phone"]
    response = await client.post("/api/v1/demands", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "手机号" in response.json()["detail"]
    assert await session.scalar(sa.select(sa.func.count()).select_from(Demand)) == 0


async def test_bad_input_is_a_chinese_422(client, session):
    community, *_ = await arrange(session)
    for bad in (
        {"contact_phone": "12345"},
        {"topic": "a\x00b"},
        {"topic": "x" * 101},
        {"preferred_start": "2026-12-05T03:00:00Z", "preferred_end": "2026-12-05T01:00:00Z"},
    ):
        response = await client.post("/api/v1/demands", json=demand_body(community.id, **bad))
        assert response.status_code == 422, bad


async def test_a_demand_must_name_a_community(client, session):
    _, street, _ = await make_area_tree(session)
    await session.commit()
    response = await client.post("/api/v1/demands", json=demand_body(street.id))
    assert response.status_code == 422 and "社区" in response.json()["detail"]


async def test_upvote_counts_once_per_phone_and_per_user(client, session, caplog):
    community, _, _, worker_auth = await arrange(session)
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/upvotes"
    first = await vote(client, caplog, demand["id"], "13900000001")
    again = await vote(client, caplog, demand["id"], "139 0000 0001")  # same number, typed loosely
    other = await vote(client, caplog, demand["id"], "13900000002")
    user_vote = await client.post(url, json={}, headers=worker_auth)
    user_again = await client.post(url, json={"phone": "13900000003"}, headers=worker_auth)
    assert first.json() == {"demand_id": demand["id"], "upvotes": 1, "counted": True}
    assert again.json() == {"demand_id": demand["id"], "upvotes": 1, "counted": False}
    assert other.json()["upvotes"] == 2
    assert user_vote.json()["upvotes"] == 3 and user_again.json()["counted"] is False
    keys = list(await session.scalars(sa.select(DemandUpvote.voter_key)))
    assert not any("1390000000" in key for key in keys)  # phones are stored only as a hash


async def test_a_user_and_an_anonymous_vote_with_the_same_phone_count_once(client, session, caplog):
    community, _, worker, worker_auth = await arrange(session)
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/upvotes"
    logged_in = await client.post(url, json={}, headers=worker_auth)
    anonymous = await vote(client, caplog, demand["id"], worker.phone)
    assert logged_in.json()["counted"] is True
    assert anonymous.json() == {"demand_id": demand["id"], "upvotes": 1, "counted": False}


async def test_made_up_numbers_cannot_stuff_the_votes(client, session, settings):
    community, *_ = await arrange(session)
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/upvotes"
    answers = [
        await client.post(url, json={"phone": f"1390000{n:04d}", "code": "123456"})
        for n in range(50)
    ]
    statuses = [answer.status_code for answer in answers]
    assert 200 not in statuses and set(statuses) <= {422, 429}
    # Past the per-IP limit the attempts are refused outright, with a Chinese reason.
    assert statuses.count(422) == settings.phone_ip_max_attempts and statuses[-1] == 429
    assert "Retry-After" in answers[-1].headers and "频繁" in answers[-1].json()["detail"]
    assert (await client.get(f"/api/v1/demands/{demand['id']}")).json()["upvotes"] == 0


async def test_concurrent_upvotes_are_all_counted(client, session):
    community, *_ = await arrange(session)
    voters = [
        (await user_with_token(session, (Role.resident, None, None), name=f"居民{n}"))[1]
        for n in range(12)
    ]
    await session.commit()
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/upvotes"
    everyone_twice = voters * 2  # everyone votes twice, at once
    responses = await asyncio.gather(
        *(client.post(url, json={}, headers=auth) for auth in everyone_twice)
    )
    assert {r.status_code for r in responses} == {200}
    assert sum(r.json()["counted"] for r in responses) == 12
    assert (await client.get(f"/api/v1/demands/{demand['id']}")).json()["upvotes"] == 12


async def test_anonymous_upvote_needs_a_phone(client, session):
    community, *_ = await arrange(session)
    demand = await submit(client, community.id)
    response = await client.post(f"/api/v1/demands/{demand['id']}/upvotes", json={})
    assert response.status_code == 422


async def test_worker_adopts_into_a_linked_draft_order(client, session, clock):
    community, _, worker, worker_auth = await arrange(session)
    skill = await make_skill(session, name="电信诈骗识别")
    await session.commit()
    demand = await submit(
        client,
        community.id,
        skill_id=skill.id,
        preferred_start="2026-12-05T01:00:00Z",
        preferred_end="2026-12-05T03:00:00Z",
    )
    response = await client.post(
        f"/api/v1/demands/{demand['id']}/adopt",
        json={"venue_name": "社区活动室", "slots": 2},
        headers=worker_auth,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["demand"]["status"] == "adopted" and body["demand"]["order_id"] == body["order_id"]
    assert body["demand"]["contact_phone_masked"] == "138****5678"
    order = await session.get(Order, body["order_id"])
    assert (order.status, order.demand_id, order.slots) == ("draft", demand["id"], 2)
    assert order.title == "老年人防范电信诈骗讲座" and order.venue_lat == community.lat
    assert order.starts_at.isoformat() == "2026-12-05T01:00:00+00:00"
    assert await session.get(OrderSkill, (order.id, skill.id)) is not None
    events = (await session.scalars(sa.select(Event).order_by(Event.id))).all()
    assert [(e.entity, e.from_status, e.to_status) for e in events] == [
        ("demand", None, "new"),
        ("order", None, "draft"),
        ("demand", "new", "adopted"),
    ]
    assert events[-1].actor_user_id == worker.id and events[-1].actor_role == "worker"
    # Adopting twice is refused and changes nothing.
    again = await client.post(f"/api/v1/demands/{demand['id']}/adopt", json={}, headers=worker_auth)
    assert again.status_code == 409
    assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 1


async def test_a_worker_of_another_community_may_not_adopt(client, session):
    community, other, *_ = await arrange(session)
    _, stranger_auth = await user_with_token(session, (Role.worker, other.id, None))
    await session.commit()
    demand = await submit(client, community.id)
    response = await client.post(
        f"/api/v1/demands/{demand['id']}/adopt", json={}, headers=stranger_auth
    )
    assert response.status_code == 403 and "不负责" in response.json()["detail"]
    resident = await client.post(f"/api/v1/demands/{demand['id']}/adopt", json={})
    assert resident.status_code == 401


async def test_declined_demand_shows_the_reason_to_its_submitter_only(client, session):
    community, _, _, worker_auth = await arrange(session)
    demand = await submit(client, community.id)
    response = await client.post(
        f"/api/v1/demands/{demand['id']}/decline",
        json={"reason": "本月已安排同主题讲座，欢迎参加 12 月 5 日的活动。"},
        headers=worker_auth,
    )
    assert response.status_code == 200 and response.json()["status"] == "declined"
    url = f"/api/v1/demands/{demand['id']}/lookup"
    lookup = await client.post(url, json={"phone": PHONE, "code": demand["follow_up_code"]})
    assert lookup.status_code == 200
    assert lookup.json()["status_label"] == "未采纳"
    assert lookup.json()["decline_reason"].startswith("本月已安排")
    wrong = await client.post(url, json={"phone": "13900000009", "code": demand["follow_up_code"]})
    assert wrong.status_code == 404
    public = (await client.get(f"/api/v1/demands/{demand['id']}")).json()
    assert "decline_reason" not in public
    upvote = await client.post(
        f"/api/v1/demands/{demand['id']}/upvotes", json={"phone": "13900000001"}
    )
    assert upvote.status_code == 409


def _answer(response) -> tuple:
    body = response.json()
    for key in ("instance", "request_id"):
        body.pop(key, None)
    variable = {"date", "x-request-id", "content-length"}  # the instance path differs
    return (
        response.status_code,
        {k: v for k, v in response.headers.items() if k not in variable},
        body,
    )


async def test_lookup_without_the_code_answers_alike_for_known_and_unknown_phones(client, session):
    community, *_ = await arrange(session)
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/lookup"
    guess = "00000000" if demand["follow_up_code"] != "00000000" else "11111111"
    known = await client.post(url, json={"phone": PHONE, "code": guess})
    unknown = await client.post(url, json={"phone": "13900000009", "code": guess})
    nowhere = await client.post(
        "/api/v1/demands/999999/lookup", json={"phone": PHONE, "code": guess}
    )
    assert known.status_code == 404
    assert _answer(known) == _answer(unknown) == _answer(nowhere)
    assert known.content == unknown.content  # byte for byte
    bare = await client.post(url, json={"phone": PHONE})  # the phone alone is not enough
    assert bare.status_code == 422


async def test_lookups_are_throttled_per_demand(client, session, settings):
    community, *_ = await arrange(session)
    demand = await submit(client, community.id)
    url = f"/api/v1/demands/{demand['id']}/lookup"
    tries = [
        await client.post(url, json={"phone": f"1390000{n:04d}", "code": "00000000"})
        for n in range(settings.phone_target_max_attempts + 1)
    ]
    assert [t.status_code for t in tries[:-1]] == [404] * settings.phone_target_max_attempts
    assert tries[-1].status_code == 429 and int(tries[-1].headers["Retry-After"]) > 0
    # Even the right pair waits now: the limit is on the demand, not on being wrong.
    right = await client.post(url, json={"phone": PHONE, "code": demand["follow_up_code"]})
    assert right.status_code == 429


async def test_logged_in_submitter_is_notified_of_the_decision(client, session):
    community, _, _, worker_auth = await arrange(session)
    resident, resident_auth = await user_with_token(session, (Role.resident, None, None))
    await session.commit()
    body = demand_body(community.id)
    del body["contact_phone"]
    created = await client.post("/api/v1/demands", json=body, headers=resident_auth)
    assert created.status_code == 201
    demand_id = created.json()["demand"]["id"]
    await client.post(
        f"/api/v1/demands/{demand_id}/decline", json={"reason": "暂无场地"}, headers=worker_auth
    )
    note = await session.scalar(sa.select(Notification).where(Notification.user_id == resident.id))
    assert note.title == f"您的点单（编号 {demand_id}）未被采纳" and note.body == "暂无场地"


async def test_merging_moves_votes_and_the_submitter_to_the_target(client, session, caplog):
    community, other, _, worker_auth = await arrange(session)
    target = await submit(client, community.id)
    duplicate = await submit(client, community.id, contact_phone="13700000000")
    for phone in ("13900000001", "13900000002"):
        await vote(client, caplog, duplicate["id"], phone)
    await vote(client, caplog, target["id"], "13900000001")
    response = await client.post(
        f"/api/v1/demands/{duplicate['id']}/merge",
        json={"into_demand_id": target["id"]},
        headers=worker_auth,
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "merged"
    merged_target = (await client.get(f"/api/v1/demands/{target['id']}")).json()
    # 13900000001 voted on both (counted once), 13900000002, and the duplicate's submitter.
    assert merged_target["upvotes"] == 3
    # A vote on the merged duplicate lands on the target.
    late = await vote(client, caplog, duplicate["id"], "13900000004")
    assert late.json() == {"demand_id": target["id"], "upvotes": 4, "counted": True}
    elsewhere = await submit(client, other.id)
    refused = await client.post(
        f"/api/v1/demands/{elsewhere['id']}/merge",
        json={"into_demand_id": target["id"]},
        headers=worker_auth,
    )
    assert refused.status_code == 403


async def test_inbox_shows_only_the_workers_communities(client, session):
    community, other, _, worker_auth = await arrange(session)
    mine = await submit(client, community.id)
    await submit(client, other.id)
    inbox = await client.get("/api/v1/demands/inbox", headers=worker_auth)
    assert inbox.status_code == 200
    assert [item["id"] for item in inbox.json()["items"]] == [mine["id"]]
    assert inbox.json()["items"][0]["contact_name"] == "王阿姨"
    assert (await client.get("/api/v1/demands/inbox")).status_code == 401


async def test_coordinator_inbox_covers_their_street(client, session):
    district, street, community = await make_area_tree(session)
    elsewhere_street = await make_area(session, parent=district, name="别的街道")
    far = await make_area(session, parent=elsewhere_street, name="远处社区")
    _, auth = await user_with_token(session, (Role.coordinator, street.id, None))
    await session.commit()
    near = await submit(client, community.id)
    await submit(client, far.id)
    inbox = (await client.get("/api/v1/demands/inbox", headers=auth)).json()
    assert [item["id"] for item in inbox["items"]] == [near["id"]]


async def test_list_filters_and_sorts_by_popularity(client, session, caplog):
    community, *_ = await arrange(session)
    quiet = await submit(client, community.id, topic="天文观测", target_group="youth")
    popular = await submit(client, community.id)
    await vote(client, caplog, popular["id"], "13900000001")
    listed = (await client.get("/api/v1/demands")).json()
    assert [item["id"] for item in listed["items"]] == [popular["id"], quiet["id"]]
    youth = (await client.get("/api/v1/demands", params={"target_group": "youth"})).json()
    assert [item["id"] for item in youth["items"]] == [quiet["id"]]
    found = (await client.get("/api/v1/demands", params={"q": "天文"})).json()
    assert found["total"] == 1
    assert (await client.get("/api/v1/demands/999999")).status_code == 404


async def test_percent_and_underscore_in_the_search_are_literal_not_wildcards(client, session):
    community, *_ = await arrange(session)
    await submit(client, community.id, topic="天文观测", description="")
    discount = await submit(client, community.id, topic="手机使用 100% 入门", description="")
    snake = await submit(client, community.id, topic="编程课 hello_world", description="")
    for query, expected in (("%", [discount]), ("_", [snake]), ("\\", []), ("0%", [discount])):
        found = (await client.get("/api/v1/demands", params={"q": query})).json()
        assert [item["id"] for item in found["items"]] == [d["id"] for d in expected], query
