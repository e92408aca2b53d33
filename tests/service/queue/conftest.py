"""A district with two streets and a queue of stuck orders whose candidates are known by hand.

Around the venue of street 1's community (distances north of it, all with the order's skill):

* a volunteer 2 km away (radius 10) who DECLINED order ``widen`` — never a candidate again;
* three volunteers 7 km away (radius 10): candidates once the distance is 10 km;
* two volunteers 12 km away (radius 20): candidates once it is 15 km;
* a volunteer 0.5 km away (radius 10) free on SATURDAYS only;
* team 1 (three members who live 30 km away, radius 5: never individual candidates) based in
  street 1, team 2 based in street 2.

Orders (starting at 10:00 local unless said): ``widen`` (targeted, 5 km, in 3 days, its only
candidate declined), ``past`` (expired, started yesterday: needs a new date), ``declined``
(team 1 turned it down, in 4 days), ``foreign`` (street 2, stuck), ``fine`` (published, not
stuck).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.models import AvailabilityWindow, Offer, Team, TeamMember
from service.offers.teams import team_decline
from service.vocab import AreaLevel, DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    make_area,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.service.auth.helpers import browser, open_session_for

KM_LAT = 1 / 111.2  # degrees of latitude per kilometre, near enough here


@dataclass
class QueueWorld:
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)


async def _team(session, name, area, leader, members) -> Team:
    team = Team(
        name=name,
        leader_volunteer_id=leader.id,
        base_area_id=area.id,
        base_lat=area.lat,
        base_lng=area.lng,
    )
    session.add(team)
    await session.flush()
    for member in members:
        session.add(TeamMember(team_id=team.id, volunteer_id=member.id))
    await session.flush()
    return team


async def _volunteer(session, community, skill, *, km: float, radius: float, **kwargs):
    return await make_volunteer(
        session,
        home_area=community,
        skills=[skill],
        lat=ZHIFU_LAT + km * KM_LAT,
        lng=ZHIFU_LNG,
        radius_km=radius,
        **kwargs,
    )


async def build_queue_world(session, settings, now) -> QueueWorld:
    world = QueueWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street2 = await make_area(session, level=AreaLevel.street, parent=district, name="白石街道")
    community = await make_area(session, parent=street, name="朝阳街社区")
    community2 = await make_area(session, parent=street2, name="珠玑社区")
    skill = await make_skill(session, name="防范电信诈骗")

    declined = await _volunteer(session, community, skill, km=2, radius=10)
    for _ in range(3):
        await _volunteer(session, community, skill, km=7, radius=10)
    for _ in range(2):
        await _volunteer(session, community, skill, km=12, radius=20)
    weekend = await _volunteer(session, community, skill, km=0.5, radius=10, all_week=False)
    session.add(AvailabilityWindow(volunteer_id=weekend.id, weekday=5, start_minute=0,
                                   end_minute=1440))  # fmt: skip

    members = [await _volunteer(session, community, skill, km=30, radius=5) for _ in range(3)]
    team = await _team(session, "朝阳街反诈宣讲队", community, members[0], members)
    members2 = [await _volunteer(session, community2, skill, km=30, radius=5) for _ in range(2)]
    team2 = await _team(session, "白石科普志愿队", community2, members2[0], members2)

    def users(role, area):
        return make_user(session, name=f"{role}-{area.name}", roles=((role, area.id, None),))

    world.users = {
        "district": await users(Role.coordinator, district),
        "street": await users(Role.coordinator, street),
        "street2": await users(Role.coordinator, street2),
        "worker": await users(Role.worker, community),
    }
    world.users["leader"] = await make_user(
        session, name="队长", roles=((Role.team_leader, None, team.id),)
    )

    day = timedelta(days=1)
    common = {"skills": [skill], "slots": 1, "max_distance_km": 5.0}
    widen = await make_order(
        session, community=community, starts_at=now + 3 * day, title="老年人防范电信诈骗讲座",
        status=OrderStatus.published, published_at=now - day,
        needs_attention_at=now - timedelta(hours=5),
        suggestion={"text": "服务半径放宽 5 公里后有 3 名候选志愿者", "candidates_now": 0,
                    "extra_km": 5.0, "candidates_with_extra_km": 3,
                    "saturday_starts_at": (now + 5 * day).isoformat(),
                    "candidates_on_saturday": 0},
        **common,
    )  # fmt: skip
    session.add(
        Offer(order_id=widen.id, volunteer_id=declined.id, status=OfferStatus.declined,
              offered_at=now - day, responded_at=now - timedelta(hours=6),
              decline_reason="那天要带孙子")
    )  # fmt: skip
    past = await make_order(
        session, community=community, starts_at=now - day, title="智能手机防骗课",
        status=OrderStatus.expired, published_at=now - 5 * day,
        accept_deadline=now - 2 * day, needs_attention_at=now - 2 * day,
        suggestion={"kind": "widen_radius", "text": "截止时仍缺 1 人", "radius_km": 10.0},
        **common,
    )  # fmt: skip
    declined_by_team = await make_order(
        session, community=community, starts_at=now + 4 * day, title="反诈情景剧进社区",
        status=OrderStatus.published, published_at=now - day,
        dispatch_mode=DispatchMode.team, team_id=team.id, **common,
    )  # fmt: skip
    foreign = await make_order(
        session, community=community2, starts_at=now + 3 * day, title="白石社区反诈讲座",
        status=OrderStatus.published, published_at=now - day,
        needs_attention_at=now - timedelta(hours=3), **common,
    )  # fmt: skip
    fine = await make_order(
        session, community=community, starts_at=now + 6 * day, title="一切正常的活动",
        status=OrderStatus.published, published_at=now, **common,
    )  # fmt: skip
    await session.flush()

    leader = Actor(
        user_id=world.users["leader"].id,
        grants=(RoleGrant(Role.team_leader, team_id=team.id),),
    )
    await team_decline(
        session,
        ActionContext(actor=leader, now=now - timedelta(hours=1), settings=settings),
        order_id=declined_by_team.id,
        reason="那周队员都在外地培训",
    )
    await session.commit()
    world.ids.update(
        widen=widen.id, past=past.id, declined=declined_by_team.id, foreign=foreign.id,
        fine=fine.id, team=team.id, team2=team2.id, declined_volunteer=declined.id,
        weekend_volunteer=weekend.id, community=community.id, skill=skill.id,
    )  # fmt: skip
    return world


@pytest.fixture
async def world(session, settings, clock) -> QueueWorld:
    return await build_queue_world(session, settings, clock.now())


@pytest.fixture
def login(app, settings, session, clock):
    """``await login(user)`` → a client holding that user's session (and CSRF header)."""

    async def open_for(user, **headers):
        cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
        await session.commit()
        client = browser(app, settings, cookie, csrf)
        client.headers.update(headers)
        return client

    return open_for
