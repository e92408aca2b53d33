"""One volunteer accepting two overlapping orders at the same instant: exactly one succeeds.

The overlap check reads the volunteer's other acceptances; without the volunteer row lock two
concurrent accepts would each read "nothing held" and both commit. Repeated for several rounds,
since a single round can pass by luck of scheduling.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from service.models import ApiToken, Offer
from service.vocab import DispatchMode, OfferStatus, OrderStatus
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_volunteer,
)

ROUNDS = 10


async def _two_overlapping_orders(session, clock, n: int):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    volunteer = await make_volunteer(session, home_area=community, skills=[skill])
    token = await make_api_token(session, user_id=volunteer.user_id)
    # A token used moments ago is not "touched" again; a due touch would UPDATE the token and
    # user rows and so serialize the two requests by accident, hiding a missing lock.
    await session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == volunteer.user_id)
        .values(last_used_at=clock.now())
    )
    starts_at = clock.now() + timedelta(days=2)
    orders = [
        await make_order(
            session,
            community=community,
            starts_at=starts_at + timedelta(minutes=offset),
            skills=[skill],
            slots=2,
            status=OrderStatus.published,
            dispatch_mode=DispatchMode.open,
            title=f"第{n}轮活动{offset}",
        )
        for offset in (0, 60)
    ]
    await session.commit()
    return volunteer.id, token, [order.id for order in orders]


async def _at_once(client, token: str, order_ids: list[int]):
    start = asyncio.Event()

    async def accept(order_id: int):
        await start.wait()
        return await client.post(f"/api/v1/orders/{order_id}/accept", headers=bearer(token))

    tasks = [asyncio.create_task(accept(order_id)) for order_id in order_ids]
    await asyncio.sleep(0)
    start.set()
    return await asyncio.gather(*tasks)


async def test_two_overlapping_accepts_at_the_same_instant_leave_exactly_one(
    client, session, clock
):
    outcomes = Counter()
    for n in range(ROUNDS):
        volunteer_id, token, order_ids = await _two_overlapping_orders(session, clock, n)
        responses = await _at_once(client, token, order_ids)
        codes = sorted(r.status_code for r in responses)
        outcomes[tuple(codes)] += 1
        held = await session.scalar(
            sa.select(sa.func.count())
            .select_from(Offer)
            .where(Offer.volunteer_id == volunteer_id, Offer.status == OfferStatus.accepted.value)
        )
        assert codes == [200, 409], f"round {n}: {[r.text for r in responses]}"
        assert held == 1, f"round {n}: the volunteer holds {held} overlapping orders"
        refusal = next(r.json() for r in responses if r.status_code == 409)
        assert refusal["code"] == "time_overlap", refusal
        await session.rollback()
    assert outcomes == {(200, 409): ROUNDS}
