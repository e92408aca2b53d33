"""Two streets, three volunteers and their confirmed service records around a year's turn.

向阳街道 (community 朝阳街社区) and 白石街道 (community 珠玑社区) in 芝罘区; TEST_NOW is
2026-11-23 10:00 local (UTC+8).

* ``wang`` 王志愿 (home 朝阳街社区): 2025-03-10 2.5 h; 2025-12-31 20:00 local 2 h (last year);
  2026-01-01 07:00 local = 2025-12-31 23:00 UTC 1.5 h (this year, though last year in UTC);
  2026-05-20 3 h in 珠玑社区 (another street's community: still his service);
  2026-06-01 0 h (a correction to nothing: not service).
* ``li`` 李白石 (home 珠玑社区): 2025-07-01 2 h; 2026-03-01 1.5 h.
* ``zhao`` 赵无时 (home 朝阳街社区): no records.

Coordinators: ``street_a`` (向阳街道), ``street_b`` (白石街道), ``district`` (芝罘区); ``admin``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.models import ServiceRecord
from service.vocab import AreaLevel, OrderStatus, Role
from tests.factories import make_area, make_order, make_user, make_volunteer

WANG_PHONE = "13912345678"
LI_PHONE = "13987654321"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@dataclass
class CertWorld:
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    grants: dict[str, RoleGrant] = field(default_factory=dict)

    def actor(self, who: str) -> Actor:
        user = self.users[who]
        grant = self.grants.get(who)
        return Actor(
            user_id=user.id,
            grants=(grant,) if grant else (),
            volunteer_id=self.ids.get(f"volunteer:{who}"),
        )


async def build_world(session) -> CertWorld:
    world = CertWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street_a = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street_b = await make_area(session, level=AreaLevel.street, parent=district, name="白石街道")
    a1 = await make_area(session, parent=street_a, name="朝阳街社区")
    b1 = await make_area(session, parent=street_b, name="珠玑社区")

    async def volunteer(who, name, phone, home):
        user = await make_user(
            session, name=name, phone=phone, roles=((Role.volunteer, None, None),)
        )
        v = await make_volunteer(session, home_area=home, user=user, all_week=False)
        world.users[who] = user
        world.grants[who] = RoleGrant(Role.volunteer)
        world.ids[f"volunteer:{who}"] = v.id
        return v

    wang = await volunteer("wang", "王志愿", WANG_PHONE, a1)
    li = await volunteer("li", "李白石", LI_PHONE, b1)
    await volunteer("zhao", "赵无时", None, a1)

    async def served(v, community, start: datetime, hours: float, title: str):
        order = await make_order(
            session, community=community, starts_at=start, hours=max(hours, 1),
            status=OrderStatus.completed, title=title,
        )  # fmt: skip
        session.add(
            ServiceRecord(
                order_id=order.id, volunteer_id=v.id, hours=hours, started_at=start,
                ended_at=start + timedelta(hours=max(hours, 1)),
            )
        )  # fmt: skip
        return order

    await served(wang, a1, utc(2025, 3, 10, 1), 2.5, "老年人防范电信诈骗讲座")
    await served(wang, a1, utc(2025, 12, 31, 12), 2.0, "跨年夜应急安全宣传")
    await served(wang, a1, utc(2025, 12, 31, 23), 1.5, "元旦清晨科普健步走")
    await served(wang, b1, utc(2026, 5, 20, 6), 3.0, "智能手机使用课：微信视频通话")
    await served(wang, a1, utc(2026, 6, 1, 2), 0.0, "心肺复苏培训（未到场）")
    await served(li, b1, utc(2025, 7, 1, 2), 2.0, "青少年科学实验：水火箭")
    await served(li, b1, utc(2026, 3, 1, 2), 1.5, "合理用药讲座")

    for who, area in (("street_a", street_a), ("street_b", street_b), ("district", district)):
        world.users[who] = await make_user(
            session, name=f"协调员{area.name}", roles=((Role.coordinator, area.id, None),)
        )
        world.grants[who] = RoleGrant(Role.coordinator, area_id=area.id, area_path=area.path)
    world.users["admin"] = await make_user(
        session, name="管理员", roles=((Role.admin, None, None),)
    )
    world.grants["admin"] = RoleGrant(Role.admin)
    await session.commit()
    world.ids.update(a1=a1.id, b1=b1.id, street_a=street_a.id, street_b=street_b.id)
    return world


@pytest.fixture
def settings_overrides() -> dict:
    return {"public_origin": "https://kepu.example.cn"}


@pytest.fixture
async def world(session) -> CertWorld:
    return await build_world(session)


@pytest.fixture
def ctx_of(world, settings, clock):
    def make(who: str, **changes) -> ActionContext:
        return ActionContext(
            actor=world.actor(who), now=changes.get("now", clock.now()), settings=settings
        )

    return make
