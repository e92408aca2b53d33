"""A street with open orders whose best batch assignment is known by hand.

Street 向阳街道 (planned), its communities 朝阳街社区 (venue at the origin) and 毓璜顶社区;
street 白石街道 beside it. All volunteers have the skill 防范电信诈骗 and are free all week.

* ``near`` 0.5 km north, radius 10: the best candidate of both ``morning`` orders;
* ``only_a`` 4 km north, radius 10: a candidate of ``morning_a`` only (``morning_b`` allows
  3 km) — greedy gives ``near`` to ``morning_a`` and leaves ``morning_b`` empty; the batch
  sends ``only_a`` to ``morning_a`` and ``near`` to ``morning_b``;
* ``asked`` 0.2 km north, afternoons only: declined ``afternoon`` (never planned for it again);
* ``spare`` 1 km and ``veteran`` 1.5 km north (12 completed; the others are first-timers),
  both free only in the afternoons.

Orders (local 09:00–11:00 in three days unless said): ``morning_a`` (targeted, 5 km),
``morning_b`` (open, 3 km, same time), ``afternoon`` (targeted, 14:00, 2 places),
``team`` (team mode), ``draft``, ``later`` (in 20 days: outside the default period),
``foreign`` (白石街道).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.models import AvailabilityWindow, Offer, Team
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

KM_LAT = 1 / 111.2


@dataclass
class BatchWorld:
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    areas: dict[str, object] = field(default_factory=dict)

    def actor(self, who: str) -> Actor:
        user = self.users[who]
        area = self.areas[who]
        return Actor(
            user_id=user.id,
            grants=(RoleGrant(Role.coordinator, area_id=area.id, area_path=area.path),),
        )


async def build_batch_world(session, now) -> BatchWorld:
    world = BatchWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street2 = await make_area(session, level=AreaLevel.street, parent=district, name="白石街道")
    community = await make_area(session, parent=street, name="朝阳街社区")
    community_b = await make_area(session, parent=street, name="毓璜顶社区")
    community2 = await make_area(session, parent=street2, name="珠玑社区")
    skill = await make_skill(session, name="防范电信诈骗")

    async def volunteer(name, km, radius=10.0, completed=0, afternoons=False):
        user = await make_user(session, name=name, roles=((Role.volunteer, None, None),))
        v = await make_volunteer(
            session, home_area=community, skills=[skill], user=user,
            lat=ZHIFU_LAT + km * KM_LAT, lng=ZHIFU_LNG, radius_km=radius, all_week=not afternoons,
        )  # fmt: skip
        if afternoons:
            for weekday in range(7):
                session.add(AvailabilityWindow(volunteer_id=v.id, weekday=weekday,
                                               start_minute=12 * 60, end_minute=24 * 60))  # fmt: skip
        v.completed_count = completed
        world.ids[name] = v.id
        world.users[name] = user
        return v

    await volunteer("near", 0.5)
    await volunteer("only_a", 4.0)
    asked = await volunteer("asked", 0.2, afternoons=True)
    await volunteer("spare", 1.0, afternoons=True)
    await volunteer("veteran", 1.5, completed=12, afternoons=True)

    day = timedelta(days=1)
    # 09:00 local (UTC+8) in three days; TEST_NOW is 10:00 local.
    morning = now.replace(hour=1, minute=0) + 3 * day
    common = {"skills": [skill], "status": OrderStatus.published, "published_at": now}
    orders = {
        "morning_a": await make_order(session, community=community, starts_at=morning,
                                      title="老年人防范电信诈骗讲座", max_distance_km=5.0,
                                      **common),
        "morning_b": await make_order(session, community=community_b, starts_at=morning,
                                      title="毓璜顶反诈小课堂", max_distance_km=3.0,
                                      dispatch_mode=DispatchMode.open, **common),
        "afternoon": await make_order(session, community=community,
                                      starts_at=morning + timedelta(hours=5), slots=2,
                                      title="智能手机防骗课", max_distance_km=5.0, **common),
        "later": await make_order(session, community=community, starts_at=morning + 17 * day,
                                  title="下个月的讲座", **common),
        "foreign": await make_order(session, community=community2, starts_at=morning,
                                    title="白石社区反诈讲座", **common),
        "draft": await make_order(session, community=community, starts_at=morning,
                                  title="草稿活动", skills=[skill]),
    }  # fmt: skip
    leader_user = await make_user(session, name="队长")
    leader = await make_volunteer(session, home_area=community, user=leader_user, lat=30.0)
    team = Team(name="反诈宣讲队", leader_volunteer_id=leader.id, base_area_id=community.id,
                base_lat=community.lat, base_lng=community.lng)  # fmt: skip
    session.add(team)
    await session.flush()
    orders["team"] = await make_order(
        session, community=community, starts_at=morning, title="队伍活动",
        dispatch_mode=DispatchMode.team, team_id=team.id, **common,
    )  # fmt: skip
    session.add(
        Offer(order_id=orders["afternoon"].id, volunteer_id=asked.id,
              status=OfferStatus.declined, offered_at=now - day, responded_at=now)
    )  # fmt: skip
    for who, area in (("street", street), ("street2", street2), ("district", district)):
        world.users[who] = await make_user(
            session, name=f"协调员{area.name}", roles=((Role.coordinator, area.id, None),)
        )
        world.areas[who] = area
    await session.commit()
    world.ids.update({name: order.id for name, order in orders.items()})
    world.ids.update(street=street.id, street2=street2.id, district=district.id, skill=skill.id)
    return world


@pytest.fixture
async def world(session, clock) -> BatchWorld:
    return await build_batch_world(session, clock.now())


@pytest.fixture
def ctx_of(world, settings, clock):
    def make(who: str = "street", **changes) -> ActionContext:
        return ActionContext(
            actor=world.actor(who), now=changes.get("now", clock.now()), settings=settings
        )

    return make
