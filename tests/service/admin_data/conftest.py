"""A small district for the admin data tests.

芝罘区 → 向阳街道 (朝阳街社区, 毓璜顶社区) and 白石街道 (白石社区, and a second 毓璜顶社区 so
that name alone is ambiguous). Skills: 应急 → 心肺复苏, 急救包扎 (retired), 反诈 → 电信诈骗识别.
An existing volunteer (phone 13700000001) holds 急救包扎 from before it was retired; an admin
and a coordinator of 向阳街道.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.vocab import AreaLevel, Role
from tests.factories import make_area, make_skill, make_user, make_volunteer

HEADER = ["姓名", "手机号", "社区", "技能", "服务半径（公里）", "简介"]
TAKEN_PHONE = "13700000001"


@dataclass
class DataWorld:
    areas: dict = field(default_factory=dict)
    skills: dict = field(default_factory=dict)
    users: dict = field(default_factory=dict)
    ids: dict = field(default_factory=dict)  # "skill:cpr", "area:chaoyang" → id (safe to read
    # after the test's session expired its rows)

    def ctx(self, now, settings) -> ActionContext:
        actor = Actor(user_id=self.users["admin"].id, grants=(RoleGrant(Role.admin),))
        return ActionContext(actor=actor, now=now, settings=settings)


@pytest.fixture
async def world(session) -> DataWorld:
    w = DataWorld()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    xiangyang = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    baishi = await make_area(
        session, level=AreaLevel.street, parent=district, name="白石街道", lat=37.56, lng=121.42
    )
    w.areas.update(district=district, xiangyang=xiangyang, baishi=baishi)
    for key, name, parent in (
        ("chaoyang", "朝阳街社区", xiangyang),
        ("yuhuang", "毓璜顶社区", xiangyang),
        ("baishi_c", "白石社区", baishi),
        ("yuhuang2", "毓璜顶社区", baishi),
    ):
        w.areas[key] = await make_area(session, level=AreaLevel.community, parent=parent, name=name)
    emergency = await make_skill(session, name="应急")
    w.skills.update(
        emergency=emergency,
        cpr=await make_skill(session, name="心肺复苏", parent=emergency),
        bandage=await make_skill(session, name="急救包扎", parent=emergency),
        fraud_domain=await make_skill(session, name="反诈"),
    )
    w.skills["fraud"] = await make_skill(
        session, name="电信诈骗识别", parent=w.skills["fraud_domain"]
    )
    w.users["admin"] = await make_user(session, name="管理员", roles=((Role.admin, None, None),))
    w.users["other_admin"] = await make_user(
        session, name="另一位管理员", roles=((Role.admin, None, None),)
    )
    w.users["coordinator"] = await make_user(
        session, name="协调员", roles=((Role.coordinator, xiangyang.id, None),)
    )
    old = await make_user(
        session, phone=TAKEN_PHONE, name="老志愿者", roles=((Role.volunteer, None, None),)
    )
    w.users["old"] = old
    veteran = await make_volunteer(
        session, user=old, home_area=w.areas["chaoyang"], skills=[w.skills["bandage"]]
    )
    w.users["veteran_volunteer_id"] = veteran.id
    w.skills["bandage"].active = False
    await session.commit()
    w.ids.update({f"skill:{k}": v.id for k, v in w.skills.items()})
    w.ids.update({f"area:{k}": v.id for k, v in w.areas.items()})
    return w


def csv_bytes(rows: list[list[object]], *, encoding: str = "utf-8", header=HEADER) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


def good_rows(n: int, *, start: int = 0) -> list[list[object]]:
    return [
        [f"志愿者{i}", f"1350000{i:04d}", "朝阳街社区", "心肺复苏、电信诈骗识别", "5", ""]
        for i in range(start, start + n)
    ]


async def digest(session) -> dict:
    """Row counts and the ids of users/volunteers: what a dry run must leave as it was."""
    await session.rollback()
    counts = {}
    for table in ("users", "role_assignments", "volunteers", "volunteer_skills", "audit_log",
                  "areas", "skills", "venues", "volunteer_changes"):  # fmt: skip
        counts[table] = await session.scalar(sa.text(f"SELECT count(*) FROM {table}"))
    counts["max_user"] = await session.scalar(sa.text("SELECT max(id) FROM users"))
    return counts
