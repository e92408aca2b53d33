"""Keyword-argument factories with sensible defaults; each flushes and returns the row."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import (
    ApiToken,
    Area,
    AvailabilityWindow,
    Order,
    OrderSkill,
    RoleAssignment,
    Skill,
    User,
    Volunteer,
    VolunteerSkill,
)
from service.settings import Settings
from service.tokens import hash_secret, new_api_token
from service.vocab import AreaLevel, DispatchMode, OrderStatus, Role, TargetGroup

_counter = itertools.count(1)
# 芝罘区 centre; communities and volunteers are placed around it.
ZHIFU_LAT, ZHIFU_LNG = 37.5400, 121.4000


def _next() -> int:
    return next(_counter)


def make_settings(database_url: str, **overrides) -> Settings:
    """Test settings: no ``.env``, no in-process worker (tests run the sweeps themselves), the
    candidate index built on first use rather than at start-up."""
    fields = {
        "env": "test",
        "run_worker_in_process": False,
        "candidate_index_warm_start": False,
    } | overrides
    return Settings(database_url=database_url, _env_file=None, **fields)


async def make_area(
    session: AsyncSession,
    *,
    level: AreaLevel = AreaLevel.community,
    parent: Area | None = None,
    name: str | None = None,
    lat: float = ZHIFU_LAT,
    lng: float = ZHIFU_LNG,
) -> Area:
    n = _next()
    area = Area(
        code=f"{370602000000 + n:012d}",
        name=name or f"测试{level.value}{n}",
        level=level,
        parent_id=parent.id if parent else None,
        path="",
        lat=lat,
        lng=lng,
    )
    session.add(area)
    await session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    await session.flush()
    return area


async def make_area_tree(session: AsyncSession) -> tuple[Area, Area, Area]:
    """A district → street → community chain."""
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    community = await make_area(session, level=AreaLevel.community, parent=street, name="测试社区")
    return district, street, community


async def make_skill(session: AsyncSession, *, name: str = "心肺复苏", parent: Skill | None = None):
    skill = Skill(code=f"skill-{_next()}", name=name, parent_id=parent.id if parent else None)
    session.add(skill)
    await session.flush()
    return skill


async def make_user(
    session: AsyncSession,
    *,
    phone: str | None = None,
    name: str = "测试用户",
    password_hash: str | None = None,
    roles: tuple[tuple[Role, int | None, int | None], ...] = (),
) -> User:
    """A user; ``roles`` are (role, area_id, team_id) triples."""
    user = User(phone=phone or f"139{_next():08d}", name=name, password_hash=password_hash)
    session.add(user)
    await session.flush()
    for role, area_id, team_id in roles:
        session.add(RoleAssignment(user_id=user.id, role=role, area_id=area_id, team_id=team_id))
    await session.flush()
    return user


async def make_api_token(
    session: AsyncSession, *, user_id: int, created_at: datetime | None = None
) -> str:
    """A personal access token for the user; returns the raw ``kp_…`` secret to send."""
    raw = new_api_token()
    token = ApiToken(user_id=user_id, name="test", token_hash=hash_secret(raw))
    if created_at is not None:
        token.created_at = created_at
    session.add(token)
    await session.flush()
    return raw


def bearer(token: str) -> dict[str, str]:
    """The Authorization header of a personal access token."""
    return {"Authorization": f"Bearer {token}"}


async def make_volunteer(
    session: AsyncSession,
    *,
    home_area: Area,
    skills: list[Skill] = (),
    lat: float = ZHIFU_LAT,
    lng: float = ZHIFU_LNG,
    radius_km: float = 5.0,
    user: User | None = None,
    all_week: bool = True,
) -> Volunteer:
    """An active volunteer, available all day every day unless ``all_week`` is False."""
    user = user or await make_user(session, roles=((Role.volunteer, None, None),))
    volunteer = Volunteer(
        user_id=user.id, home_area_id=home_area.id, home_lat=lat, home_lng=lng, radius_km=radius_km
    )
    session.add(volunteer)
    await session.flush()
    for skill in skills:
        session.add(VolunteerSkill(volunteer_id=volunteer.id, skill_id=skill.id))
    if all_week:
        for weekday in range(7):
            session.add(
                AvailabilityWindow(
                    volunteer_id=volunteer.id, weekday=weekday, start_minute=0, end_minute=1440
                )
            )
    await session.flush()
    return volunteer


async def make_order(
    session: AsyncSession,
    *,
    community: Area,
    starts_at: datetime,
    hours: float = 2,
    skills: list[Skill] = (),
    slots: int = 1,
    status: OrderStatus = OrderStatus.draft,
    dispatch_mode: DispatchMode = DispatchMode.targeted,
    title: str = "社区急救知识讲座",
    lat: float = ZHIFU_LAT,
    lng: float = ZHIFU_LNG,
    **fields,
) -> Order:
    order = Order(
        title=title,
        community_id=community.id,
        target_group=fields.pop("target_group", TargetGroup.elderly),
        venue_name=fields.pop("venue_name", "社区活动室"),
        venue_lat=lat,
        venue_lng=lng,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        slots=slots,
        status=status,
        dispatch_mode=dispatch_mode,
        **fields,
    )
    session.add(order)
    await session.flush()
    for skill in skills:
        session.add(OrderSkill(order_id=order.id, skill_id=skill.id))
    await session.flush()
    return order
