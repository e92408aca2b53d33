"""A team leader reads an order their team holds or was offered — and no other order."""

from __future__ import annotations

from datetime import timedelta

from service.models import Offer
from service.vocab import OfferStatus
from tests.service.auth.helpers import browser, open_session_for
from tests.service.offers.team_desk_world import build_team_desk_world


async def _reader(app, settings, session, clock, user_id):
    cookie, _ = await open_session_for(session, settings, user_id=user_id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie)


async def test_a_team_leader_reads_the_order_offered_to_their_team(app, settings, session, clock):
    world = await build_team_desk_world(session, clock.now())
    async with await _reader(app, settings, session, clock, world.users["王海"]) as leader:
        response = await leader.get(f"/api/v1/orders/{world.orders['first']}")
    assert response.status_code == 200, response.text
    assert response.json()["title"] == "社区急救与安全用药"


async def test_a_team_leader_reads_an_order_their_team_holds(app, settings, session, clock):
    """Held through a team acceptance, even after the order left team mode."""
    world = await build_team_desk_world(session, clock.now())
    session.add(
        Offer(
            order_id=world.orders["targeted"],
            volunteer_id=world.volunteers["李明"],
            team_id=world.teams["team"],
            status=OfferStatus.accepted,
            offered_at=clock.now() - timedelta(hours=1),
        )
    )
    await session.commit()
    async with await _reader(app, settings, session, clock, world.users["王海"]) as leader:
        response = await leader.get(f"/api/v1/orders/{world.orders['targeted']}")
    assert response.status_code == 200, response.text


async def test_a_team_leader_reads_no_other_order(app, settings, session, clock):
    world = await build_team_desk_world(session, clock.now())
    async with await _reader(app, settings, session, clock, world.users["王海"]) as leader:
        for name in ("foreign", "targeted", "busy"):  # another team's; no team's; a member's own
            response = await leader.get(f"/api/v1/orders/{world.orders[name]}")
            assert response.status_code == 403, (name, response.text)
        assert (await leader.get("/api/v1/orders/999999")).status_code == 404
        # Still only reading: the rest of the order API stays closed to a team leader.
        events = await leader.get(f"/api/v1/orders/{world.orders['first']}/events")
        assert events.status_code == 403


async def test_another_teams_leader_and_a_member_cannot_read_it(app, settings, session, clock):
    world = await build_team_desk_world(session, clock.now())
    for who in ("郑伟", "李明"):
        async with await _reader(app, settings, session, clock, world.users[who]) as reader:
            response = await reader.get(f"/api/v1/orders/{world.orders['first']}")
        assert response.status_code == 403, (who, response.text)


async def test_the_community_worker_still_reads_it(app, settings, session, clock):
    world = await build_team_desk_world(session, clock.now())
    async with await _reader(app, settings, session, clock, world.users["张老师"]) as worker:
        response = await worker.get(f"/api/v1/orders/{world.orders['first']}")
    assert response.status_code == 200
