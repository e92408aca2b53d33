"""Venues (场地): a community's saved places with a map point.

Admins manage every venue; a coordinator those of the communities in their area (they know
the district's rooms and squares, and the order form offers venues by community). The point
must lie in the community's district: areas have centroids, not borders, so "in the district"
is the box around the centroids of its areas widened by the same margin the volunteer profile
uses for a home (``service.volunteers.service.inside_district``). Orders copy a venue's
address and point when they are made, so editing a venue leaves past orders as they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from pydantic import TypeAdapter, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.admin_data import repository
from service.auth import policy
from service.models import Area, Venue
from service.page_text import N_
from service.schemas_common import Text
from service.vocab import AreaLevel
from service.volunteers.service import inside_district

_name = TypeAdapter(Text(100, min_len=1))
_address = TypeAdapter(Text(200, min_len=1))


class VenueRefused(Exception):
    """Field → ``N_`` sentence (with its params) for each problem of the form."""

    def __init__(self, problems: dict[str, tuple[str, dict]], status: int = 422) -> None:
        super().__init__("; ".join(m for m, _ in problems.values()))
        self.problems, self.status = problems, status


@dataclass(frozen=True)
class VenueForm:
    community_id: str = ""
    name: str = ""
    address: str = ""
    lat: str = ""
    lng: str = ""


async def communities_for(session: AsyncSession, actor: Actor) -> list[Area]:
    return await repository.communities(session=session, scope=policy.areas_in_scope(actor))


PAGE_SIZE = 50


async def venues_for(
    session: AsyncSession, actor: Actor, *, community_id: int | None = None, page: int = 1
) -> tuple[list[tuple[Venue, Area]], int]:
    """One page of the venues the actor manages, and their total."""
    return await repository.venues(
        session=session, scope=policy.areas_in_scope(actor), community_id=community_id,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip


async def venue_in_scope(session: AsyncSession, actor: Actor, venue_id: int) -> Venue | None:
    """The venue, or None when it does not exist or lies outside the actor's areas."""
    venue = await repository.venue_by_id(session=session, venue_id=venue_id)
    if venue is None:
        return None
    community = await repository.area_by_id(session=session, area_id=venue.community_id)
    return venue if community and actor.oversees(community.path) else None


async def _checked(session: AsyncSession, actor: Actor, form: VenueForm) -> dict:
    problems: dict[str, tuple[str, dict]] = {}
    community = None
    if form.community_id.isdigit():
        community = await repository.area_by_id(session=session, area_id=int(form.community_id))
    if (
        community is None
        or community.level != AreaLevel.community
        or not actor.oversees(community.path)
    ):
        problems["community_id"] = (N_("请选择你负责范围内的一个社区。"), {})
    values: dict = {}
    for field, adapter, message in (
        ("name", _name, N_("名称要填，最多 100 个字。")),
        ("address", _address, N_("地址要填，最多 200 个字。")),
    ):
        try:
            values[field] = adapter.validate_python(getattr(form, field))
        except ValidationError:
            problems[field] = (message, {})
    try:
        lat, lng = float(form.lat), float(form.lng)
        if not (math.isfinite(lat) and math.isfinite(lng)):
            raise ValueError
    except ValueError:
        problems["lat"] = (N_("请填写纬度和经度（数字，例如 37.5400 和 121.4000）。"), {})
    else:
        outside = (
            community is not None
            and "community_id" not in problems
            and not (await inside_district(session, community, lat, lng))[0]
        )
        if outside:
            problems["lat"] = (
                N_("这个位置不在%(name)s所在的区县内，请检查纬度和经度（是否填反了）。"),
                {"name": community.name},
            )
        values.update(lat=round(lat, 6), lng=round(lng, 6))
    if problems:
        raise VenueRefused(problems)
    return {**values, "community_id": community.id}


async def add_venue(session: AsyncSession, actor: Actor, form: VenueForm) -> Venue:
    values = await _checked(session, actor, form)
    venue = Venue(**values)
    session.add(venue)
    await session.flush()
    return venue


async def edit_venue(session: AsyncSession, actor: Actor, venue_id: int, form: VenueForm) -> Venue:
    venue = await venue_in_scope(session, actor, venue_id)
    if venue is None:
        raise VenueRefused({"venue_id": (N_("没有这个场地，或它不在你负责的范围内。"), {})}, 404)
    for key, value in (await _checked(session, actor, form)).items():
        setattr(venue, key, value)
    await session.flush()
    return venue
