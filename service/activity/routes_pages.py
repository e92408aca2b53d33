"""The activity pages (server-rendered; the same service calls as the API).

确认完成 (the desk): the attendance of the accepted volunteers, preselected from their
check-ins, each changeable, with the hours completion will record; confirming calls
``confirm_completion``, exactly as ``POST /api/v1/orders/{id}/completion`` does.

The volunteer's activity day (phone first, ``/v/...``): one activity's page with 签到 / 签退
(location from the phone, or the venue code; a phone without signal keeps the tap and sends it
later with its recorded time — static/js/checkin.js), my service hours, my ratings. The forms
are parsed by the API's own request models and call the same service functions.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from jinja2 import pass_context
from pydantic import BaseModel, Field, ValidationError

from service.activity import service, venue_codes, volunteer_views
from service.activity.attendance import AttendanceSheet, attendance_sheet
from service.activity.schemas import CheckInRequest, CheckOutRequest
from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep, ThrottleDep
from service.auth.web import form_errors, form_fields, redirect
from service.errors import AppError
from service.page_text import N_
from service.schemas_common import MAX_ID
from service.vocab import OfferStatus, Role
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, render, templates

router = APIRouter(include_in_schema=False)


@pass_context
def _venue_code_for(context: dict, order_id: int) -> str:
    """The order's venue code, for the worker's pages (attendance, the rating-code sheet)."""
    return venue_codes.venue_code(context["request"].app.state.settings, order_id)


templates.env.globals["venue_code_for"] = _venue_code_for
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
PAGE = "desk/activity/complete.html"
MAX_RATING_CODES = 500  # as the API's CompletionRequest allows

# What the check-in flags mean, in a community worker's words.
FLAG_LABELS = {
    "outside_geofence": N_("签到时不在活动地点附近"),
    "no_location": N_("签到时没有定位"),
    "pending_confirmation": N_("签到待社区确认"),
    "check_in_confirmed": N_("社区已确认签到"),
    "auto_checkout": N_("没有签退，按活动结束时间计"),
    "confirmed_without_checkin": N_("没有签到，由社区补录"),
    "hours_adjusted": N_("服务时长经社区更正"),
    "venue_code": N_("凭活动签到码签到"),
}


class AttendanceChoice(BaseModel):
    volunteer_id: int = Field(ge=1, le=MAX_ID)
    present: bool
    hours: float | None = Field(default=None, ge=0, le=service.MAX_HOURS)


class CompletionForm(BaseModel):
    """The completion form: one choice per volunteer, the rating codes, the confirmation."""

    attendance: list[AttendanceChoice]
    rating_codes: int = Field(ge=0, le=MAX_RATING_CODES)
    confirmed: Literal[True]


def _preselected(sheet: AttendanceSheet) -> dict[str, str]:
    """The form as the page first shows it: choices from the check-ins, the credited hours."""
    values = {"rating_codes": str(min(sheet.order.expected_attendance, MAX_RATING_CODES))}
    for line in sheet.lines:
        values[f"attendance-{line.volunteer_id}"] = "present" if line.present else "absent"
        hours = line.hours if line.present else sheet.scheduled_hours
        values[f"hours-{line.volunteer_id}"] = f"{hours:g}"
    return values


def _submitted(fields: dict[str, str], sheet: AttendanceSheet) -> dict[str, str]:
    """What the worker sent, for the volunteers of this order only (other keys are ignored)."""
    values = {"rating_codes": fields.get("rating_codes", "").strip()}
    if fields.get("confirmed") == "yes":
        values["confirmed"] = "yes"
    for line in sheet.lines:
        for key in (f"attendance-{line.volunteer_id}", f"hours-{line.volunteer_id}"):
            values[key] = fields.get(key, "").strip()
    return values


def _parse(values: dict[str, str], sheet: AttendanceSheet) -> CompletionForm:
    choices = []
    for line in sheet.lines:
        said = values[f"attendance-{line.volunteer_id}"]
        present = {"present": True, "absent": False}.get(said)
        hours = values[f"hours-{line.volunteer_id}"].replace("，", ".").replace(",", ".")
        choices.append(
            {
                "volunteer_id": line.volunteer_id,
                "present": present,
                "hours": (hours or None) if present else None,
            }
        )
    return CompletionForm(
        attendance=choices,
        rating_codes=values["rating_codes"] or None,
        confirmed=values.get("confirmed") == "yes",
    )


def _errors(error: ValidationError, sheet: AttendanceSheet) -> dict[str, str]:
    """Field name → what to do (page text, translated as the page renders), for the field."""
    messages = {
        "attendance": N_("请选择到场或未到场。"),
        "hours": N_("请填写 0 到 24 之间的小时数，例如 1.5。"),
        "rating_codes": N_("请填写 0 到 500 之间的整数。"),
        "confirmed": N_("请勾选上面的确认，再提交。"),
    }
    found: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc", ())
        if location and location[0] == "attendance" and len(location) >= 3:
            volunteer_id = sheet.lines[int(location[1])].volunteer_id
            kind = "hours" if location[2] == "hours" else "attendance"
            found.setdefault(f"{kind}-{volunteer_id}", messages[kind])
        elif location and location[0] in messages:
            found.setdefault(str(location[0]), messages[str(location[0])])
    return found


def _context(request: Request, sheet: AttendanceSheet, **extra) -> dict:
    blocker = sheet.blocker
    return {
        "sheet": sheet,
        "order": sheet.order,
        "flag_labels": FLAG_LABELS,
        "blocker": in_page_locale(request, blocker.detail)
        if blocker and not sheet.completed
        else None,
        "values": _preselected(sheet),
        "errors": {},
        "refusal": None,
        **extra,
    }


@router.get("/desk/orders/{order_id}/complete", name="desk_order_complete")
async def completion_page(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """The attendance to confirm (or, once confirmed, what was recorded)."""
    sheet = await attendance_sheet(session, ctx, order_id=order_id)
    return render(request, PAGE, _context(request, sheet))


@router.post("/desk/orders/{order_id}/complete", name="desk_order_complete")
async def complete_order(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """Confirm completion with the attendance as the worker set it; refusals stay on the page."""
    sheet = await attendance_sheet(session, ctx, order_id=order_id)
    values = _submitted(form_fields(await request.form()), sheet)
    try:
        form = _parse(values, sheet)
    except ValidationError as invalid:
        context = _context(request, sheet, values=values, errors=_errors(invalid, sheet))
        return render(request, PAGE, context, status_code=422)
    checked_in = {
        line.volunteer_id for line in sheet.lines if line.status == OfferStatus.checked_in
    }
    try:
        # A savepoint: a refusal leaves nothing half done behind the re-rendered form.
        async with session.begin_nested():
            await service.confirm_completion(
                session,
                ctx,
                order_id=order_id,
                present_volunteer_ids=[c.volunteer_id for c in form.attendance if c.present],
                absent_volunteer_ids=[
                    c.volunteer_id
                    for c in form.attendance
                    if not c.present and c.volunteer_id in checked_in
                ],
                hours={
                    c.volunteer_id: c.hours
                    for c in form.attendance
                    if c.present and c.hours is not None
                },
                rating_code_count=form.rating_codes,
            )
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        sheet = await attendance_sheet(session, ctx, order_id=order_id)
        context = _context(
            request, sheet, values=values, refusal=in_page_locale(request, refused.detail)
        )
        return render(request, PAGE, context, status_code=refused.status_code)
    return redirect(request, request.url_for("desk_order_complete", order_id=order_id).path)


# ---------------------------------------------------------------- the volunteer's activity day

Volunteer = Annotated[Actor, requires(Role.volunteer, Role.team_leader)]
DAY = "checkin/day.html"
DONE = Literal["checked_in", "pending", "checked_out"]


async def _day_page(request, session, ctx, offer_id: int, *, status_code=200, **extra):
    view = await volunteer_views.day_view(session, ctx, offer_id=offer_id)
    context = {"day": view, "flag_labels": FLAG_LABELS, "errors": {}, "values": {}, **extra}
    return render(request, DAY, context, status_code=status_code)


@router.get("/v/activities/{offer_id}", name="volunteer_activity")
async def volunteer_activity(
    request: Request,
    offer_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Volunteer,
    done: Annotated[DONE | None, Query()] = None,
):
    """活动当天: what, when, where, whom to ask, my status, and 签到 / 签退."""
    return await _day_page(request, session, ctx, offer_id, done=done)


def _recorded(fields: dict[str, str], *names: str) -> dict[str, str]:
    """The form's non-empty values among ``names`` (an empty field means "not given")."""
    return {name: fields[name].strip() for name in names if fields.get(name, "").strip()}


