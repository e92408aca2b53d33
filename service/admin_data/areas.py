"""The area tree and its official codes (GB/T 2260 style, 12 digits) imported from CSV.

The CSV has the columns code, name, level, parent_code (and optionally lat, lng). A dry run
says which areas would be added and which renamed; a code already in the tree keeps its place
(its level and parent cannot change: orders, volunteers and roles hang on it), only its name
follows the file. A new area without a point takes its parent's centre until someone sets one.
Everything is checked before anything is written; one bad row refuses the whole file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.admin_data import repository
from service.admin_data.import_files import UnreadableFile, read_table
from service.models import Area
from service.page_text import N_
from service.schemas_common import Name
from service.vocab import AreaLevel

ALIASES = {
    "code": "code", "代码": "code", "区划代码": "code",
    "name": "name", "名称": "name",
    "level": "level", "级别": "level",
    "parent_code": "parent_code", "上级代码": "parent_code",
    "lat": "lat", "纬度": "lat", "lng": "lng", "经度": "lng",
}  # fmt: skip
REQUIRED = {"code": "code", "name": "name", "level": "level"}
LEVELS = {
    "district": AreaLevel.district, "区县": AreaLevel.district, "区": AreaLevel.district,
    "县": AreaLevel.district, "street": AreaLevel.street, "街道": AreaLevel.street,
    "乡镇": AreaLevel.street, "镇": AreaLevel.street, "乡": AreaLevel.street,
    "community": AreaLevel.community, "社区": AreaLevel.community, "村": AreaLevel.community,
}  # fmt: skip
PARENT_LEVEL = {AreaLevel.street: AreaLevel.district, AreaLevel.community: AreaLevel.street}
LEVEL_ORDER = {AreaLevel.district: 0, AreaLevel.street: 1, AreaLevel.community: 2}
KINDS = {
    "bad_code": N_("区划代码「%(value)s」应是 12 位数字"),
    "duplicate_code": N_("区划代码与第 %(first)s 行重复"),
    "missing_name": N_("名称为空"),
    "bad_name": N_("名称不能超过 64 个字，也不能含换行等控制字符"),
    "bad_level": N_("级别「%(value)s」应是 district / street / community（区县 / 街道 / 社区）"),
    "missing_parent": N_("街道和社区要填上级代码"),
    "unknown_parent": N_("找不到上级代码「%(value)s」（系统里和文件里都没有）"),
    "wrong_parent_level": N_("上级「%(value)s」的级别不对：街道的上级应是区县，社区的上级应是街道"),
    "district_with_parent": N_("区县不填上级代码"),
    "moved": N_("已有区域不能改变级别或上级（它的活动、志愿者和角色都挂在这里）"),
    "bad_point": N_("纬度、经度要一起填，且是有效的数字"),
    "district_needs_point": N_("新的区县要填纬度、经度（它没有上级可以借用位置）"),
}
_name = TypeAdapter(Name)


@dataclass(frozen=True)
class AreaProblem:
    row: int
    column: str
    kind: str
    params: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        return KINDS[self.kind]

    @property
    def message(self) -> str:
        return self.source % self.params if self.params else self.source


@dataclass
class AreaPlan:
    """What importing the file would do."""

    rows: int = 0
    added: list[dict] = field(default_factory=list)  # code, name, level, parent_code, lat, lng
    renamed: list[dict] = field(default_factory=list)  # code, old, new
    unchanged: int = 0
    problems: list[AreaProblem] = field(default_factory=list)
    file_problem: UnreadableFile | None = None

    @property
    def ok(self) -> bool:
        return self.file_problem is None and not self.problems


@dataclass(frozen=True)
class TreeNode:
    area: Area
    depth: int
    volunteers: int
    venues: int


async def tree(session: AsyncSession) -> list[TreeNode]:
    """The whole tree in path order with each node's depth and what hangs on it."""
    areas = await repository.all_areas(session=session)
    counts = await repository.area_counts(session=session)
    return [
        TreeNode(area, area.path.strip("/").count("/"), *counts.get(area.id, (0, 0)))
        for area in areas
    ]


def _point(row: dict) -> tuple[float, float] | str | None:
    raw_lat, raw_lng = str(row.get("lat") or "").strip(), str(row.get("lng") or "").strip()
    if not raw_lat and not raw_lng:
        return None
    try:
        lat, lng = float(raw_lat), float(raw_lng)
    except ValueError:
        return "bad"
    if not (math.isfinite(lat) and math.isfinite(lng) and -90 <= lat <= 90 and -180 <= lng <= 180):
        return "bad"
    return lat, lng


