"""The world of the profile tests: one district with two streets and three communities, a skill
taxonomy (two domains, a retired skill), two volunteers, a community worker and an admin.

Local "today" is Monday 2026-11-23 (TEST_NOW is 10:00 in Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from service.models import Skill
from service.vocab import AreaLevel, Role
from tests.factories import make_area, make_skill, make_user, make_volunteer


@dataclass
class ProfileWorld:
    areas: dict[str, int] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    users: dict[str, int] = field(default_factory=dict)
    volunteers: dict[str, int] = field(default_factory=dict)


@pytest.fixture
async def world(session) -> ProfileWorld:
    w = ProfileWorld()
    district = await make_area(
        session, level=AreaLevel.district, name="芝罘区", lat=37.54, lng=121.40
    )
    east = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道",
                           lat=37.545, lng=121.41)  # fmt: skip
    west = await make_area(session, level=AreaLevel.street, parent=district, name="通伸街道",
                           lat=37.53, lng=121.35)  # fmt: skip
    home = await make_area(session, parent=east, name="海岸社区", lat=37.546, lng=121.412)
    near = await make_area(session, parent=east, name="东山社区", lat=37.548, lng=121.42)
    far = await make_area(session, parent=west, name="西沙社区", lat=37.52, lng=121.33)
    w.areas.update(district=district.id, east=east.id, home=home.id, near=near.id, far=far.id)

    emergency = await make_skill(session, name="应急")
    elderly = await make_skill(session, name="智慧助老")
    cpr = await make_skill(session, name="心肺复苏", parent=emergency)
    aed = await make_skill(session, name="AED 使用", parent=emergency)
    phone = await make_skill(session, name="智能手机使用", parent=elderly)
    retired = Skill(code="retired-skill", name="旧技能", parent_id=elderly.id, active=False)
    session.add(retired)
    await session.flush()
    w.skills.update(
        emergency=emergency.id, elderly=elderly.id, cpr=cpr.id, aed=aed.id, phone=phone.id,
        retired=retired.id,
    )  # fmt: skip

    for name, lat in (("李明", 37.5465), ("赵敏", 37.547)):
        user = await make_user(session, name=name, roles=((Role.volunteer, None, None),))
        volunteer = await make_volunteer(
            session, home_area=home, skills=[cpr], lat=lat, lng=121.412, user=user, all_week=False
        )
        w.users[name], w.volunteers[name] = user.id, volunteer.id
    worker = await make_user(session, name="王社工", roles=((Role.worker, home.id, None),))
    admin = await make_user(session, name="管理员", roles=((Role.admin, None, None),))
    w.users.update(worker=worker.id, admin=admin.id)
    await session.commit()
    return w


@pytest.fixture
async def me(world, login):
    """李明, the volunteer whose profile the tests change."""
    return await login(world.users["李明"])
