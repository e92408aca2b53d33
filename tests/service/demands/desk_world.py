"""A small community for the desk's demand and order-form pages: two communities, their workers,
a venue, skills in two domains, volunteers at known distances, and demands of both communities."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from service.models import Area, Demand, Skill, User, Venue
from service.settings import Settings
from service.vocab import DemandStatus, Role, TargetGroup
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    make_area,
    make_area_tree,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.service.auth.helpers import browser, open_session_for

KM_PER_DEG_LAT = 111.2
KM_PER_DEG_LNG = KM_PER_DEG_LAT * math.cos(math.radians(ZHIFU_LAT))
# Volunteers with 心肺复苏 living this far north of the venue (km): two within 1 km, one in
# each farther band, so a smaller maximum distance leaves fewer of them.
CPR_HOMES_KM = (0.3, 0.6, 2.2, 4.1, 8.0)


def north_of_centre(km: float) -> tuple[float, float]:
    return ZHIFU_LAT + km / KM_PER_DEG_LAT, ZHIFU_LNG


@dataclass
class DeskWorld:
    community: Area
    other: Area
    worker: User
    other_worker: User
    volunteer_user: User
    venue: Venue
    cpr: Skill
    chronic: Skill
    demands: dict[str, Demand] = field(default_factory=dict)


async def make_demand(
    session, community: Area, *, topic: str, now: datetime, days_old: int = 3, **fields
) -> Demand:
    demand = Demand(
        community_id=community.id,
        topic=topic,
        target_group=fields.pop("target_group", TargetGroup.elderly),
        description=fields.pop("description", "小区老人多，想学急救。"),
        contact_name=fields.pop("contact_name", "王阿姨"),
        contact_phone=fields.pop("contact_phone", "13812345678"),
        status=fields.pop("status", DemandStatus.new),
        created_at=now - timedelta(days=days_old),
        updated_at=now - timedelta(days=days_old),
        **fields,
    )
    session.add(demand)
    await session.flush()
    return demand


async def build(session, now: datetime) -> DeskWorld:
    _, street, community = await make_area_tree(session)
    other = await make_area(session, parent=street, name="别的社区")
    emergency = await make_skill(session, name="应急")
    health = await make_skill(session, name="健康")
    cpr = await make_skill(session, name="心肺复苏", parent=emergency)
    chronic = await make_skill(session, name="慢病管理", parent=health)
    worker = await make_user(session, name="张社工", roles=((Role.worker, community.id, None),))
    other_worker = await make_user(session, name="李社工", roles=((Role.worker, other.id, None),))
    volunteer_user = await make_user(
        session, name="志愿者甲", roles=((Role.volunteer, None, None),)
    )
    venue = Venue(
        community_id=community.id, name="社区活动室", address="幸福路 1 号",
        lat=ZHIFU_LAT, lng=ZHIFU_LNG,
    )  # fmt: skip
    session.add(venue)
    for km in CPR_HOMES_KM:
        lat, lng = north_of_centre(km)
        await make_volunteer(
            session, home_area=community, skills=[cpr], lat=lat, lng=lng, radius_km=15
        )
    lat, lng = north_of_centre(1.5)
    await make_volunteer(
        session, home_area=community, skills=[chronic], lat=lat, lng=lng, radius_km=15
    )
    world = DeskWorld(community, other, worker, other_worker, volunteer_user, venue, cpr, chronic)
    world.demands["cpr"] = await make_demand(
        session, community, topic="老年人急救知识讲座", now=now, skill_id=cpr.id, upvotes=3
    )
    world.demands["chronic"] = await make_demand(
        session, community, topic="高血压慢病管理讲座", now=now, days_old=10,
        skill_id=chronic.id, upvotes=1, description="家里老人血压高，想听听怎么控制。",
    )  # fmt: skip
    world.demands["youth"] = await make_demand(
        session, community, topic="青少年科学实验课", now=now, days_old=1,
        target_group=TargetGroup.youth,
    )  # fmt: skip
    world.demands["foreign"] = await make_demand(
        session, other, topic="别社区的防诈骗讲座", now=now, skill_id=cpr.id
    )
    await session.commit()
    return world


async def client_of(session, settings: Settings, app, user: User, now: datetime, **headers):
    """A browser logged in as ``user`` (session cookie and CSRF header)."""
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=now)
    await session.commit()
    client = browser(app, settings, cookie, csrf)
    client.headers.update(headers)
    return client


HTMX = {"HX-Request": "true"}
ENGLISH = {"Accept-Language": "en"}
