"""Checking the rows of a volunteer file against the rules registration and the profile use.

Each rule has one home and is only called from here: the phone and name types of the input
layer (``service.schemas_common``), the skills a volunteer may choose
(``service.volunteers.service.skill_groups``: active skills under an active domain), the home
community (a community, its centre standing in for the home as at registration), the radius
range of the profile. Look-ups are sets built once per file, never a query per row.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

from pydantic import TypeAdapter, ValidationError

from service.admin_data.import_files import FORMULA_WITHOUT_VALUE
from service.models import Area, Skill
from service.page_text import N_
from service.schemas_common import Name, PhoneNumber
from service.volunteers.service import MAX_RADIUS_KM, MAX_SKILLS

COLUMN_ALIASES = {
    "姓名": "name", "name": "name",
    "手机号": "phone", "手机": "phone", "手机号码": "phone", "phone": "phone",
    "社区": "community", "所在社区": "community", "community": "community",
    "技能": "skills", "skills": "skills",
    "服务半径": "radius_km", "radius": "radius_km", "radius_km": "radius_km",
    "简介": "bio", "bio": "bio",
}  # fmt: skip
COLUMN_LABELS = {
    "name": N_("姓名"), "phone": N_("手机号"), "community": N_("社区"), "skills": N_("技能"),
    "radius_km": N_("服务半径（公里）"), "bio": N_("简介"),
}  # fmt: skip
REQUIRED = {key: COLUMN_LABELS[key] for key in ("name", "phone", "community")}
DEFAULT_RADIUS_KM = 5.0
MAX_BIO = 500
SKILL_SEPARATORS = re.compile(r"[、,，;；/|\n]+")

# Error kinds → the sentence shown in the report (N_ source, placeholders from the row).
KINDS = {
    "missing_name": N_("姓名为空"),
    "bad_name": N_("姓名不能超过 64 个字，也不能含换行等控制字符"),
    "missing_phone": N_("手机号为空"),
    "bad_phone": N_("「%(value)s」不是有效的中国大陆手机号（11 位数字，以 1 开头）"),
    "duplicate_in_file": N_("手机号与第 %(first)s 行重复"),
    "duplicate_in_database": N_("这个手机号已有账号，不能再导入"),
    "missing_community": N_("社区为空"),
    "unknown_community": N_("找不到社区「%(value)s」（请填写社区名称或 12 位区划代码）"),
    "ambiguous_community": N_("有 %(count)s 个社区叫「%(value)s」，请改填 12 位区划代码"),
    "unknown_skill": N_("找不到技能「%(value)s」"),
    "retired_skill": N_("技能「%(value)s」已停用，不能再选"),
    "domain_skill": N_("「%(value)s」是技能领域，请填写它下面的具体技能"),
    "too_many_skills": N_("技能最多 %(max)s 个"),
    "bad_radius": N_("服务半径「%(value)s」应是 0 到 %(max)s 之间的公里数"),
    "bio_too_long": N_("简介不能超过 %(max)s 个字"),
    "formula_without_value": N_("这一格是公式但没有计算结果，请在 Excel 中复制后「粘贴为数值」"),
}
_phone = TypeAdapter(PhoneNumber)
_name = TypeAdapter(Name)


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number (1 is the header)
    column: str  # a key of COLUMN_LABELS
    kind: str  # a key of KINDS
    params: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        """The ``N_`` sentence with its placeholders (pages say it in the reader's language)."""
        return KINDS[self.kind]

    @property
    def message(self) -> str:
        """The sentence in Chinese."""
        return self.source % self.params if self.params else self.source


@dataclass
class Lookups:
    """What rows are checked against, read once per file."""

    communities_by_code: dict[str, Area]
    communities_by_name: dict[str, list[Area]]
    skills_offered: dict[str, Skill]  # code and name → an active skill under an active domain
    skills_known: dict[str, Skill]  # code and name → any skill (for the precise refusal)
    phones_taken: set[str]


def make_lookups(
    communities: list[Area], streets: dict[int, Area], all_skills: list[Skill],
    offered_ids: set[int], phones_taken: set[str],
) -> Lookups:  # fmt: skip
    by_name: dict[str, list[Area]] = {}
    for area in communities:
        by_name.setdefault(area.name, []).append(area)
        street = streets.get(area.parent_id or 0)
        if street is not None:  # "向阳街道/朝阳街社区" names a community uniquely
            by_name.setdefault(f"{street.name}/{area.name}", []).append(area)
    known: dict[str, Skill] = {}
    offered: dict[str, Skill] = {}
    for skill in all_skills:
        for key in (skill.code, skill.name):
            known.setdefault(key, skill)
            if skill.id in offered_ids:
                offered.setdefault(key, skill)
    return Lookups(
        communities_by_code={a.code: a for a in communities},
        communities_by_name=by_name,
        skills_offered=offered,
        skills_known=known,
        phones_taken=phones_taken,
    )


def normalized_phone(value: object) -> str | None:
    """The phone as the input layer stores it, or None when it is not a valid number."""
    try:
        return _phone.validate_python(value)
    except ValidationError:
        return None


def phones_of(rows: list[dict]) -> list[str]:
    """The valid phones of the file (for one database look-up)."""
    return sorted({p for row in rows if (p := normalized_phone(row.get("phone") or ""))})


def check_rows(
    rows: list[dict], numbers: list[int], lookups: Lookups
) -> tuple[list[dict], list[RowProblem]]:
    """(people ready to create, problems). Every row is checked fully, so the report lists
    every problem of the file at once, not only the first."""
    first_row_of: dict[str, int] = {}
    people: list[dict] = []
    problems: list[RowProblem] = []
    for row, number in zip(rows, numbers, strict=True):
        formulas = {column for column, value in row.items() if value is FORMULA_WITHOUT_VALUE}
        found = [RowProblem(number, column, "formula_without_value") for column in formulas]

        def problem(column, kind, number=number, found=found, formulas=formulas, **params):
            if column not in formulas:  # said once: the cell has no value to check
                found.append(RowProblem(number, column, kind, params))

        clean = {k: ("" if v is FORMULA_WITHOUT_VALUE or v is None else v) for k, v in row.items()}
        name = _check_name(clean.get("name", ""), problem)
        phone = _check_phone(clean.get("phone", ""), problem, first_row_of, lookups, number)
        community = _check_community(clean.get("community", ""), problem, lookups)
        skill_ids = _check_skills(clean.get("skills", ""), problem, lookups)
        radius = _check_radius(clean.get("radius_km", ""), problem)
        bio = str(clean.get("bio", "")).strip()
        if len(bio) > MAX_BIO:
            problem("bio", "bio_too_long", max=MAX_BIO)
        problems.extend(found)
        if not found:
            people.append({
                "row": number, "name": name, "phone": phone, "community_id": community.id,
                "community_name": community.name, "lat": community.lat, "lng": community.lng,
                "skill_ids": skill_ids, "radius_km": radius, "bio": bio,
            })  # fmt: skip
    return people, problems


def _check_name(value, problem) -> str | None:
    if not str(value).strip():
        problem("name", "missing_name")
        return None
    try:
        return _name.validate_python(str(value))
    except ValidationError:
        problem("name", "bad_name")
        return None


def _check_phone(value, problem, first_row_of, lookups, number) -> str | None:
    raw = str(value).strip()
    if not raw:
        problem("phone", "missing_phone")
        return None
    phone = normalized_phone(raw)
    if phone is None:
        problem("phone", "bad_phone", value=raw[:20])
        return None
    if phone in first_row_of:
        problem("phone", "duplicate_in_file", first=first_row_of[phone])
    else:
        first_row_of[phone] = number
    if phone in lookups.phones_taken:
        problem("phone", "duplicate_in_database")
    return phone


def _check_community(value, problem, lookups) -> Area | None:
    wanted = re.sub(r"\s*/\s*", "/", str(value).strip())
    if not wanted:
        problem("community", "missing_community")
        return None
    if wanted in lookups.communities_by_code:
        return lookups.communities_by_code[wanted]
    matches = lookups.communities_by_name.get(wanted, [])
    if len(matches) == 1:
        return matches[0]
    if matches:
        problem("community", "ambiguous_community", value=wanted[:40], count=len(matches))
    else:
        problem("community", "unknown_community", value=wanted[:40])
    return None


def _check_skills(value, problem, lookups) -> list[int]:
    names = [part.strip() for part in SKILL_SEPARATORS.split(str(value)) if part.strip()]
    ids: list[int] = []
    for name in names:
        skill = lookups.skills_offered.get(name)
        if skill is not None:
            ids.append(skill.id)
            continue
        known = lookups.skills_known.get(name)
        if known is None:
            problem("skills", "unknown_skill", value=name[:40])
        elif known.parent_id is None and known.active:
            problem("skills", "domain_skill", value=name[:40])
        else:
            problem("skills", "retired_skill", value=name[:40])
    unique = sorted(set(ids))
    if len(unique) > MAX_SKILLS:
        problem("skills", "too_many_skills", max=MAX_SKILLS)
    return unique


def _check_radius(value, problem) -> float:
    raw = str(value).strip().lower().removesuffix("km").removesuffix("公里").strip()
    if not raw:
        return DEFAULT_RADIUS_KM
    try:
        radius = float(raw)
    except ValueError:
        radius = math.nan
    if not math.isfinite(radius) or not 0 < radius <= MAX_RADIUS_KM:
        problem("radius_km", "bad_radius", value=str(value)[:20], max=f"{MAX_RADIUS_KM:g}")
        return DEFAULT_RADIUS_KM
    return round(radius, 1)


def problem_counts(problems: list[RowProblem]) -> Counter:
    return Counter(p.kind for p in problems)
