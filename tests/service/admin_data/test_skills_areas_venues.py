"""The taxonomy (retire keeps history, hidden for new orders and profiles), the area code
import (dry run, all or nothing, paths), venues (scope, point inside the district)."""

from __future__ import annotations

import sqlalchemy as sa

from service.admin_data import areas, importing, skills
from service.models import Area, OrderSkill, Skill, Venue, VolunteerSkill
from service.orders.repository import existing_skill_ids, skill_tree
from service.volunteers.service import skill_groups
from tests.factories import make_order
from tests.service.admin_data.conftest import csv_bytes, digest
from tests.service.admin_data.test_pages_import import words


async def _fresh(session) -> None:
    """See what the requests committed (the test's session keeps loaded rows otherwise)."""
    await session.rollback()
    session.expire_all()


async def _offered_ids(session) -> tuple[set[int], set[int]]:
    orders = {s.id for _, children in await skill_tree(session=session) for s in children}
    profiles = {s.id for group in await skill_groups(session) for s in group.skills}
    return orders, profiles


async def test_retiring_hides_a_skill_for_new_orders_and_profiles_but_keeps_history(
    login, session, world, clock
):
    cpr = world.skills["cpr"]
    order = await make_order(
        session, community=world.areas["chaoyang"], skills=[cpr], starts_at=clock.now()
    )
    await session.commit()
    order_id, cpr_id, fraud_id = order.id, cpr.id, world.ids["skill:fraud"]
    client = await login(world.users["admin"].id)
    form_before = words((await client.get("/desk/orders/new")).text)
    assert "心肺复苏" in form_before and "急救包扎" not in form_before  # bandage retired earlier
    retired = await client.post(
        "/admin/data/skills/active", data={"skill_id": str(cpr_id), "active": "false"}
    )
    assert retired.status_code == 303
    await _fresh(session)
    orders, profiles = await _offered_ids(session)
    assert cpr_id not in orders and cpr_id not in profiles
    assert fraud_id in orders and fraud_id in profiles
    assert "心肺复苏" not in words((await client.get("/desk/orders/new")).text)
    # Nor may the API ask for it on a new order (the form's list is not the only way in).
    assert await existing_skill_ids(session=session, skill_ids=[cpr_id, fraud_id]) == {fraud_id}
    # History: the order still asks for it, the veteran still holds the older retired one.
    assert (
        await session.scalar(sa.select(OrderSkill.skill_id).where(OrderSkill.order_id == order_id))
        == cpr_id
    )
    assert (
        await session.scalar(
            sa.select(VolunteerSkill.skill_id).where(
                VolunteerSkill.volunteer_id == world.users["veteran_volunteer_id"]
            )
        )
        == world.ids["skill:bandage"]
    )
    page = words((await client.get("/admin/data/skills?done=retired")).text)
    assert "已停用：新活动、志愿者资料和导入不再提供它" in page
    report = await importing.check_file(
        session, data=csv_bytes([["甲", "13500000009", "朝阳街社区", "心肺复苏", "", ""]]),
        filename="v.csv",
    )  # fmt: skip
    assert [p.kind for p in report.problems] == ["retired_skill"]


async def test_retiring_a_domain_retires_its_skills_and_restoring_needs_the_domain(session, world):
    changed = await skills.set_active(session, skill_id=world.skills["emergency"].id, active=False)
    assert set(changed) == {world.skills[k].id for k in ("emergency", "cpr", "bandage")}
    try:
        await skills.set_active(session, skill_id=world.skills["cpr"].id, active=True)
    except skills.SkillRefused as refused:
        assert refused.status == 409 and "应急" in str(refused)
    else:
        raise AssertionError("restoring under a retired domain was allowed")
    await skills.set_active(session, skill_id=world.skills["emergency"].id, active=True)
    await skills.set_active(session, skill_id=world.skills["cpr"].id, active=True)
    orders, _ = await _offered_ids(session)
    assert world.skills["cpr"].id in orders and world.skills["bandage"].id not in orders


async def test_add_and_rename_keep_ids_and_refuse_duplicates(login, session, world):
    client = await login(world.users["admin"].id)
    emergency, cpr = world.ids["skill:emergency"], world.ids["skill:cpr"]
    added = await client.post(
        "/admin/data/skills", data={"parent_id": str(emergency), "name": "防溺水", "code": "drown"}
    )
    assert added.status_code == 303
    twice = await client.post(
        "/admin/data/skills", data={"parent_id": str(emergency), "name": "防溺水"}
    )
    assert twice.status_code == 422 and "这一层已经有「防溺水」了" in words(twice.text)
    renamed = await client.post(
        "/admin/data/skills/rename", data={"skill_id": str(cpr), "name": "心肺复苏(CPR)"}
    )
    assert renamed.status_code == 303
    await _fresh(session)
    skill = await session.get(Skill, cpr)
    assert skill.name == "心肺复苏(CPR)"
    new = await session.scalar(sa.select(Skill).where(Skill.code == "drown"))
    assert new.parent_id == emergency and new.active
    missing = await client.post(
        "/admin/data/skills/rename", data={"skill_id": "999999", "name": "x"}
    )
    assert missing.status_code == 404


