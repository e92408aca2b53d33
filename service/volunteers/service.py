"""A volunteer's own profile: every rule for changing it lives here, for the API and the page alike.

A volunteer acts only on their own profile: every function finds it through the actor
(``ctx.actor.volunteer_id``), never through an id someone sends. Matching reads the same tables
directly (``service.dispatch.candidates``), so a saved change counts for the next match at once.
Pausing and resuming go through the volunteer machine (``service.lifecycle``) and so write the
event log; the other changes leave one access-audit entry saying which part changed (never the
values: no coordinates in the audit).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.audit import AuditAction, record_action
from service.context import ActionContext
from service.errors import Conflict, Forbidden, InvalidInput, NotFound
from service.lifecycle.accounts import change_volunteer_status
from service.localtime import to_local
from service.messages import text
from service.models import Area, Skill, Volunteer
from service.vocab import AreaLevel, VolunteerStatus
from service.volunteers import repository

MAX_WINDOWS = 50
MAX_SKILLS = 60
MAX_RADIUS_KM = 200.0
BLACKOUT_HORIZON_DAYS = 366  # "within a year" from today, a leap day included
# Areas have centroids, not borders: a home point counts as inside the district when it lies in
# the box around the centroids of all its areas, widened by this margin on every side.
DISTRICT_MARGIN_KM = 3.0
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True)
class Window:
    """A weekly window in local time: weekday 0 (Monday) … 6, minutes of the day."""

    weekday: int
    start_minute: int
    end_minute: int

    @property
    def start(self) -> str:
        return minutes_text(self.start_minute)

    @property
    def end(self) -> str:
        return minutes_text(self.end_minute)


@dataclass(frozen=True)
class Profile:
    volunteer: Volunteer
    community: Area
    street: Area | None
    skill_ids: list[int]
    windows: list[Window]
    blackout_days: list[date]


# ---------------------------------------------------------------- reading


async def own_volunteer(session: AsyncSession, ctx: ActionContext) -> Volunteer:
    """The caller's own volunteer profile; 403 for anyone without one."""
    volunteer_id = ctx.actor.volunteer_id
    found = None
    if volunteer_id is not None:
        found = await repository.volunteer(session=session, volunteer_id=volunteer_id)
    if found is None:
        raise Forbidden(text("refusal.activity.no_volunteer_profile"), code="no_volunteer_profile")
    return found


async def profile(session: AsyncSession, ctx: ActionContext) -> Profile:
    """Everything the volunteer keeps about themself."""
    volunteer = await own_volunteer(session, ctx)
    community = await repository.area(session=session, area_id=volunteer.home_area_id)
    street = None
    if community is not None and community.parent_id is not None:
        street = await repository.area(session=session, area_id=community.parent_id)
    windows = await repository.windows_of(session=session, volunteer_id=volunteer.id)
    return Profile(
        volunteer=volunteer,
        community=community,
        street=street,
        skill_ids=await repository.skill_ids_of(session=session, volunteer_id=volunteer.id),
        windows=[Window(w.weekday, w.start_minute, w.end_minute) for w in windows],
        blackout_days=await repository.blackout_days_of(session=session, volunteer_id=volunteer.id),
    )


@dataclass(frozen=True)
class SkillGroup:
    domain: Skill
    skills: list[Skill]


async def skill_groups(session: AsyncSession) -> list[SkillGroup]:
    """The skills a volunteer may choose, under their domain (retired ones left out)."""
    everything = await repository.skills(session=session)
    domains = [s for s in everything if s.parent_id is None and s.active]
    return [
        SkillGroup(d, [s for s in everything if s.parent_id == d.id and s.active]) for d in domains
    ]


async def community_groups(session: AsyncSession) -> list[tuple[Area | None, list[Area]]]:
    """Every community, grouped by its street (the home picker)."""
    groups: list[tuple[Area | None, list[Area]]] = []
    for community, street in await repository.communities_with_streets(session=session):
        if not groups or groups[-1][0] is not street:
            groups.append((street, []))
        groups[-1][1].append(community)
    return groups


