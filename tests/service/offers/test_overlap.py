"""A volunteer cannot hold two accepted orders whose windows, widened by the travel buffer, meet."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.models import Offer
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)


async def _volunteer_with_first_order(session, clock):
    """A volunteer already holding a 2-hour order three days ahead (09:00–11:00 Shanghai)."""
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    volunteer = await make_volunteer(session, home_area=community, skills=[skill])
    token = await make_api_token(session, user_id=volunteer.user_id)
    first = await _open_order(
        session, community, skill, clock.now() + timedelta(days=3), title="防范电信诈骗讲座"
    )
    await session.commit()
    return community, skill, volunteer, token, first


async def _open_order(session, community, skill, starts_at, *, title="智能手机使用课", **fields):
    return await make_order(
        session,
        community=community,
        starts_at=starts_at,
        skills=[skill],
        slots=3,
        status=OrderStatus.published,
        dispatch_mode=fields.pop("dispatch_mode", DispatchMode.open),
        title=title,
        **fields,
    )


async def _held(session, volunteer_id: int) -> list[int]:
    await session.rollback()  # a fresh snapshot
    rows = await session.scalars(
        sa.select(Offer.order_id)
        .where(Offer.volunteer_id == volunteer_id, Offer.status == OfferStatus.accepted.value)
        .order_by(Offer.order_id)
    )
    return list(rows)


async def test_accepts_within_the_travel_buffer_of_a_held_order_are_refused_either_side(
    client, session, clock, settings
):
    assert settings.travel_buffer_minutes == 30
    community, skill, volunteer, token, first = await _volunteer_with_first_order(session, clock)
    # (minutes between the held order and this one, this one after or before it, allowed?)
    cases = [(10, "after", False), (29, "after", False), (10, "before", False)]
    cases += [(31, "after", True), (30, "before", True)]  # exactly 30 minutes is enough
    orders = []
    for minutes, side, _allowed in cases:
        gap = timedelta(minutes=minutes)
        if side == "after":
            starts = first.ends_at + gap
        else:
            starts = first.starts_at - gap - timedelta(hours=2)  # _open_order lasts 2 hours
        orders.append(await _open_order(session, community, skill, starts))
    await session.commit()
    taken = await client.post(f"/api/v1/orders/{first.id}/accept", headers=bearer(token))
    assert taken.status_code == 200, taken.text
    for order, case in zip(orders, cases, strict=True):
        response = await client.post(f"/api/v1/orders/{order.id}/accept", headers=bearer(token))
        if case[2]:
            assert response.status_code == 200, (case, response.text)
            continue
        assert response.status_code == 409, (case, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        problem = response.json()
        assert problem["code"] == "time_overlap", case
        assert "时间冲突" in problem["detail"] and "「防范电信诈骗讲座」" in problem["detail"]
        assert "30 分钟" in problem["detail"]
    allowed = [order.id for order, case in zip(orders, cases, strict=True) if case[2]]
    assert await _held(session, volunteer.id) == sorted([first.id, *allowed])


async def test_a_targeted_offer_overlapping_a_held_order_is_refused(client, session, clock):
    community, skill, volunteer, token, first = await _volunteer_with_first_order(session, clock)
    second = await _open_order(
        session,
        community,
        skill,
        first.ends_at + timedelta(minutes=10),
        dispatch_mode=DispatchMode.targeted,
    )
    offer = Offer(
        order_id=second.id,
        volunteer_id=volunteer.id,
        status=OfferStatus.offered,
        offered_at=clock.now(),
        expires_at=clock.now() + timedelta(hours=2),
    )
    session.add(offer)
    await session.commit()
    assert (
        await client.post(f"/api/v1/orders/{first.id}/accept", headers=bearer(token))
    ).is_success
    response = await client.post(f"/api/v1/offers/{offer.id}/accept", headers=bearer(token))
    assert response.status_code == 409, response.text
    assert "「防范电信诈骗讲座」" in response.json()["detail"]
    await session.rollback()
    still = await session.get(Offer, offer.id, populate_existing=True)
    assert still.status == OfferStatus.offered  # refused, nothing changed: it may still decline
    # My commitments are mine: another volunteer takes the same open order freely.
    user = await make_user(session, roles=((Role.volunteer, None, None),))
    await make_volunteer(session, home_area=community, skills=[skill], user=user)
    other_token = bearer(await make_api_token(session, user_id=user.id))
    await session.commit()
    other_accept = await client.post(f"/api/v1/orders/{first.id}/accept", headers=other_token)
    assert other_accept.status_code == 200, other_accept.text


async def test_a_withdrawn_order_no_longer_blocks_the_window(client, session, clock):
    community, skill, volunteer, token, first = await _volunteer_with_first_order(session, clock)
    second = await _open_order(session, community, skill, first.ends_at + timedelta(minutes=10))
    await session.commit()
    taken = await client.post(f"/api/v1/orders/{first.id}/accept", headers=bearer(token))
    withdrawn = await client.post(
        f"/api/v1/offers/{taken.json()['id']}/withdraw",
        json={"reason": "改去另一场"},
        headers=bearer(token),
    )
    assert withdrawn.status_code == 200, withdrawn.text
    response = await client.post(f"/api/v1/orders/{second.id}/accept", headers=bearer(token))
    assert response.status_code == 200, response.text
    assert await _held(session, volunteer.id) == [second.id]