AREA_HEADER = ["code", "name", "level", "parent_code", "lat", "lng"]


async def test_area_import_dry_run_then_commit(login, session, world):
    xiangyang = world.areas["xiangyang"]
    district_path, xiangyang_id = world.areas["district"].path, xiangyang.id
    rows = [
        [xiangyang.code, "向阳街道（新名）", "street", world.areas["district"].code, "", ""],
        ["370602999001", "新街道", "街道", world.areas["district"].code, "37.55", "121.41"],
        ["370602999101", "新社区一", "community", "370602999001", "", ""],
        ["370602999102", "新社区二", "社区", "370602999001", "37.551", "121.411"],
        [world.areas["chaoyang"].code, "朝阳街社区", "community", xiangyang.code, "", ""],
    ]
    data = csv_bytes(rows, header=AREA_HEADER)
    before = await digest(session)
    client = await login(world.users["admin"].id)
    dry = await client.post("/admin/data/areas/import", files={"file": ("a.csv", data, "text/csv")})
    text = words(dry.text)
    assert dry.status_code == 200 and "新增 3 个，改名 1 个，不变 1 个" in text
    assert await digest(session) == before
    import re

    token = re.search(r'name="token" value="([^"]+)"', dry.text).group(1)
    done = await client.post("/admin/data/areas/import/commit", data={"token": token})
    assert done.status_code == 200 and "已导入" in words(done.text)
    await _fresh(session)
    street = await session.scalar(sa.select(Area).where(Area.code == "370602999001"))
    first = await session.scalar(sa.select(Area).where(Area.code == "370602999101"))
    second = await session.scalar(sa.select(Area).where(Area.code == "370602999102"))
    assert street.path == f"{district_path}{street.id}/"
    assert first.path == f"{street.path}{first.id}/" and first.parent_id == street.id
    assert (first.lat, first.lng) == (37.55, 121.41)  # the parent's centre stands in
    assert (second.lat, second.lng) == (37.551, 121.411)
    renamed = await session.get(Area, xiangyang_id)
    assert renamed.name == "向阳街道（新名）"


async def test_one_bad_area_row_refuses_the_whole_file(session, world):
    rows = [
        ["370602999001", "新街道", "street", world.areas["district"].code, "", ""],
        ["37060299", "短代码", "community", "370602999001", "", ""],
        ["370602999103", "孤儿", "community", "370602000000", "", ""],
        [world.areas["chaoyang"].code, "搬家", "community", world.areas["baishi"].code, "", ""],
        ["370602999104", "新社区", "community", world.areas["district"].code, "", ""],
        ["370602999105", "新区", "district", "", "", ""],
    ]
    before = await digest(session)
    plan = await areas.import_areas(
        session, data=csv_bytes(rows, header=AREA_HEADER), filename="a.csv"
    )
    assert not plan.ok
    assert {(p.row, p.kind) for p in plan.problems} == {
        (3, "bad_code"), (4, "unknown_parent"), (5, "moved"), (6, "wrong_parent_level"),
        (7, "district_needs_point"),
    }  # fmt: skip
    await session.rollback()
    assert await digest(session) == before


async def test_venues_inside_the_district_and_the_coordinators_scope(login, session, world):
    admin = await login(world.users["admin"].id)
    chaoyang = world.areas["chaoyang"]
    good = {"community_id": str(chaoyang.id), "name": "文化活动室", "address": "朝阳街 1 号",
            "lat": f"{chaoyang.lat + 0.01}", "lng": f"{chaoyang.lng}"}  # fmt: skip
    assert (await admin.post("/admin/data/venues", data=good)).status_code == 303
    swapped = await admin.post(
        "/admin/data/venues", data={**good, "lat": good["lng"], "lng": good["lat"]}
    )
    assert swapped.status_code == 422 and "不在朝阳街社区所在的区县内" in words(swapped.text)
    far = await admin.post("/admin/data/venues", data={**good, "lat": "39.9", "lng": "116.4"})
    assert far.status_code == 422
    coordinator = await login(world.users["coordinator"].id)
    foreign = {**good, "community_id": str(world.areas["baishi_c"].id), "name": "白石广场"}
    refused = await coordinator.post("/admin/data/venues", data=foreign)
    assert refused.status_code == 422 and "请选择你负责范围内的一个社区" in words(refused.text)
    assert (await admin.post("/admin/data/venues", data=foreign)).status_code == 303
    await _fresh(session)
    ids = {v.name: v.id for v in await session.scalars(sa.select(Venue))}
    assert set(ids) == {"文化活动室", "白石广场"}
    mine = words((await coordinator.get("/admin/data/venues")).text)
    assert "文化活动室" in mine and "白石广场" not in mine
    edit = await coordinator.post(
        "/admin/data/venues", data={**good, "venue_id": str(ids["白石广场"]), "name": "偷改"}
    )
    assert edit.status_code == 404
    edited = await coordinator.post(
        "/admin/data/venues",
        data={**good, "venue_id": str(ids["文化活动室"]), "name": "文化活动中心"},
    )
    assert edited.status_code == 303
    await _fresh(session)
    assert (await session.get(Venue, ids["文化活动室"])).name == "文化活动中心"
