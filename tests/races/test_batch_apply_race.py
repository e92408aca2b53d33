"""一键派单 applied while volunteers accept the same orders on their own, at the same moment
(PostgreSQL, through the app: the coordinator's page POST and the volunteers' API accepts,
fired together while the apply holds between its checks and its writes).

Afterwards, for every order: accepted ≤ slots, the counter equals the accepted rows, a full
order has no invitation still waiting, nobody has two rows for one order, and every request
answered (no 5xx, no exception), and the apply went through. The apply is held between its
checks and its writes (``applying._pause``) and the accepts are released right then, so they
land inside that window every round.

The same scenario with the apply's row locks removed (``applying.LOCK_ROWS = False``) must show
violations: the apply then invites a volunteer who has just accepted (UNIQUE violation, a
500) or invites people to an order that has just filled.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.batch import applying, planning
from service.context import ActionContext
from service.models import ApiToken, Area, DispatchPlan, Offer, Order
from service.vocab import AreaLevel, DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.service.batch.conftest import KM_LAT, ZHIFU_LAT, ZHIFU_LNG

ROUNDS = 3
ORDERS = 4
SLOTS = 2
VOLUNTEERS = 10
WINDOW_SECONDS = 0.4

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]


async def _round(session, clock, n: int):
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name=f"街道{n}")
    community = await make_area(session, parent=street, name=f"社区{n}")
    skill = await make_skill(session, name="防范电信诈骗")
    coordinator = await make_user(session, roles=((Role.coordinator, street.id, None),))
    start = clock.now() + timedelta(days=2)
    orders = [
        await make_order(
            session, community=community, starts_at=start + timedelta(hours=3 * i),
            skills=[skill], slots=SLOTS, status=OrderStatus.published,
            dispatch_mode=DispatchMode.open, published_at=clock.now(), title=f"第{n}轮活动{i}",
        )
        for i in range(ORDERS)
    ]  # fmt: skip
    tokens = {}
    for i in range(VOLUNTEERS):
        volunteer = await make_volunteer(
            session, home_area=community, skills=[skill], radius_km=10,
            lat=ZHIFU_LAT + (i % 5) * 0.3 * KM_LAT, lng=ZHIFU_LNG,
        )  # fmt: skip
        tokens[volunteer.id] = await make_api_token(session, user_id=volunteer.user_id)
    # Tokens used just now are not touched again (a touch would serialize requests by accident).
    await session.execute(sa.update(ApiToken).values(last_used_at=clock.now()))
    await session.commit()
    return street, coordinator, [o.id for o in orders], tokens


async def _inside_the_apply(apply, accepts, window: asyncio.Event):
    """Start the apply; every accept fires together once the apply has made its checks and
    holds (``window``), i.e. between its reads and its writes."""

    async def one(call):
        await window.wait()
        return await call()

    tasks = [asyncio.create_task(apply())] + [asyncio.create_task(one(c)) for c in accepts]
    return await asyncio.gather(*tasks, return_exceptions=True)


async def _violations(session, order_ids, plan_id, responses) -> list[str]:
    await session.rollback()
    found = []
    for r in responses:
        if isinstance(r, BaseException):
            found.append(f"a request failed: {type(r).__name__}: {str(r)[:120]}")
        elif r.status_code >= 500:
            found.append(f"{r.request.method} {r.request.url.path} answered {r.status_code}")
    for order_id in order_ids:
        order = await session.get(Order, order_id, populate_existing=True)
        rows = list(await session.scalars(sa.select(Offer).where(Offer.order_id == order_id)))
        accepted = sum(1 for o in rows if o.status == OfferStatus.accepted)
        waiting = sum(1 for o in rows if o.status == OfferStatus.offered)
        if order.accepted_count > order.slots:
            found.append(f"order {order_id}: {order.accepted_count} accepted of {order.slots}")
        if order.accepted_count != accepted:
            found.append(f"order {order_id}: counter {order.accepted_count}, rows {accepted}")
        if order.accepted_count >= order.slots and waiting:
            found.append(f"order {order_id} is full with {waiting} invitations still waiting")
        if len({o.volunteer_id for o in rows}) != len(rows):
            found.append(f"order {order_id}: someone has two rows")
    applied = responses[0]
    if not isinstance(applied, BaseException) and applied.status_code != 303:
        found.append(f"the apply was refused: {applied.status_code} {applied.text[:80]!r}")
    plan = await session.get(DispatchPlan, plan_id, populate_existing=True)
    if plan.status != "applied":
        found.append("the plan was not applied")
    else:
        for entry in plan.report["orders"]:
            for volunteer_id in entry["sent"]:
                row = await session.scalar(
                    sa.select(Offer).where(
                        Offer.order_id == entry["order_id"], Offer.volunteer_id == volunteer_id
                    )
                )
                if row is None:
                    found.append(f"reported sent to {volunteer_id}, no row")
    return found


async def _scenario(client, session, clock, login, monkeypatch, settings) -> list[str]:
    window = asyncio.Event()

    async def hold() -> None:
        window.set()
        await asyncio.sleep(WINDOW_SECONDS)

    monkeypatch.setattr(applying, "_pause", hold)
    found = []
    for n in range(ROUNDS):
        street, coordinator, order_ids, tokens = await _round(session, clock, n)
        grant = RoleGrant(Role.coordinator, area_id=street.id, area_path=street.path)
        actor = Actor(user_id=coordinator.id, grants=(grant,))
        ctx = ActionContext(actor=actor, now=clock.now(), settings=settings)
        plan = await planning.make_plan(session, ctx, area=await session.get(Area, street.id))
        await session.commit()
        planned = {(o["order_id"], p["volunteer_id"]) for o in plan.orders for p in o["pairs"]}
        assert len(planned) == ORDERS * SLOTS  # every place planned: the race is on all of them
        desk = await login(coordinator.id)

        def accept(order_id, token):
            return lambda: client.post(f"/api/v1/orders/{order_id}/accept", headers=bearer(token))

        apply_url = f"/desk/batch/plans/{plan.id}/apply"
        # The planned volunteers take their planned orders themselves; everybody else tries
        # every order too.
        calls = [accept(o, tokens[v]) for o, v in sorted(planned)]
        others = [v for v in tokens if v not in {v for _, v in planned}]
        calls += [accept(o, tokens[v]) for o in order_ids for v in others]
        window.clear()
        responses = await _inside_the_apply(
            lambda desk=desk, url=apply_url: desk.post(url), calls, window
        )  # responses[0]: the apply
        found += [
            f"round {n}: {v}" for v in await _violations(session, order_ids, plan.id, responses)
        ]
    return found


async def test_applying_while_volunteers_accept_keeps_every_slot_invariant(
    client, session, clock, login, monkeypatch, settings
):
    assert await _scenario(client, session, clock, login, monkeypatch, settings) == []


async def test_without_the_apply_locks_the_invariants_break(
    client, session, clock, login, monkeypatch, settings
):
    """The check above can fail: the same race without the apply's row locks is caught."""
    monkeypatch.setattr(applying, "LOCK_ROWS", False)
    found = await _scenario(client, session, clock, login, monkeypatch, settings)
    print("violations without the locks:", *found, sep="\n  ")
    assert found, "the race test did not notice the missing locks"
