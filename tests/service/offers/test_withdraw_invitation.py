"""撤回邀请: the community takes back an invitation still awaiting an answer."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.models import Area, Event, Notification, Offer
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)


async def _world(session, clock):
    _, street, community = await make_area_tree(session)
    other = await make_area(session, parent=street, name="另一个社区")
    skill = await make_skill(session)
    worker = await make_user(session, name="王芳", roles=((Role.worker, community.id, None),))
    stranger = await make_user(session, roles=((Role.worker, other.id, None),))
    asked, next_one = [
        await make_volunteer(session, home_area=community, skills=[skill]) for _ in "ab"
    ]
    order = await make_order(
        session,
        community=community,
        starts_at=clock.now() + timedelta(days=3),
        skills=[skill],
        slots=1,
        status=OrderStatus.published,
        dispatch_mode=DispatchMode.targeted,
    )
    offer = Offer(
        order_id=order.id,
        volunteer_id=asked.id,
        status=OfferStatus.offered,
        rank=1,
        offered_at=clock.now(),
        expires_at=clock.now() + timedelta(hours=2),
    )
    session.add(offer)
    await session.flush()
    tokens = {
        "worker": bearer(await make_api_token(session, user_id=worker.id)),
        "stranger": bearer(await make_api_token(session, user_id=stranger.id)),
        "asked": bearer(await make_api_token(session, user_id=asked.user_id)),
    }
    await session.commit()
    return order, offer, asked, next_one, tokens


def _url(order_id, offer_id):
    return f"/api/v1/orders/{order_id}/offers/{offer_id}/withdraw"


async def test_withdrawing_an_invitation_tells_the_volunteer_and_asks_the_next(
    client, session, clock
):
    order, offer, asked, next_one, tokens = await _world(session, clock)
    answer = await client.post(
        _url(order.id, offer.id), json={"reason": "已安排本社区志愿者"}, headers=tokens["worker"]
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "withdrawn"
    await session.rollback()
    told = await session.scalar(
        sa.select(Notification).where(
            Notification.user_id == asked.user_id, Notification.kind == "offer_withdrawn"
        )
    )
    assert told is not None and told.body == "已安排本社区志愿者" and "社区已撤回邀请" in told.title
    event = await session.scalar(
        sa.select(Event)
        .where(Event.entity == "offer", Event.entity_id == offer.id)
        .order_by(Event.id.desc())
    )
    assert (event.from_status, event.to_status, event.reason) == (
        "offered", "withdrawn", "已安排本社区志愿者",
    )  # fmt: skip
    # The cascade asks the next best candidate at once, never the withdrawn one again.
    offers = await session.scalars(
        sa.select(Offer).where(Offer.order_id == order.id).execution_options(populate_existing=True)
    )
    assert {(o.volunteer_id, o.status) for o in offers.all()} == {
        (asked.id, "withdrawn"), (next_one.id, "offered"),
    }  # fmt: skip
    # Twice is harmless; the volunteer can no longer accept it.
    again = await client.post(_url(order.id, offer.id), json={}, headers=tokens["worker"])
    assert again.status_code == 200 and again.json()["status"] == "withdrawn"
    late = await client.post(f"/api/v1/offers/{offer.id}/accept", headers=tokens["asked"])
    assert late.status_code == 409


async def test_an_accepted_offer_is_not_withdrawn_by_the_community(client, session, clock):
    order, offer, _, _, tokens = await _world(session, clock)
    accepted = await client.post(f"/api/v1/offers/{offer.id}/accept", headers=tokens["asked"])
    assert accepted.status_code == 200, accepted.text
    refused = await client.post(
        _url(order.id, offer.id), json={}, headers={**tokens["worker"], "Accept-Language": "en"}
    )
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Only an invitation still awaiting an answer")


async def test_only_the_orders_own_community_withdraws_and_only_its_own_offers(
    client, session, clock
):
    order, offer, _, _, tokens = await _world(session, clock)
    foreign = await client.post(_url(order.id, offer.id), json={}, headers=tokens["stranger"])
    assert foreign.status_code == 403
    volunteer = await client.post(_url(order.id, offer.id), json={}, headers=tokens["asked"])
    assert volunteer.status_code == 403
    community = await session.get(Area, order.community_id)
    other_order = await make_order(
        session, community=community, starts_at=clock.now() + timedelta(days=4)
    )
    await session.commit()
    mismatched = await client.post(
        _url(other_order.id, offer.id), json={}, headers=tokens["worker"]
    )
    assert mismatched.status_code == 404
    await session.rollback()
    assert (await session.get(Offer, offer.id, populate_existing=True)).status == "offered"