# ---------------------------------------------------------------- home, radius, bio


async def _district_of(session: AsyncSession, community: Area) -> Area:
    """The 区县 above a community (the top of its path when none is marked district)."""
    ids = [int(part) for part in community.path.strip("/").split("/") if part.isdigit()]
    ancestors = await repository.areas_by_id(session=session, area_ids=ids)
    chain = [ancestors[i] for i in ids if i in ancestors]
    for area in chain:
        if area.level == AreaLevel.district:
            return area
    return chain[0] if chain else community


async def inside_district(
    session: AsyncSession, community: Area, lat: float, lng: float
) -> tuple[bool, Area]:
    """(whether the point lies in ``community``'s district, that district): inside the box
    around the centroids of the district's areas widened by DISTRICT_MARGIN_KM. Homes and
    venues are checked alike."""
    district = await _district_of(session, community)
    box = await repository.centroid_box(session=session, path_prefix=district.path)
    if box is None:
        box = (community.lat, community.lat, community.lng, community.lng)
    low_lat, high_lat, low_lng, high_lng = box
    dlat = DISTRICT_MARGIN_KM / 111.0
    dlng = DISTRICT_MARGIN_KM / (111.0 * max(math.cos(math.radians(community.lat)), 0.01))
    inside = low_lat - dlat <= lat <= high_lat + dlat and low_lng - dlng <= lng <= high_lng + dlng
    return inside, district


async def _refuse_outside_district(
    session: AsyncSession, community: Area, lat: float, lng: float
) -> None:
    inside, district = await inside_district(session, community, lat, lng)
    if not inside:
        raise InvalidInput(
            text("refusal.profile.home_outside_district", district=district.name),
            code="home_outside_district",
            field="lat",
        )


async def _community(session: AsyncSession, area_id: int) -> Area:
    area = await repository.area(session=session, area_id=area_id)
    if area is None or area.level != AreaLevel.community:
        raise InvalidInput(
            text("refusal.registration.unknown_community"),
            code="unknown_community",
            field="home_area_id",
        )
    return area


def _check_radius(radius_km: float) -> float:
    if not math.isfinite(radius_km) or not 0 < radius_km <= MAX_RADIUS_KM:
        raise InvalidInput(
            text("refusal.profile.radius_range", max_km=f"{MAX_RADIUS_KM:g}"),
            code="radius_range",
            field="radius_km",
        )
    return round(radius_km, 1)


async def update_profile(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    home_area_id: int | None = None,
    lat: float | None = None,
    lng: float | None = None,
    radius_km: float | None = None,
    bio: str | None = None,
) -> Profile:
    """Change the home (a community, and optionally a point in its district), radius or bio.

    With only a community the home point becomes the community's centre; with only a point the
    community stays and the point must lie in its district. Everything is checked before
    anything changes.
    """
    volunteer = await own_volunteer(session, ctx)
    if (lat is None) != (lng is None):
        raise InvalidInput(
            text("refusal.registration.half_location"), code="half_location", field="lat"
        )
    changes: dict[str, object] = {}
    if home_area_id is not None or lat is not None:
        community = await _community(session, home_area_id or volunteer.home_area_id)
        if lat is None:
            lat, lng = community.lat, community.lng
        else:
            if not (math.isfinite(lat) and math.isfinite(lng)):
                raise InvalidInput(
                    text("refusal.registration.half_location"), code="half_location", field="lat"
                )
            await _refuse_outside_district(session, community, lat, lng)
        changes.update(home_area_id=community.id, home_lat=lat, home_lng=lng)
    if radius_km is not None:
        changes["radius_km"] = _check_radius(radius_km)
    if bio is not None:
        changes["bio"] = bio
    changed = [key for key, value in changes.items() if getattr(volunteer, key) != value]
    for key, value in changes.items():
        setattr(volunteer, key, value)
    await session.flush()
    if changed:
        parts = sorted({"home" if key.startswith("home_") else key for key in changed})
        await _audit(session, ctx, volunteer, parts)
    return await profile(session, ctx)