async def _act(request, session, ctx, offer_id: int, model, action, *names: str):
    """Parse the form with the API's model, then act; refusals stay on the day page."""
    await volunteer_views.day_view(session, ctx, offer_id=offer_id)  # 404 unless mine
    values = _recorded(form_fields(await request.form()), *names)
    try:
        body = model(**values)
    except ValidationError as invalid:
        errors = form_errors(invalid, request)
        return await _day_page(
            request, session, ctx, offer_id, status_code=422, errors=errors, values=values
        )
    try:
        # No savepoint: a refused venue code must still count against its limit, and nothing
        # else is written before a refusal.
        done = await action(body)
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        field = refused.extra.get("field")
        message = in_page_locale(request, refused.detail)
        errors = {field: message} if field == "venue_code" else {}
        return await _day_page(
            request,
            session,
            ctx,
            offer_id,
            status_code=refused.status_code,
            errors=errors,
            values=values,
            refusal=None if errors else message,
        )
    target = request.url_for("volunteer_activity", offer_id=offer_id).path
    return redirect(request, f"{target}?done={done}")


@router.post("/v/activities/{offer_id}/check-in", name="volunteer_check_in")
async def volunteer_check_in(
    request: Request,
    offer_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Volunteer,
):
    """签到 from the day page: the phone's location (if any), or the venue code."""

    async def check_in(body: CheckInRequest) -> str:
        result = await service.check_in(
            session,
            ctx,
            offer_id=offer_id,
            lat=body.lat,
            lng=body.lng,
            venue_code=body.venue_code,
            at=body.at,
            throttle=throttle,
        )
        return "pending" if result.pending else "checked_in"

    return await _act(
        request, session, ctx, offer_id, CheckInRequest, check_in, "lat", "lng", "venue_code", "at"
    )


@router.post("/v/activities/{offer_id}/check-out", name="volunteer_check_out")
async def volunteer_check_out(
    request: Request, offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """签退 from the day page."""

    async def check_out(body: CheckOutRequest) -> str:
        await service.check_out(session, ctx, offer_id=offer_id, at=body.at)
        return "checked_out"

    return await _act(request, session, ctx, offer_id, CheckOutRequest, check_out, "at")


@router.get("/v/hours", name="volunteer_hours")
async def volunteer_hours(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Volunteer,
    year: Annotated[int | None, Query(ge=2000, le=2100)] = None,
):
    """我的服务时长: one year by month, each record, the year's total."""
    view = await volunteer_views.hours_view(session, ctx, year=year)
    return render(request, "checkin/hours.html", {"hours": view})


@router.get("/v/ratings", name="volunteer_ratings")
async def volunteer_ratings(
    request: Request, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """我的评价: the average, the count, the recent ratings (stars and comment only)."""
    view = await volunteer_views.ratings_view(session, ctx)
    return render(request, "checkin/ratings.html", {"ratings": view})
