"""JSON API of a volunteer's own profile: ``/api/v1/me/volunteer-profile`` (no id: only one's own)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.vocab import Role
from service.volunteers import service
from service.volunteers.schemas import (
    AvailabilityUpdate,
    BlackoutIn,
    HomePublic,
    ProfileUpdate,
    SkillPublic,
    SkillsUpdate,
    VolunteerProfilePublic,
    WindowPublic,
)
from service.web.deps import SessionDep

REFUSALS = {
    403: {"description": "没有志愿者档案"},
    404: {"description": "要删除的日子不在列表里"},
    409: {"description": "注册还在审核中，不能暂停或恢复接单"},
    422: {"description": "输入有误（字段 field 指出哪一项）"},
}
router = APIRouter(
    prefix="/me/volunteer-profile", tags=["volunteer profile 我的资料"], responses=REFUSALS
)
Volunteer = Annotated[Actor, requires(Role.volunteer, Role.team_leader)]


async def _public(session: AsyncSession, found: service.Profile) -> VolunteerProfilePublic:
    groups = await service.skill_groups(session)
    names = {s.id: (s, g.domain) for g in groups for s in g.skills}
    volunteer = found.volunteer
    return VolunteerProfilePublic(
        volunteer_id=volunteer.id,
        status=volunteer.status,
        home=HomePublic(
            community_id=found.community.id,
            community_name=found.community.name,
            street_id=found.street.id if found.street else None,
            street_name=found.street.name if found.street else "",
            lat=volunteer.home_lat,
            lng=volunteer.home_lng,
        ),
        radius_km=volunteer.radius_km,
        bio=volunteer.bio,
        skills=[
            SkillPublic(
                id=i, name=names[i][0].name, domain_id=names[i][1].id, domain_name=names[i][1].name
            )
            if i in names
            else SkillPublic(id=i, name="", domain_id=None, domain_name="")  # a retired skill
            for i in found.skill_ids
        ],
        windows=[WindowPublic(weekday=w.weekday, start=w.start, end=w.end) for w in found.windows],
        blackout_dates=found.blackout_days,
    )


@router.get("", summary="我的志愿者资料")
async def read_profile(
    session: SessionDep, ctx: ContextDep, actor: Volunteer
) -> VolunteerProfilePublic:
    """Skills, home (shown to the volunteer only), radius, weekly times, blackout dates, status."""
    return await _public(session, await service.profile(session, ctx))


@router.patch("", summary="修改住址、服务半径或自我介绍")
async def update_profile(
    body: ProfileUpdate, session: SessionDep, ctx: ContextDep, actor: Volunteer
) -> VolunteerProfilePublic:
    """Only a community: its centre becomes the home point. A point must lie in the district."""
    found = await service.update_profile(session, ctx, **body.model_dump(exclude_unset=True))
    return await _public(session, found)


@router.put("/skills", summary="设置我的技能")
async def set_skills(
    body: SkillsUpdate, session: SessionDep, ctx: ContextDep, actor: Volunteer
) -> VolunteerProfilePublic:
    return await _public(session, await service.set_skills(session, ctx, body.skill_ids))


@router.put("/availability", summary="设置每周有空的时间")
async def set_availability(
    body: AvailabilityUpdate, session: SessionDep, ctx: ContextDep, actor: Volunteer
) -> VolunteerProfilePublic:
    """Replaces every weekly window; overlapping windows, end ≤ start and bad times are refused."""
    windows = [(w.weekday, w.start, w.end) for w in body.windows]
    return await _public(session, await service.set_availability(session, ctx, windows))


@router.post("/blackout-dates", summary="添加不方便的日子", status_code=201)
async def add_blackout(
    body: BlackoutIn, session: SessionDep, ctx: ContextDep, actor: Volunteer
) -> VolunteerProfilePublic:
    return await _public(session, await service.add_blackout(session, ctx, body.day))


@router.delete("/blackout-dates", summary="删除不方便的日子")
async def remove_blackout(
    day: Annotated[date, Query(description="要删除的日子")],
    session: SessionDep,
    ctx: ContextDep,
    actor: Volunteer,
) -> VolunteerProfilePublic:
    return await _public(session, await service.remove_blackout(session, ctx, day))


@router.post("/pause", summary="暂停接单")
async def pause(session: SessionDep, ctx: ContextDep, actor: Volunteer) -> VolunteerProfilePublic:
    """No new invitations until resumed; pausing twice is harmless."""
    return await _public(session, await service.pause(session, ctx))


@router.post("/resume", summary="恢复接单")
async def resume(session: SessionDep, ctx: ContextDep, actor: Volunteer) -> VolunteerProfilePublic:
    """Refused (409) while the registration waits for approval."""
    return await _public(session, await service.resume(session, ctx))