async def _audit(
    session: AsyncSession, ctx: ActionContext, volunteer: Volunteer, parts: list[str]
) -> None:
    """One access-audit entry naming the parts changed, never their values."""
    await record_action(
        session,
        ctx,
        AuditAction.user_updated,
        target_user_id=volunteer.user_id,
        detail={"volunteer_id": volunteer.id, "profile": parts},
    )


# ---------------------------------------------------------------- skills


async def set_skills(
    session: AsyncSession, ctx: ActionContext, skill_ids: Sequence[int]
) -> Profile:
    """Replace the volunteer's skills; unknown, retired or domain-level ids are refused."""
    volunteer = await own_volunteer(session, ctx)
    wanted = sorted(set(skill_ids))
    if len(wanted) > MAX_SKILLS:
        raise InvalidInput(
            text("refusal.profile.too_many_skills", max=MAX_SKILLS),
            code="too_many_skills",
            field="skill_ids",
        )
    offered = {s.id for group in await skill_groups(session) for s in group.skills}
    unknown = [i for i in wanted if i not in offered]
    if unknown:
        raise InvalidInput(
            text("refusal.profile.unknown_skill", skill_ids=", ".join(map(str, unknown))),
            code="unknown_skill",
            field="skill_ids",
        )
    before = await repository.skill_ids_of(session=session, volunteer_id=volunteer.id)
    if before != wanted:
        await repository.replace_skills(
            session=session, volunteer_id=volunteer.id, skill_ids=wanted
        )
        await _audit(session, ctx, volunteer, ["skills"])
    return await profile(session, ctx)


# ---------------------------------------------------------------- weekly availability


def minutes_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def parse_time(value: str, *, field: str) -> int:
    """ "HH:MM" (00:00 … 24:00) → minutes of the day; anything else is refused for ``field``."""
    found = _TIME.match(value.strip()) if isinstance(value, str) else None
    minutes = None
    if found:
        hours, mins = int(found.group(1)), int(found.group(2))
        if mins < 60 and (hours < 24 or (hours, mins) == (24, 0)):
            minutes = hours * 60 + mins
    if minutes is None:
        raise InvalidInput(
            text("refusal.profile.bad_time", value=str(value)[:16]), code="bad_time", field=field
        )
    return minutes


def check_windows(windows: Iterable[tuple[int, str, str]]) -> list[Window]:
    """Parse and check (weekday, "HH:MM", "HH:MM") triples: known day, end after start, at most
    ``MAX_WINDOWS``, no two overlapping on one day (touching is fine). Sorted."""
    items = list(windows)
    if len(items) > MAX_WINDOWS:
        raise InvalidInput(
            text("refusal.profile.too_many_windows", max=MAX_WINDOWS),
            code="too_many_windows",
            field="windows",
        )
    parsed: list[tuple[Window, int]] = []
    for index, (weekday, start, end) in enumerate(items):
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise InvalidInput(
                text("refusal.profile.bad_weekday"),
                code="bad_weekday",
                field=f"windows.{index}.weekday",
            )
        begin = parse_time(start, field=f"windows.{index}.start")
        finish = parse_time(end, field=f"windows.{index}.end")
        if finish <= begin:
            raise InvalidInput(
                text("refusal.profile.window_order", start=start, end=end),
                code="window_order",
                field=f"windows.{index}.end",
            )
        parsed.append((Window(weekday, begin, finish), index))
    parsed.sort(key=lambda pair: (pair[0].weekday, pair[0].start_minute))
    for (first, _), (second, index) in pairwise(parsed):
        if first.weekday == second.weekday and second.start_minute < first.end_minute:
            raise InvalidInput(
                text(
                    "refusal.profile.window_overlap",
                    first=f"{first.start}–{first.end}",
                    second=f"{second.start}–{second.end}",
                ),
                code="window_overlap",
                field=f"windows.{index}",
            )
    return [window for window, _ in parsed]


