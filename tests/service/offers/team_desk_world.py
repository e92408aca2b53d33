"""A team leader's world for the team desk tests: one team with members in every situation.

Now is Monday 2026-11-23 10:00 in Shanghai (``TEST_NOW``). Team 1 (红十字应急救护队, street 1)
is led by 王海 and has these members, seen from the first team order (Thursday 11-26,
14:00–16:00 local, needs 心肺复苏 and 合理用药, 2 名额):

* 王海 (the leader, 心肺复苏) and 李明 (心肺复苏), 赵敏 (合理用药) — free;
* 陈刚 (心肺复苏) — holds another activity that ends at 13:45 that day (within the 30-minute
  travel buffer);
* 孙丽 (心肺复苏) — paused;
* 周强 (心肺复苏) — a blackout date on 11-26;
* 吴芳 (心肺复苏) — only available at weekends.

Team 2 (东山志愿队, street 2) has its own leader 郑伟 and member 冯军, and an order of its own.
Orders are created published (as if the community had dispatched them), with the team mode.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from service.models import (
    AvailabilityWindow,
    BlackoutDate,
    Offer,
    Order,
    RoleAssignment,
    Team,
    TeamMember,
    Volunteer,
)
from service.vocab import AreaLevel, DispatchMode, OfferStatus, OrderStatus, Role, VolunteerStatus
from tests.factories import make_area, make_order, make_skill, make_user, make_volunteer
from tests.service.auth.helpers import PASSWORD_HASH

_worlds = itertools.count(1)
# Thursday 2026-11-26 14:00–16:00 in Shanghai.
THURSDAY_2PM = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
THURSDAY = date(2026, 11, 26)


@dataclass
class TeamDeskWorld:
    users: dict[str, int] = field(default_factory=dict)  # who → user id
    volunteers: dict[str, int] = field(default_factory=dict)  # who → volunteer id
    orders: dict[str, int] = field(default_factory=dict)  # name → order id
    teams: dict[str, int] = field(default_factory=dict)
    communities: dict[str, int] = field(default_factory=dict)


async def _person(session, world, who, community, skills, *, roles=(), **volunteer):
    user = await make_user(
        session,
        name=who,
        password_hash=PASSWORD_HASH,
        roles=((Role.volunteer, None, None), *roles),
    )
    person = await make_volunteer(
        session, home_area=community, skills=skills, user=user, **volunteer
    )
    world.users[who], world.volunteers[who] = user.id, person.id
    return person


async def _team(session, name, community, leader: Volunteer, members: list[Volunteer]) -> Team:
    team = Team(
        name=name,
        leader_volunteer_id=leader.id,
        base_area_id=community.id,
        base_lat=community.lat,
        base_lng=community.lng,
    )
    session.add(team)
    await session.flush()
    for member in (leader, *members):
        session.add(TeamMember(team_id=team.id, volunteer_id=member.id))
    session.add(RoleAssignment(user_id=leader.user_id, role=Role.team_leader, team_id=team.id))
    await session.flush()
    return team


async def _team_order(session, community, team, skills, *, starts_at, title, slots=2, **fields):
    return await make_order(
        session,
        community=community,
        starts_at=starts_at,
        skills=skills,
        slots=slots,
        status=OrderStatus.published,
        published_at=starts_at - timedelta(days=5),
        dispatch_mode=DispatchMode.team,
        team_id=team.id,
        title=title,
        venue_name=fields.pop("venue_name", "社区活动室"),
        venue_address=fields.pop("venue_address", "芝罘区向阳街道1号"),
        **fields,
    )


async def build_team_desk_world(session, now: datetime) -> TeamDeskWorld:
    """The world described above; committed."""
    n = next(_worlds)
    world = TeamDeskWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street1 = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street2 = await make_area(session, level=AreaLevel.street, parent=district, name="东山街道")
    home = await make_area(session, parent=street1, name="海岸社区")
    other = await make_area(session, parent=street2, name="东山社区")
    world.communities.update(home=home.id, other=other.id)
    cpr = await make_skill(session, name="心肺复苏")
    medicine = await make_skill(session, name="合理用药")

    leader = await _person(session, world, "王海", home, [cpr])
    members = [
        await _person(session, world, "李明", home, [cpr]),
        await _person(session, world, "赵敏", home, [medicine]),
        await _person(session, world, "陈刚", home, [cpr]),
        await _person(session, world, "孙丽", home, [cpr]),
        await _person(session, world, "周强", home, [cpr]),
        await _person(session, world, "吴芳", home, [cpr], all_week=False),
    ]
    team = await _team(session, f"红十字应急救护队{n}", home, leader, members)
    other_leader = await _person(session, world, "郑伟", other, [cpr, medicine])
    outsider = await _person(session, world, "冯军", other, [cpr, medicine])
    other_team = await _team(session, f"东山志愿队{n}", other, other_leader, [outsider])
    world.teams.update(team=team.id, other_team=other_team.id)

    by_name = {name: await session.get(Volunteer, vid) for name, vid in world.volunteers.items()}
    by_name["孙丽"].status = VolunteerStatus.paused
    session.add(BlackoutDate(volunteer_id=by_name["周强"].id, day=THURSDAY))
    for weekday in (5, 6):  # 吴芳: Saturdays and Sundays only
        session.add(
            AvailabilityWindow(
                volunteer_id=by_name["吴芳"].id, weekday=weekday, start_minute=0, end_minute=1440
            )
        )
    worker = await make_user(
        session,
        name="张老师",
        password_hash=PASSWORD_HASH,
        roles=((Role.worker, home.id, None),),
    )
    world.users["张老师"] = worker.id

    # 陈刚 already holds a morning activity that ends 15 minutes before the team order starts.
    busy = await make_order(
        session,
        community=home,
        starts_at=THURSDAY_2PM - timedelta(hours=2, minutes=15),
        skills=[cpr],
        status=OrderStatus.staffed,
        published_at=now - timedelta(days=2),
        title="老年人防跌倒讲座",
        accepted_count=1,
    )
    session.add(
        Offer(
            order_id=busy.id,
            volunteer_id=by_name["陈刚"].id,
            status=OfferStatus.accepted,
            offered_at=now - timedelta(days=2),
            responded_at=now - timedelta(days=2),
        )
    )
    first = await _team_order(
        session, home, team, [cpr, medicine], starts_at=THURSDAY_2PM, title="社区急救与安全用药",
        accept_deadline=THURSDAY_2PM - timedelta(days=1),
    )  # fmt: skip
    second = await _team_order(
        session, home, team, [cpr], starts_at=THURSDAY_2PM + timedelta(days=2),
        title="周末心肺复苏体验课", venue_name="海岸社区广场",
    )  # fmt: skip
    foreign = await _team_order(
        session, other, other_team, [cpr], starts_at=THURSDAY_2PM, title="东山社区急救课"
    )
    targeted = await make_order(
        session,
        community=home,
        starts_at=THURSDAY_2PM + timedelta(days=1),
        skills=[cpr],
        status=OrderStatus.published,
        published_at=now,
        title="不是派给志愿队的活动",
    )
    world.orders.update(
        busy=busy.id, first=first.id, second=second.id, foreign=foreign.id, targeted=targeted.id
    )
    await session.commit()
    return world


async def order_row(session, order_id: int) -> Order:
    """The order as the database has it now (a fresh snapshot)."""
    await session.rollback()
    return await session.get(Order, order_id, populate_existing=True)