async def plan_import(session: AsyncSession, *, data: bytes, filename: str) -> AreaPlan:
    """The dry run: check every row against the tree and the rest of the file."""
    plan = AreaPlan()
    try:
        sheet = read_table(data, filename, aliases=ALIASES, required=REQUIRED)
    except UnreadableFile as problem:
        plan.file_problem = problem
        return plan
    plan.rows = len(sheet.rows)
    existing = {a.code: a for a in await repository.all_areas(session=session)}
    levels_in_file: dict[str, str] = {}
    first_row: dict[str, int] = {}
    for row in sheet.rows:
        code = str(row.get("code") or "").strip()
        level = LEVELS.get(str(row.get("level") or "").strip().lower())
        if len(code) == 12 and code.isdigit() and level and code not in levels_in_file:
            levels_in_file[code] = level
    for row, number in zip(sheet.rows, sheet.numbers, strict=True):
        found, code, name, level, parent_code, point = _check_row(
            row, number, existing, levels_in_file, first_row
        )
        known = existing.get(code)
        plan.problems.extend(found)
        if found:
            continue
        if known is None:
            plan.added.append({"row": number, "code": code, "name": name, "level": level,
                               "parent_code": parent_code or None, "point": point})  # fmt: skip
        elif known.name != name:
            plan.renamed.append({"row": number, "code": code, "old": known.name, "new": name})
        else:
            plan.unchanged += 1
    return plan


def _check_row(row, number, existing, levels_in_file, first_row):
    """One row's problems and its cleaned values (code, name, level, parent code, point)."""
    found: list[AreaProblem] = []

    def problem(column, kind, number=number, found=found, **params):
        found.append(AreaProblem(number, column, kind, params))

    code = str(row.get("code") or "").strip()
    if not (len(code) == 12 and code.isdigit()):
        problem("code", "bad_code", value=code[:20])
    elif code in first_row:
        problem("code", "duplicate_code", first=first_row[code])
    else:
        first_row[code] = number
    name = str(row.get("name") or "").strip()
    if not name:
        problem("name", "missing_name")
    else:
        try:
            name = _name.validate_python(name)
        except ValidationError:
            problem("name", "bad_name")
    raw_level = str(row.get("level") or "").strip()
    level = LEVELS.get(raw_level.lower())
    if level is None:
        problem("level", "bad_level", value=raw_level[:20])
    parent_code = str(row.get("parent_code") or "").strip()
    if level == AreaLevel.district and parent_code:
        problem("parent_code", "district_with_parent")
    elif level in PARENT_LEVEL:
        parent_level = (
            existing[parent_code].level
            if parent_code in existing
            else levels_in_file.get(parent_code)
        )
        if not parent_code:
            problem("parent_code", "missing_parent")
        elif parent_level is None:
            problem("parent_code", "unknown_parent", value=parent_code[:20])
        elif parent_level != PARENT_LEVEL[level]:
            problem("parent_code", "wrong_parent_level", value=parent_code[:20])
    point = _point(row)
    if point == "bad":
        problem("lat", "bad_point")
    known = existing.get(code)
    if known is None and level == AreaLevel.district and point is None:
        problem("lat", "district_needs_point")
    if known is not None and level is not None and not found:
        parent = existing.get(parent_code)
        if known.level != level or (known.parent_id or None) != (parent.id if parent else None):
            problem("level", "moved")
    return found, code, name, level, parent_code, point


async def import_areas(session: AsyncSession, *, data: bytes, filename: str) -> AreaPlan:
    """Check again, then add and rename everything in the caller's transaction — or nothing."""
    plan = await plan_import(session, data=data, filename=filename)
    if not plan.ok:
        return plan
    by_code = {a.code: a for a in await repository.all_areas(session=session)}
    for item in sorted(plan.added, key=lambda a: LEVEL_ORDER[a["level"]]):
        parent = by_code.get(item["parent_code"]) if item["parent_code"] else None
        lat, lng = item["point"] or (parent.lat, parent.lng)
        by_code[item["code"]] = await repository.add_area(
            session=session, code=item["code"], name=item["name"], level=item["level"],
            parent=parent, lat=lat, lng=lng,
        )  # fmt: skip
    for item in plan.renamed:
        await repository.rename_area(
            session=session, area_id=by_code[item["code"]].id, name=item["new"]
        )
    await session.flush()
    return plan