def merge_windows(windows: Iterable[Window]) -> list[Window]:
    """Overlapping or touching windows of a day joined into one (the page's week grid may tick
    a block that a kept window already covers)."""
    merged: list[Window] = []
    for window in sorted(windows, key=lambda w: (w.weekday, w.start_minute)):
        last = merged[-1] if merged else None
        if last and last.weekday == window.weekday and window.start_minute <= last.end_minute:
            end = max(last.end_minute, window.end_minute)
            merged[-1] = Window(last.weekday, last.start_minute, end)
        else:
            merged.append(window)
    return merged


async def set_availability(
    session: AsyncSession, ctx: ActionContext, windows: Iterable[tuple[int, str, str]]
) -> Profile:
    """Replace the weekly windows (all checked first: a refusal changes nothing)."""
    volunteer = await own_volunteer(session, ctx)
    checked = check_windows(windows)
    before = await repository.windows_of(session=session, volunteer_id=volunteer.id)
    if [Window(w.weekday, w.start_minute, w.end_minute) for w in before] != checked:
        await repository.replace_windows(
            session=session,
            volunteer_id=volunteer.id,
            windows=[(w.weekday, w.start_minute, w.end_minute) for w in checked],
        )
        await _audit(session, ctx, volunteer, ["availability"])
    return await profile(session, ctx)


# ---------------------------------------------------------------- blackout dates


def local_today(ctx: ActionContext) -> date:
    return to_local(ctx.now, ctx.settings.timezone).date()


async def add_blackout(session: AsyncSession, ctx: ActionContext, day: date) -> Profile:
    """A day the volunteer cannot come: from today to a year ahead, once."""
    volunteer = await own_volunteer(session, ctx)
    today = local_today(ctx)
    last = today + timedelta(days=BLACKOUT_HORIZON_DAYS - 1)
    if day < today:
        raise InvalidInput(text("refusal.profile.blackout_past"), code="blackout_past", field="day")
    if day > last:
        raise InvalidInput(
            text("refusal.profile.blackout_too_far", last=last.isoformat()),
            code="blackout_too_far",
            field="day",
        )
    if day in await repository.blackout_days_of(session=session, volunteer_id=volunteer.id):
        raise InvalidInput(
            text("refusal.profile.blackout_duplicate", day=day.isoformat()),
            code="blackout_duplicate",
            field="day",
        )
    await repository.add_blackout_day(session=session, volunteer_id=volunteer.id, day=day)
    await _audit(session, ctx, volunteer, ["blackout_dates"])
    return await profile(session, ctx)


async def remove_blackout(session: AsyncSession, ctx: ActionContext, day: date) -> Profile:
    """Take a day off the list again (404 when it is not on it)."""
    volunteer = await own_volunteer(session, ctx)
    removed = await repository.remove_blackout_day(
        session=session, volunteer_id=volunteer.id, day=day
    )
    if not removed:
        raise NotFound(
            text("refusal.profile.blackout_missing", day=day.isoformat()), code="blackout_missing"
        )
    await _audit(session, ctx, volunteer, ["blackout_dates"])
    return await profile(session, ctx)


# ---------------------------------------------------------------- pause and resume


async def _move(session: AsyncSession, ctx: ActionContext, to: VolunteerStatus) -> Profile:
    volunteer = await own_volunteer(session, ctx)
    if volunteer.status == VolunteerStatus.pending:
        raise Conflict(text("refusal.profile.pending"), code="pending_approval")
    if volunteer.status != to:  # pausing twice is harmless
        await change_volunteer_status(session, ctx, volunteer_id=volunteer.id, to=to)
    return await profile(session, ctx)


async def pause(session: AsyncSession, ctx: ActionContext) -> Profile:
    """暂停接单: no new invitations until resumed (accepted activities stay as they are)."""
    return await _move(session, ctx, VolunteerStatus.paused)


async def resume(session: AsyncSession, ctx: ActionContext) -> Profile:
    """恢复接单; a volunteer still waiting for approval cannot resume into active."""
    return await _move(session, ctx, VolunteerStatus.active)
