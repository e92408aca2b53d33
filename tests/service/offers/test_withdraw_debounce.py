"""Withdrawing and re-accepting again and again tells the community's workers once per window."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.models import Notification
from service.vocab import DispatchMode, OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)


async def _withdrawn_notices(session) -> list[tuple[int, int]]:
    await session.rollback()  # a fresh snapshot
    rows = await session.execute(
        sa.select(Notification.user_id, Notification.payload)
        .where(Notification.kind == "order_changed")
        .order_by(Notification.id)
    )
    return [(user_id, payload["order_id"]) for user_id, payload in rows]


async def test_withdraw_and_reaccept_loops_notify_the_workers_once_per_window(
    client, session, clock, settings
):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    workers = [
        await make_user(session, name=f"社区工作者{n}", roles=((Role.worker, community.id, None),))
        for n in (1, 2)
    ]
    volunteers = [await make_volunteer(session, home_area=community, skills=[skill]) for _ in "ab"]
    tokens = [bearer(await make_api_token(session, user_id=v.user_id)) for v in volunteers]
    orders = [
        await make_order(
            session,
            community=community,
            starts_at=clock.now() + timedelta(days=3),
            skills=[skill],
            slots=3,
            status=OrderStatus.published,
            dispatch_mode=DispatchMode.open,
            title=title,
        )
        for title in ("智能手机使用课", "防范电信诈骗讲座")
    ]
    await session.commit()
    order_ids = [order.id for order in orders]
    worker_ids = [worker.id for worker in workers]

    async def loop(token, order_id, times=5):
        for _ in range(times):
            taken = await client.post(f"/api/v1/orders/{order_id}/accept", headers=token)
            assert taken.status_code == 200, taken.text
            left = await client.post(
                f"/api/v1/offers/{taken.json()['id']}/withdraw",
                json={"reason": "临时有事"},
                headers=token,
            )
            assert left.status_code == 200, left.text
            clock.advance(timedelta(minutes=1))

    first, second = order_ids
    await loop(tokens[0], first)
    expected = [(w, first) for w in worker_ids]
    assert await _withdrawn_notices(session) == expected  # one each, not five each
    # Another volunteer, or another order, is other news.
    await loop(tokens[1], first, times=2)
    await loop(tokens[0], second, times=2)
    expected += [(w, first) for w in worker_ids] + [(w, second) for w in worker_ids]
    assert await _withdrawn_notices(session) == expected
    # Once the window has passed, the same volunteer's withdrawal is news again.
    clock.advance(timedelta(minutes=settings.notification_dedupe_minutes))
    await loop(tokens[0], first, times=1)
    expected += [(w, first) for w in worker_ids]
    assert await _withdrawn_notices(session) == expected
