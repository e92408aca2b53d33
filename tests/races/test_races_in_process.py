"""The same race invariants in one process through the ASGI app, on SQLite (and PostgreSQL)."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

from service.background.worker import run_once
from tests.factories import bearer
from tests.races.world import seed_open_order, staffing_of


async def _fire(client, calls):
    start = asyncio.Event()

    async def one(method, url, headers, body):
        await start.wait()
        return await client.request(method, url, headers=headers, json=body)

    tasks = [asyncio.create_task(one(*call)) for call in calls]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)


async def test_many_volunteers_at_once_fill_exactly_the_slots(client, session, clock):
    world = await seed_open_order(session, volunteers=60, slots=5, now=clock.now())
    url = f"/api/v1/orders/{world.order_id}/accept"
    responses = await _fire(
        client, [("POST", url, bearer(t), None) for t in world.volunteer_tokens]
    )
    codes = Counter(r.status_code for r in responses)
    assert codes == {200: 5, 409: 55}, codes
    refusals = [r.json() for r in responses if r.status_code == 409]
    assert all(r["code"] == "order_full" and "已满" in r["detail"] for r in refusals)
    assert all(
        r.headers["content-type"].startswith("application/problem+json")
        for r in responses
        if r.status_code == 409
    )
    assert await staffing_of(session, world.order_id) == ("staffed", 5, 5)


async def test_accepting_twice_returns_the_same_acceptance(client, session, clock):
    world = await seed_open_order(session, volunteers=1, slots=3, now=clock.now())
    url = f"/api/v1/orders/{world.order_id}/accept"
    token = world.volunteer_tokens[0]
    responses = await _fire(client, [("POST", url, bearer(token), None)] * 4)
    assert {r.status_code for r in responses} == {200}
    assert len({r.json()["id"] for r in responses}) == 1
    assert await staffing_of(session, world.order_id) == ("published", 1, 1)


async def test_accept_racing_cancel_on_the_last_slot_never_leaves_an_acceptance(
    client, session, clock
):
    world = await seed_open_order(session, volunteers=2, slots=2, now=clock.now())
    accept = f"/api/v1/orders/{world.order_id}/accept"
    first = await client.post(accept, headers=bearer(world.volunteer_tokens[0]))
    assert first.status_code == 200
    responses = await _fire(
        client,
        [
            ("POST", accept, bearer(world.volunteer_tokens[1]), None),
            (
                "POST",
                f"/api/v1/orders/{world.order_id}/cancel",
                bearer(world.worker_token),
                {"reason": "场地临时关闭"},
            ),
        ],
    )
    accepted, cancelled = responses
    assert cancelled.status_code == 200, cancelled.text
    assert accepted.status_code in (200, 409), accepted.text
    if accepted.status_code == 409:
        assert "已取消" in accepted.json()["detail"]
    session.expire_all()
    assert await staffing_of(session, world.order_id) == ("cancelled", 0, 0)


async def test_accept_racing_the_expiry_sweep_on_the_last_slot(app, client, session, clock):
    deadline = clock.now() + timedelta(hours=1)
    world = await seed_open_order(
        session, volunteers=2, slots=2, now=clock.now(), accept_deadline=deadline
    )
    accept = f"/api/v1/orders/{world.order_id}/accept"
    assert (await client.post(accept, headers=bearer(world.volunteer_tokens[0]))).status_code == 200
    start = asyncio.Event()

    async def sweep():
        await start.wait()
        return await run_once(app.state.sessionmaker, app.state.settings, deadline)

    async def late_accept():
        await start.wait()
        return await client.post(accept, headers=bearer(world.volunteer_tokens[1]))

    tasks = [asyncio.create_task(sweep()), asyncio.create_task(late_accept())]
    await asyncio.sleep(0)
    start.set()
    report, response = await asyncio.gather(*tasks)
    assert report.errors == []
    session.expire_all()
    status, count, rows = await staffing_of(session, world.order_id)
    assert count == rows
    if response.status_code == 200:
        assert (status, count) == ("staffed", 2) and report.orders_expired == 0
    else:
        assert response.status_code == 409 and "截止" in response.json()["detail"]
        assert (status, count) == ("expired", 1)
