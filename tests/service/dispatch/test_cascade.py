"""Targeted dispatch: offers to the best, the next best after a decline or expiry, then the queue."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.background.worker import run_once
from service.models import Event, Offer, Order
from service.vocab import OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)


async def _world(session, clock, *, volunteers: int, slots: int = 1):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    staff = await make_api_token(session, user_id=worker.id)
    tokens = {}
    for n in range(volunteers):
        # Farther volunteers rank lower: volunteer 0 is the best candidate.
        volunteer = await make_volunteer(
            session, home_area=community, skills=[skill], lat=37.54 + 0.005 * n, radius_km=10
        )
        tokens[volunteer.id] = await make_api_token(session, user_id=volunteer.user_id)
    order = await make_order(
        session,
        community=community,
        starts_at=clock.now() + timedelta(days=2),
        skills=[skill],
        slots=slots,
    )
    await session.commit()
    return order.id, staff, tokens


async def _offers(session, order_id):
    await session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one per transaction)
    rows = await session.scalars(
        sa.select(Offer).where(Offer.order_id == order_id).order_by(Offer.id)
    )
    return [(o.volunteer_id, o.status) for o in rows]


async def test_publish_offers_the_best_then_decline_cascades_to_the_next(client, session, clock):
    order_id, staff, tokens = await _world(session, clock, volunteers=5)
    ids = list(tokens)
    response = await client.post(
        f"/api/v1/orders/{order_id}/publish", json={}, headers=bearer(staff)
    )
    assert response.status_code == 200, response.text
    # targeted_offer_count (3) outstanding offers for 1 slot, best first.
    assert await _offers(session, order_id) == [(v, "offered") for v in ids[:3]]
    mine = (await client.get("/api/v1/offers", headers=bearer(tokens[ids[0]]))).json()
    offer_id = mine["items"][0]["id"]
    assert "km" in mine["items"][0]["explanation"]
    declined = await client.post(
        f"/api/v1/offers/{offer_id}/decline",
        json={"reason": "当天有课"},
        headers=bearer(tokens[ids[0]]),
    )
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined", declined.text
    assert (ids[3], "offered") in await _offers(session, order_id)
    second = (await client.get("/api/v1/offers", headers=bearer(tokens[ids[1]]))).json()["items"][0]
    accepted = await client.post(
        f"/api/v1/offers/{second['id']}/accept", headers=bearer(tokens[ids[1]])
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    statuses = dict(await _offers(session, order_id))
    assert statuses[ids[1]] == "accepted" and statuses[ids[2]] == "withdrawn"  # full: pulled
    events = (await client.get(f"/api/v1/orders/{order_id}/events", headers=bearer(staff))).json()
    transitions = [(e["entity"], e["from_status"], e["to_status"]) for e in events["items"]]
    assert ("order", "published", "staffed") in transitions
    assert events["total"] == await session.scalar(
        sa.select(sa.func.count()).select_from(Event).where(Event.order_id == order_id)
    )


async def test_expired_offers_cascade_and_an_exhausted_order_goes_to_the_queue(
    app, client, session, clock
):
    order_id, staff, _tokens = await _world(session, clock, volunteers=4)
    await client.post(f"/api/v1/orders/{order_id}/publish", json={}, headers=bearer(staff))
    later = clock.now() + timedelta(minutes=app.state.settings.offer_expiry_minutes + 1)
    report = await run_once(app.state.sessionmaker, app.state.settings, later)
    assert (report.offers_expired, report.offers_made) == (3, 1)
    report = await run_once(app.state.sessionmaker, app.state.settings, later + timedelta(hours=3))
    assert report.offers_expired == 1 and report.offers_made == 0
    await session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one per transaction)
    stuck = await session.get(Order, order_id, populate_existing=True)
    assert stuck.status == OrderStatus.published and stuck.needs_attention_at is not None
    assert stuck.suggestion["text"]
    queue = (await client.get("/api/v1/coordinator/queue", headers=bearer(staff))).json()
    assert [item["id"] for item in queue["items"]] == [order_id]


async def test_withdraw_reopens_the_slot(client, session, clock):
    order_id, staff, tokens = await _world(session, clock, volunteers=1)
    ((_vid, token),) = tokens.items()
    await session.execute(sa.update(Order).where(Order.id == order_id).values(dispatch_mode="open"))
    await session.commit()
    await client.post(f"/api/v1/orders/{order_id}/publish", json={}, headers=bearer(staff))
    accepted = await client.post(f"/api/v1/orders/{order_id}/accept", headers=bearer(token))
    assert accepted.status_code == 200, accepted.text
    withdrawn = await client.post(
        f"/api/v1/offers/{accepted.json()['id']}/withdraw",
        json={"reason": "临时出差"},
        headers=bearer(token),
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    await session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one per transaction)
    reopened = await session.get(Order, order_id, populate_existing=True)
    assert (reopened.status, reopened.accepted_count) == ("published", 0)
