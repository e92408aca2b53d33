"""Orders API: drafts with venues, scope, preview without private data, clear refusals."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.models import Order
from service.vocab import Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area,
    make_area_tree,
    make_skill,
    make_user,
    make_volunteer,
)


async def _setup(session):
    _, street, community = await make_area_tree(session)
    skill = await make_skill(session)
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    token = await make_api_token(session, user_id=worker.id)
    other = await make_user(session, roles=((Role.worker, street.id, None),))
    other_token = await make_api_token(session, user_id=other.id)
    await make_volunteer(session, home_area=community, skills=[skill], lat=37.55)
    await session.commit()
    return community.id, skill.id, token, other_token


def _draft(community_id, skill_id, clock, **extra):
    start = clock.now() + timedelta(days=2)
    return {
        "title": "社区急救培训",
        "community_id": community_id,
        "target_group": "elderly",
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=2)).isoformat(),
        "skill_ids": [skill_id],
        "venue_name": "测试社区",
        **extra,
    }


async def test_draft_with_gcj02_coordinates_is_stored_as_wgs84_and_previewed(
    client, session, clock
):
    community_id, skill_id, token, _ = await _setup(session)
    body = _draft(community_id, skill_id, clock, lat=37.5410, lng=121.4060, coord_system="gcj02")
    created = await client.post("/api/v1/orders", json=body, headers=bearer(token))
    assert created.status_code == 201, created.text
    order = created.json()
    assert order["status"] == "draft" and order["status_label"] == "草稿"
    assert abs(order["venue_lng"] - 121.4060) > 0.003  # GCJ-02 offset removed
    preview = await client.get(f"/api/v1/orders/{order['id']}/candidates", headers=bearer(token))
    assert preview.status_code == 200, preview.text
    data = preview.json()
    assert data["count"] == 1
    [candidate] = data["candidates"]
    assert "****" in candidate["phone_masked"] and "home_lat" not in candidate
    assert {p["code"] for p in candidate["parts"]} >= {"skill", "distance"}
    events = await client.get(f"/api/v1/orders/{order['id']}/events", headers=bearer(token))
    assert [(e["from_status"], e["to_status"]) for e in events.json()["items"]] == [(None, "draft")]


async def test_unknown_address_offline_is_a_clear_refusal(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    body = _draft(community_id, skill_id, clock, venue_address="不存在的地方")
    response = await client.post("/api/v1/orders", json=body, headers=bearer(token))
    assert response.status_code == 422
    assert "无法定位地址" in response.json()["detail"]


async def test_a_worker_of_another_area_cannot_see_or_publish(client, session, clock):
    community_id, skill_id, token, other_token = await _setup(session)
    order = (
        await client.post(
            "/api/v1/orders", json=_draft(community_id, skill_id, clock), headers=bearer(token)
        )
    ).json()
    for method, path in (("GET", ""), ("POST", "/publish")):
        response = await client.request(
            method,
            f"/api/v1/orders/{order['id']}{path}",
            headers=bearer(other_token),
            json={} if method == "POST" else None,
        )
        assert response.status_code == 403, response.text
    listed = await client.get("/api/v1/orders", headers=bearer(other_token))
    assert listed.json()["total"] == 0


async def test_publishing_twice_is_a_409_saying_why(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    order = (
        await client.post(
            "/api/v1/orders", json=_draft(community_id, skill_id, clock), headers=bearer(token)
        )
    ).json()
    url = f"/api/v1/orders/{order['id']}/publish"
    assert (
        await client.post(url, json={"dispatch_mode": "open"}, headers=bearer(token))
    ).status_code == 200
    again = await client.post(url, json={}, headers=bearer(token))
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert "不能变更为" in again.json()["detail"]


async def test_nul_bytes_are_refused(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    body = _draft(community_id, skill_id, clock, title="急救\x00培训")
    assert (
        await client.post("/api/v1/orders", json=body, headers=bearer(token))
    ).status_code == 422


async def test_a_draft_links_only_a_demand_of_its_own_community(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    elsewhere = await make_area(session, name="别的街道的社区")  # another street altogether
    await session.commit()
    phone = "13812345678"
    submitted, codes = [], []
    for area_id in (elsewhere.id, community_id):
        response = await client.post(
            "/api/v1/demands",
            json={
                "community_id": area_id,
                "topic": "老年人防范电信诈骗讲座",
                "target_group": "elderly",
                "contact_name": "王阿姨",
                "contact_phone": phone,
            },
        )
        assert response.status_code == 201, response.text
        submitted.append(response.json()["demand"]["id"])
        codes.append(response.json()["follow_up_code"])
    foreign, own = submitted
    foreign_code, own_code = codes
    missing = own + 1000
    refusals = set()
    for demand_id in (foreign, missing):
        body = _draft(community_id, skill_id, clock, demand_id=demand_id)
        response = await client.post("/api/v1/orders", json=body, headers=bearer(token))
        assert response.status_code == 422, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "demand_not_found"
        refusals.add(response.json()["detail"])
    assert len(refusals) == 1  # a foreign demand reads exactly like a missing one
    assert await session.scalar(sa.select(sa.func.count()).select_from(Order)) == 0
    lookup = await client.post(
        f"/api/v1/demands/{foreign}/lookup", json={"phone": phone, "code": foreign_code}
    )
    assert lookup.status_code == 200 and lookup.json()["order_id"] is None
    linked = await client.post(
        "/api/v1/orders",
        json=_draft(community_id, skill_id, clock, demand_id=own),
        headers=bearer(token),
    )
    assert linked.status_code == 201, linked.text
    lookup = await client.post(
        f"/api/v1/demands/{own}/lookup", json={"phone": phone, "code": own_code}
    )
    assert lookup.json()["order_id"] == linked.json()["id"]


async def test_a_venue_at_zero_zero_or_outside_china_is_refused(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    for lat, lng in ((0, 0), (48.8566, 2.3522), (-37.54, 121.40)):
        body = _draft(community_id, skill_id, clock, lat=lat, lng=lng)
        response = await client.post("/api/v1/orders", json=body, headers=bearer(token))
        assert response.status_code == 422, (lat, lng, response.text)
        assert "不在中国境内" in response.json()["detail"]


async def test_a_draft_must_start_near_now_and_last_at_most_a_week(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    now = clock.now()
    cases = {
        "早于当前时间一天以上": (now - timedelta(days=2), now - timedelta(days=2, hours=-2)),
        "2 年之后": (now + timedelta(days=800), now + timedelta(days=800, hours=2)),
        "最长 7 天": (now + timedelta(days=1), now + timedelta(days=9)),
    }
    for words, (start, end) in cases.items():
        body = _draft(community_id, skill_id, clock)
        body |= {"starts_at": start.isoformat(), "ends_at": end.isoformat()}
        response = await client.post("/api/v1/orders", json=body, headers=bearer(token))
        assert response.status_code == 422, (words, response.text)
        assert words in response.json()["detail"]
    ancient = _draft(community_id, skill_id, clock)
    ancient |= {"starts_at": "1970-01-01T08:00:00+08:00", "ends_at": "2100-01-01T08:00:00+08:00"}
    response = await client.post("/api/v1/orders", json=ancient, headers=bearer(token))
    assert response.status_code == 422
    week = _draft(community_id, skill_id, clock)
    start = now + timedelta(days=1)
    week |= {"starts_at": start.isoformat(), "ends_at": (start + timedelta(days=7)).isoformat()}
    assert (
        await client.post("/api/v1/orders", json=week, headers=bearer(token))
    ).status_code == 201


async def test_editing_a_draft_into_a_months_long_activity_is_refused(client, session, clock):
    community_id, skill_id, token, _ = await _setup(session)
    draft = _draft(community_id, skill_id, clock)
    order = (await client.post("/api/v1/orders", json=draft, headers=bearer(token))).json()
    later = (clock.now() + timedelta(days=60)).isoformat()
    response = await client.patch(
        f"/api/v1/orders/{order['id']}", json={"ends_at": later}, headers=bearer(token)
    )
    assert response.status_code == 422 and "最长 7 天" in response.json()["detail"]
