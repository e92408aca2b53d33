"""The volunteer import: every kind of bad row reported with its row number, dry runs that
write nothing, all-or-nothing commits, GBK and formula files, the template re-imported."""

from __future__ import annotations

import io

import openpyxl
import sqlalchemy as sa

from service.admin_data import importing
from service.models import AuditEntry, RoleAssignment, User, Volunteer, VolunteerSkill
from service.vocab import Role, UserStatus, VolunteerStatus
from tests.service.admin_data.conftest import TAKEN_PHONE, csv_bytes, digest, good_rows


def _problems(report) -> set[tuple[int, str, str]]:
    return {(p.row, p.column, p.kind) for p in report.problems}


BAD_ROWS = [
    ["", "13500000101", "朝阳街社区", "心肺复苏", "", ""],  # row 2: missing name
    ["李四", "1350000010", "朝阳街社区", "", "", ""],  # row 3: 10 digits
    ["王五", "", "朝阳街社区", "", "", ""],  # row 4: missing phone
    ["赵六", "13500000104", "不存在社区", "", "", ""],  # row 5: unknown community
    ["孙七", "13500000105", "毓璜顶社区", "", "", ""],  # row 6: two communities of that name
    ["周八", "13500000106", "朝阳街社区", "心肺复苏、天文观测", "", ""],  # row 7: unknown skill
    ["吴九", "13500000107", "朝阳街社区", "急救包扎", "", ""],  # row 8: retired skill
    ["郑十", "13500000108", "朝阳街社区", "应急", "", ""],  # row 9: a domain, not a skill
    ["钱一", "13500000109", "朝阳街社区", "", "500", ""],  # row 10: radius too large
    ["陈二", "13500000101", "朝阳街社区", "", "", ""],  # row 11: same phone as row 2
    ["老志愿者", TAKEN_PHONE, "朝阳街社区", "", "", ""],  # row 12: already has an account
    ["好人", "135 0000 0112", "向阳街道/毓璜顶社区", "电信诈骗识别", "3", ""],  # row 13: fine
]


async def test_each_kind_of_bad_row_is_reported_with_its_row_number(session, world):
    report = await importing.check_file(session, data=csv_bytes(BAD_ROWS), filename="v.csv")
    assert _problems(report) == {
        (2, "name", "missing_name"),
        (3, "phone", "bad_phone"),
        (4, "phone", "missing_phone"),
        (5, "community", "unknown_community"),
        (6, "community", "ambiguous_community"),
        (7, "skills", "unknown_skill"),
        (8, "skills", "retired_skill"),
        (9, "skills", "domain_skill"),
        (10, "radius_km", "bad_radius"),
        (11, "phone", "duplicate_in_file"),
        (12, "phone", "duplicate_in_database"),
    }
    assert not report.ok and report.rows == 12 and report.rows_with_problems == 11
    duplicate = next(p for p in report.problems if p.kind == "duplicate_in_file")
    assert duplicate.message == "手机号与第 2 行重复"
    assert [p["row"] for p in report.people] == [13]
    assert report.people[0]["phone"] == "13500000112"  # spaces dropped as the input layer does
    assert report.people[0]["community_id"] == world.areas["yuhuang"].id


async def test_a_dry_run_writes_nothing(session, world):
    before = await digest(session)
    report = await importing.check_file(session, data=csv_bytes(good_rows(30)), filename="v.csv")
    assert report.ok and len(report.people) == 30, report.problems[:3]
    assert await digest(session) == before


async def test_one_bad_row_blocks_the_whole_import(session, world, clock, settings):
    before = await digest(session)
    rows = [*good_rows(20), ["坏行", "12345", "朝阳街社区", "", "", ""]]
    report = await importing.commit_file(
        session, world.ctx(clock.now(), settings), data=csv_bytes(rows), filename="v.csv"
    )
    assert not report.ok and report.created == 0
    assert _problems(report) == {(22, "phone", "bad_phone")}
    await session.rollback()
    assert await digest(session) == before


async def test_a_good_file_creates_every_volunteer_as_the_import_promises(
    session, world, clock, settings
):
    before = await digest(session)
    report = await importing.commit_file(
        session, world.ctx(clock.now(), settings), data=csv_bytes(good_rows(25)), filename="v.csv"
    )
    await session.commit()
    assert report.ok and report.created == 25
    after = await digest(session)
    assert after["users"] - before["users"] == 25
    assert after["volunteers"] - before["volunteers"] == 25
    assert after["volunteer_skills"] - before["volunteer_skills"] == 50
    assert after["audit_log"] - before["audit_log"] == 25
    people = (
        await session.execute(
            sa.select(User, Volunteer)
            .join(Volunteer, Volunteer.user_id == User.id)
            .where(User.phone.like("1350000%"))
            .order_by(User.phone)
        )
    ).all()
    assert len(people) == 25
    chaoyang = world.areas["chaoyang"]
    for i, (user, volunteer) in enumerate(people):
        assert (user.name, user.phone) == (f"志愿者{i}", f"1350000{i:04d}")
        assert user.status == UserStatus.active and user.password_hash is None
        assert volunteer.status == VolunteerStatus.active
        assert volunteer.home_area_id == chaoyang.id
        assert (volunteer.home_lat, volunteer.home_lng) == (chaoyang.lat, chaoyang.lng)
        assert volunteer.radius_km == 5.0
    ids = [v.id for _, v in people]
    skills = set(
        (await session.execute(
            sa.select(VolunteerSkill.volunteer_id, VolunteerSkill.skill_id)
            .where(VolunteerSkill.volunteer_id.in_(ids))
        )).all()
    )  # fmt: skip
    wanted = {world.skills["cpr"].id, world.skills["fraud"].id}
    assert skills == {(v, s) for v in ids for s in wanted}
    roles = await session.scalars(
        sa.select(RoleAssignment.role).where(RoleAssignment.user_id.in_([u.id for u, _ in people]))
    )
    assert list(roles) == [Role.volunteer] * 25
    audit = await session.scalars(
        sa.select(AuditEntry).where(AuditEntry.target_user_id == people[0][0].id)
    )
    entry = audit.one()
    assert entry.action == "user_created" and entry.actor_user_id == world.users["admin"].id
    assert entry.detail["import"] == report.import_id and entry.detail["row"] == 2
    again = await importing.check_file(session, data=csv_bytes(good_rows(25)), filename="v.csv")
    assert {p.kind for p in again.problems} == {"duplicate_in_database"}
    assert again.rows_with_problems == 25


