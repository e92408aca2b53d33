"""A district with two streets, orders around the edges of November 2026 (local time, UTC+8)
and service records, whose exports are known by hand.

* 向阳街道 (``street``): communities 朝阳街社区 and 毓璜顶社区; 白石街道 (``street2``): 珠玑社区.
* Orders in November (local): ``first_morning`` 11-01 07:00 (still 10-31 in UTC), ``mid``
  11-15 09:00 (a formula-like title), ``last_night`` 11-30 23:30; ``draft`` in November
  (never exported); ``december`` 12-01 00:30 local (11-30 in UTC: outside); ``october``
  10-31 20:00 local; ``foreign`` 11-10 in 白石街道.
* Service records: 王小明 served ``first_morning`` 2 h and ``mid`` 1.5 h; 李华 ``mid`` 3 h and
  ``foreign`` 2 h; 赵强 only ``foreign`` 4 h; 陈静 only ``october`` (outside).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from service.actor import Actor, RoleGrant
from service.models import ServiceRecord
from service.vocab import AreaLevel, OrderStatus, Role, TargetGroup
from tests.factories import make_area, make_order, make_skill, make_user, make_volunteer

LOCAL = timedelta(hours=8)


def local(text: str) -> datetime:
    """'2026-11-01 07:00' in Asia/Shanghai as an aware UTC instant."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC) - LOCAL


@dataclass
class ExportWorld:
    ids: dict[str, int] = field(default_factory=dict)
    users: dict[str, object] = field(default_factory=dict)
    areas: dict[str, object] = field(default_factory=dict)
    records: list[tuple[str, str, float]] = field(default_factory=list)  # volunteer, order, h

    def actor(self, who: str) -> Actor:
        area = self.areas[who]
        return Actor(
            user_id=self.users[who].id,
            grants=(RoleGrant(Role.coordinator, area_id=area.id, area_path=area.path),),
        )


async def build_export_world(session) -> ExportWorld:
    world = ExportWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street2 = await make_area(session, level=AreaLevel.street, parent=district, name="白石街道")
    chaoyang = await make_area(session, parent=street, name="朝阳街社区")
    yuhuang = await make_area(session, parent=street, name="毓璜顶社区")
    zhuji = await make_area(session, parent=street2, name="珠玑社区")
    domain = await make_skill(session, name="应急")
    cpr = await make_skill(session, name="心肺复苏", parent=domain)
    fraud_domain = await make_skill(session, name="反诈")
    fraud = await make_skill(session, name="电信诈骗识别", parent=fraud_domain)
    done = {"status": OrderStatus.completed, "published_at": local("2026-10-20 10:00")}
    orders = {
        "first_morning": await make_order(session, community=chaoyang, title="清晨急救课",
                                          starts_at=local("2026-11-01 07:00"), skills=[cpr],
                                          slots=2, accepted_count=2, expected_attendance=40,
                                          staffed_at=local("2026-10-22 18:05"), **done),
        "mid": await make_order(session, community=yuhuang, title="=HYPERLINK(\"x\")反诈讲座",
                                starts_at=local("2026-11-15 09:00"), skills=[fraud, cpr],
                                target_group=TargetGroup.youth, slots=3, accepted_count=2,
                                **done),
        "last_night": await make_order(session, community=chaoyang, title="夜间观星",
                                       starts_at=local("2026-11-30 23:30"), hours=0.5,
                                       status=OrderStatus.published,
                                       published_at=local("2026-11-20 08:00")),
        "draft": await make_order(session, community=chaoyang, title="草稿活动",
                                  starts_at=local("2026-11-16 09:00")),
        "december": await make_order(session, community=chaoyang, title="十二月活动",
                                     starts_at=local("2026-12-01 00:30"), **done),
        "october": await make_order(session, community=chaoyang, title="十月活动",
                                    starts_at=local("2026-10-31 20:00"), **done),
        "foreign": await make_order(session, community=zhuji, title="白石社区反诈讲座",
                                    starts_at=local("2026-11-10 09:00"), skills=[fraud], **done),
    }  # fmt: skip
    people = {}
    for key, name, phone, home in (
        ("wang", "王小明", "13912345678", chaoyang),
        ("li", "李华", "13800001111", yuhuang),
        ("zhao", "赵强", "13700002222", zhuji),
        ("chen", "陈静", "13600003333", chaoyang),
    ):
        user = await make_user(session, name=name, phone=phone)
        people[key] = await make_volunteer(session, home_area=home, user=user)
    world.records = [
        ("wang", "first_morning", 2.0), ("wang", "mid", 1.5), ("li", "mid", 3.0),
        ("li", "foreign", 2.0), ("zhao", "foreign", 4.0), ("chen", "october", 2.5),
    ]  # fmt: skip
    for who, order, hours in world.records:
        starts = orders[order].starts_at
        session.add(ServiceRecord(order_id=orders[order].id, volunteer_id=people[who].id,
                                  hours=hours, started_at=starts,
                                  ended_at=starts + timedelta(hours=hours)))  # fmt: skip
    for who, area in (("street", street), ("street2", street2), ("district", district)):
        world.users[who] = await make_user(
            session, name=f"协调员{area.name}", roles=((Role.coordinator, area.id, None),)
        )
        world.areas[who] = area
    world.users["admin"] = await make_user(
        session, name="管理员", roles=((Role.admin, None, None),)
    )
    world.users["worker"] = await make_user(
        session, name="社工", roles=((Role.worker, chaoyang.id, None),)
    )
    await session.commit()
    world.ids.update({name: order.id for name, order in orders.items()})
    world.ids.update({name: v.id for name, v in people.items()})
    world.ids.update(street=street.id, street2=street2.id, district=district.id)
    world.areas.update(street_area=street, street2_area=street2, district_area=district)
    return world


@pytest.fixture
async def world(session) -> ExportWorld:
    return await build_export_world(session)
