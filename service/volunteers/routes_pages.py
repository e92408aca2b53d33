"""我的资料 (``/v/profile``), phone first: the volunteer's own skills, home, how far they will go,
the week grid of free times, the days they cannot come, and pausing. Each section is its own
small form; every save goes through ``service.volunteers.service`` as the JSON API's does, shows
「已保存」 and, when refused, the reason beside the section with nothing saved."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.context import ActionContext
from service.errors import AppError, InvalidInput
from service.page_text import N_
from service.vocab import Role
from service.volunteers import service
from service.volunteers.service import Window
from service.web.deps import SessionDep
from service.web.templating import in_page_locale, render

router = APIRouter(prefix="/v/profile", include_in_schema=False)
Volunteer = Annotated[Actor, requires(Role.volunteer)]
Saved = Literal["skills", "home", "radius", "availability", "blackout", "paused", "resumed"]

WEEKDAYS = (N_("周一"), N_("周二"), N_("周三"), N_("周四"), N_("周五"), N_("周六"), N_("周日"))
# The week grid's blocks: (form key, label, start minute, end minute). They follow when
# community activities are held (mornings, 14:00–17:00 afternoons, 19:00–21:00 evening
# classes) with room to arrive and leave.
BLOCKS = (
    ("am", N_("上午"), 8 * 60, 12 * 60),
    ("pm", N_("下午"), 14 * 60, 18 * 60),
    ("eve", N_("晚上"), 18 * 60 + 30, 21 * 60 + 30),
)
RADIUS_CHOICES = (1, 3, 5, 10, 20)
_BAD_RADIUS = N_("请选一个距离，或者填一个数字（公里）。")
_BAD_DAY = N_("请选一个日子。")
_BAD_COMMUNITY = N_("请选择您住的社区。")


def _grid(windows: list[Window]) -> tuple[set[str], list[Window]]:
    """The ticked tiles ("weekday-block") and the windows that are not exactly a block."""
    ticked, others = set(), []
    spans = {(start, end): key for key, _label, start, end in BLOCKS}
    for window in windows:
        key = spans.get((window.start_minute, window.end_minute))
        if key:
            ticked.add(f"{window.weekday}-{key}")
        else:
            others.append(window)
    return ticked, others


def _window_key(window: Window) -> str:
    return f"{window.weekday}-{window.start_minute}-{window.end_minute}"


async def _page(
    request: Request,
    session: AsyncSession,
    ctx: ActionContext,
    *,
    status_code: int = 200,
    saved: str | None = None,
    errors: dict | None = None,
    typed: dict | None = None,
):
    found = await service.profile(session, ctx)
    ticked, others = _grid(found.windows)
    today = service.local_today(ctx)
    typed = typed or {}
    context = {
        "profile": found,
        "volunteer": found.volunteer,
        "skill_groups": await service.skill_groups(session),
        "community_groups": await service.community_groups(session),
        "chosen_skills": set(typed.get("skills", found.skill_ids)),
        "ticked": typed.get("ticked", ticked),
        "other_windows": [(w, _window_key(w)) for w in others],
        "kept": typed.get("kept", {_window_key(w) for w in others}),
        "blackouts": [d for d in found.blackout_days if d >= today],
        "today": today,
        "last_day": today + timedelta(days=service.BLACKOUT_HORIZON_DAYS - 1),
        "radius_choices": RADIUS_CHOICES,
        "typed": typed,
        "saved": saved,
        "errors": errors or {},
        "WEEKDAYS": WEEKDAYS,
        "BLOCKS": BLOCKS,
    }
    return render(request, "profile/profile.html", context, status_code=status_code)


async def _refused(request, session, ctx, refused: AppError, section: str, typed: dict):
    """The page again with the refusal beside its section; the unit of work is rolled back."""
    await session.rollback()
    errors = {section: in_page_locale(request, refused.detail)}
    return await _page(
        request, session, ctx, status_code=refused.status_code, errors=errors, typed=typed
    )


def _saved(request: Request, what: str, section: str):
    return redirect(request, f"{request.url_for('volunteer_profile').path}?saved={what}#{section}")


@router.get("", name="volunteer_profile")
async def profile_page(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Volunteer,
    saved: Annotated[Saved | None, Query()] = None,
):
    """我的资料: every part of the profile, each with its own small form."""
    return await _page(request, session, ctx, saved=saved)


def _ints(values: list) -> list[int]:
    return [int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 10]


@router.post("/skills", name="volunteer_profile_skills")
async def save_skills(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    skill_ids = _ints((await request.form()).getlist("skill_ids"))
    try:
        await service.set_skills(session, ctx, skill_ids)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "skills", {"skills": skill_ids})
    return _saved(request, "skills", "skills")


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value and len(value) < 32 else None
    except ValueError:
        return None


@router.post("/home", name="volunteer_profile_home")
async def save_home(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    """The community; with 「用我现在的位置」 also the exact point (else the community's centre,
    or the point kept when the community is unchanged)."""
    fields = form_fields(await request.form())
    area_ids = _ints([fields.get("home_area_id", "")])
    typed = {"home_area_id": area_ids[0] if area_ids else None}
    if not area_ids:
        return await _page(
            request, session, ctx, status_code=422, errors={"home": _BAD_COMMUNITY}, typed=typed
        )
    lat, lng = _number(fields.get("lat")), _number(fields.get("lng"))
    current = await service.own_volunteer(session, ctx)
    try:
        if lat is not None or lng is not None:
            await service.update_profile(session, ctx, home_area_id=area_ids[0], lat=lat, lng=lng)
        elif area_ids[0] != current.home_area_id:
            await service.update_profile(session, ctx, home_area_id=area_ids[0])
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "home", typed)
    return _saved(request, "home", "home")


@router.post("/radius", name="volunteer_profile_radius")
async def save_radius(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    fields = form_fields(await request.form())
    chosen = fields.get("radius", "custom")
    raw = fields.get("radius_custom", "").strip() if chosen == "custom" else chosen
    radius = _number(raw)
    typed = {"radius": raw}
    if radius is None:
        return await _page(
            request, session, ctx, status_code=422, errors={"radius": _BAD_RADIUS}, typed=typed
        )
    try:
        await service.update_profile(session, ctx, radius_km=radius)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "radius", typed)
    return _saved(request, "radius", "radius")


def _kept_window(value: str) -> Window | None:
    parts = value.split("-") if isinstance(value, str) and len(value) < 24 else []
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return None
    return Window(*(int(p) for p in parts))


@router.post("/availability", name="volunteer_profile_availability")
async def save_availability(
    request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """The ticked tiles, the other times kept, and one more time typed in, saved as windows."""
    form = await request.form()
    fields = form_fields(form)
    blocks = {key: (start, end) for key, _label, start, end in BLOCKS}
    ticked = {v for v in form.getlist("slots") if isinstance(v, str)}
    kept = {v for v in form.getlist("keep") if isinstance(v, str)}
    windows = []
    for slot in sorted(ticked):
        day, _, key = slot.partition("-")
        if day.isdigit() and int(day) <= 6 and key in blocks:
            windows.append(Window(int(day), *blocks[key]))
    windows += [w for w in map(_kept_window, sorted(kept)) if w is not None]
    typed = {
        "ticked": ticked,
        "kept": kept,
        **{k: fields.get(k, "") for k in ("day", "start", "end")},
    }
    try:
        as_text = [(w.weekday, w.start, w.end) for w in service.merge_windows(windows)]
        extra_day = fields.get("day", "")
        if fields.get("start") or fields.get("end"):
            weekday = int(extra_day) if extra_day.isdigit() and len(extra_day) == 1 else -1
            as_text.append((weekday, fields.get("start", ""), fields.get("end", "")))
        await service.set_availability(session, ctx, as_text)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "availability", typed)
    return _saved(request, "availability", "availability")


@router.post("/blackout-dates", name="volunteer_profile_blackout_add")
async def add_blackout(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    typed_day = form_fields(await request.form()).get("day", "")
    typed = {"day": typed_day}
    try:
        day = date.fromisoformat(typed_day) if len(typed_day) == 10 else None
    except ValueError:
        day = None
    if day is None:
        return await _page(
            request, session, ctx, status_code=422, errors={"blackout": _BAD_DAY}, typed=typed
        )
    try:
        await service.add_blackout(session, ctx, day)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "blackout", typed)
    return _saved(request, "blackout", "blackout")


@router.post("/blackout-dates/remove", name="volunteer_profile_blackout_remove")
async def remove_blackout(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    typed_day = form_fields(await request.form()).get("day", "")
    try:
        day = date.fromisoformat(typed_day) if len(typed_day) == 10 else None
    except ValueError:
        day = None
    try:
        if day is None:
            raise InvalidInput(_BAD_DAY)
        await service.remove_blackout(session, ctx, day)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "blackout", {})
    return _saved(request, "blackout", "blackout")


@router.post("/pause", name="volunteer_profile_pause")
async def pause(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    try:
        await service.pause(session, ctx)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "status", {})
    return _saved(request, "paused", "status")


@router.post("/resume", name="volunteer_profile_resume")
async def resume(request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    try:
        await service.resume(session, ctx)
    except AppError as refused:
        return await _refused(request, session, ctx, refused, "status", {})
    return _saved(request, "resumed", "status")
