"""Editing the skill taxonomy without breaking history.

A skill is never deleted and its id never changes: orders and volunteers keep pointing at it.
Renaming changes the word everywhere it is shown, past orders included (it is the same skill).
Retiring (``active = False``) takes it out of what is offered for new orders, profiles and
imports (``service.orders.repository.skill_tree``, ``service.volunteers.service.skill_groups``
read only active skills) while past orders and volunteers keep it. Retiring a domain retires
its skills with it (an active skill under a retired domain could be offered nowhere);
restoring a domain brings back only the domain.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.admin_data import repository
from service.models import Skill
from service.page_text import N_
from service.schemas_common import Name

_name = TypeAdapter(Name)
_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")


class SkillRefused(Exception):
    """A refused taxonomy change; ``message`` is an ``N_`` sentence for the page."""

    def __init__(self, message: str, *, field: str, status: int = 422, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.field, self.params, self.status = message, field, params, status


@dataclass(frozen=True)
class SkillRow:
    skill: Skill
    volunteers: int
    orders: int


@dataclass(frozen=True)
class DomainGroup:
    domain: SkillRow
    skills: list[SkillRow]


async def taxonomy(session: AsyncSession) -> list[DomainGroup]:
    """Every domain with its skills, retired ones included, with how often each is used."""
    everything = await repository.all_skills(session=session)
    usage = await repository.skill_usage(session=session)

    def row(skill: Skill) -> SkillRow:
        return SkillRow(skill, *usage.get(skill.id, (0, 0)))

    return [
        DomainGroup(row(d), [row(s) for s in everything if s.parent_id == d.id])
        for d in everything
        if d.parent_id is None
    ]


def _clean_name(value: str) -> str:
    try:
        name = _name.validate_python(value or "")
    except ValidationError:
        raise SkillRefused(
            N_("名称要填，最多 64 个字，不能含换行等控制字符。"), field="name"
        ) from None
    return name


async def add_skill(
    session: AsyncSession, *, name: str, parent_id: int | None, code: str = ""
) -> Skill:
    """A new domain (no parent) or a skill under an active domain; names unique per level."""
    name = _clean_name(name)
    parent = None
    if parent_id is not None:
        parent = await repository.skill_by_id(session=session, skill_id=parent_id)
        if parent is None or parent.parent_id is not None:
            raise SkillRefused(N_("请选择一个技能领域。"), field="parent_id")
    siblings = [s for s in await repository.all_skills(session=session) if s.parent_id == parent_id]
    if any(s.name == name for s in siblings):
        raise SkillRefused(N_("这一层已经有「%(name)s」了。"), field="name", name=name)
    code = (code or "").strip().lower()
    if code and not _CODE.fullmatch(code):
        raise SkillRefused(N_("代码只能用小写字母、数字和 . _ -，最多 64 个字符。"), field="code")
    if code and await repository.skill_code_taken(session=session, code=code):
        raise SkillRefused(N_("代码「%(code)s」已被使用。"), field="code", code=code)
    code = code or f"skill-{secrets.token_hex(4)}"
    order = await repository.next_sort_order(session=session, parent_id=parent_id)
    return await repository.add_skill(
        session=session, code=code, name=name, parent_id=parent_id, sort_order=order
    )


async def _skill(session: AsyncSession, skill_id: int) -> Skill:
    if skill_id <= 0:  # a form without a well-formed id: bad input, not a missing skill
        raise SkillRefused(N_("请选择一个技能。"), field="skill_id")
    skill = await repository.skill_by_id(session=session, skill_id=skill_id)
    if skill is None:
        raise SkillRefused(N_("没有这个技能。"), field="skill_id", status=404)
    return skill


async def rename_skill(session: AsyncSession, *, skill_id: int, name: str) -> Skill:
    """The same skill under a new name (history shows the new name: it is the same skill)."""
    skill = await _skill(session, skill_id)
    name = _clean_name(name)
    siblings = await repository.all_skills(session=session)
    if any(
        s.name == name and s.parent_id == skill.parent_id and s.id != skill.id for s in siblings
    ):
        raise SkillRefused(N_("这一层已经有「%(name)s」了。"), field="name", name=name)
    skill.name = name
    await session.flush()
    return skill


async def set_active(session: AsyncSession, *, skill_id: int, active: bool) -> list[int]:
    """Retire or restore; retiring a domain retires its skills. Returns the ids changed."""
    skill = await _skill(session, skill_id)
    ids = [skill.id]
    if not active and skill.parent_id is None:
        ids += [
            s.id for s in await repository.all_skills(session=session) if s.parent_id == skill.id
        ]
    if active and skill.parent_id is not None:
        parent = await _skill(session, skill.parent_id)
        if not parent.active:
            raise SkillRefused(
                N_("请先恢复它所在的领域「%(name)s」。"),
                field="skill_id",
                status=409,
                name=parent.name,
            )
    await repository.set_skills_active(session=session, skill_ids=ids, active=active)
    await session.flush()
    return ids