async def test_a_gbk_csv_from_excel_is_read(session, world):
    rows = [["王小明", "13900000201", "白石社区", "电信诈骗识别", "", "会讲反诈"]]
    report = await importing.check_file(
        session, data=csv_bytes(rows, encoding="gbk"), filename="excel.csv"
    )
    assert report.ok and report.encoding == "GBK"
    assert report.people[0]["name"] == "王小明" and report.people[0]["bio"] == "会讲反诈"


async def test_a_csv_in_an_unknown_encoding_gets_a_clear_message(session, world):
    data = csv_bytes([["Ａ", "13900000201", "白石社区", "", "", ""]], encoding="utf-16")
    report = await importing.check_file(session, data=data, filename="odd.csv")
    assert report.file_problem is not None and "CSV UTF-8" in str(report.file_problem)


async def test_a_file_without_the_required_columns_is_refused_as_a_whole(session, world):
    data = csv_bytes([["x", "y"]], header=["名字", "电话"])
    report = await importing.check_file(session, data=data, filename="v.csv")
    assert (
        str(report.file_problem)
        == "第 1 行应是表头，缺少这些列：姓名、手机号、社区。请使用下载的模板。"
    )


def _xlsx(rows: list[list[object]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["姓名*", "手机号*", "社区*", "技能", "服务半径（公里）", "简介"])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_numbers_and_formula_cells_of_an_xlsx(session, world):
    # openpyxl saves formulas without a computed value, as a program-written file would:
    # such a cell is reported; a phone typed as a number is read back as its digits.
    data = _xlsx([
        ["数字手机", 13900000301, "朝阳街社区", "心肺复苏", 3, None],
        ["公式手机", "=13900000000+302", "朝阳街社区", "心肺复苏", None, None],
    ])  # fmt: skip
    report = await importing.check_file(session, data=data, filename="v.xlsx")
    assert report.kind == "xlsx"
    assert _problems(report) == {(3, "phone", "formula_without_value")}
    assert report.people[0]["phone"] == "13900000301" and report.people[0]["radius_km"] == 3.0


async def test_a_formula_with_a_saved_value_counts_by_its_value(session, world, tmp_path):
    # Excel saves a formula with its last result: write the value into the XML as Excel would.
    import zipfile

    plain = _xlsx([["公式", '=TEXT(13900000302,"0")', "朝阳街社区", "心肺复苏", None, None]])
    source = zipfile.ZipFile(io.BytesIO(plain))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            body = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = body.decode()
                start = text.index("<f>")
                end = text.index("</f>", start) + 4
                cell_end = text.index("</c>", end)
                text = text[:end] + "<v>13900000302</v>" + text[cell_end:]
                text = text.replace('t="str"><f>', "><f>")
                body = text.encode()
            target.writestr(item, body)
    report = await importing.check_file(session, data=out.getvalue(), filename="v.xlsx")
    assert report.ok, report.problems
    assert report.people[0]["phone"] == "13900000302"


async def test_the_template_downloads_and_reimports_cleanly(session, world, clock, settings):
    for kind, name in (("xlsx", "模板.xlsx"), ("csv", "模板.csv")):
        data = await importing.template(session, kind=kind)
        report = await importing.check_file(session, data=data, filename=name)
        assert report.ok, (kind, report.problems, report.file_problem)
        assert report.rows == 1 and report.kind == kind
    xlsx = await importing.template(session, kind="xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx)).worksheets
    assert [c.value for c in sheet[0][1]] == [
        "姓名*",
        "手机号*",
        "社区*",
        "技能",
        "服务半径（公里）",
        "简介",
    ]
    listed = {row[0] for row in sheet[1].iter_rows(min_row=2, values_only=True)}
    assert "朝阳街社区" in listed
    offered = {row[2] for row in sheet[1].iter_rows(min_row=2, values_only=True)}
    assert "急救包扎" not in offered and "心肺复苏" in offered
    report = await importing.commit_file(
        session, world.ctx(clock.now(), settings), data=xlsx, filename="模板.xlsx"
    )
    assert report.created == 1
