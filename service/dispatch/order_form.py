"""The desk's order form (派单表单): what the worker typed → an order draft or a preview request.

A browser sends strings: dates and times in the service's time zone, empty fields for "not
given", a venue picked from a list or a new one. ``parse`` turns them into ``OrderCreate`` or
into one message per field (Chinese source text, translated when the page renders), never into
pydantic's English. ``preview_input`` reads the same fields leniently: an unfinished form is
not an error, it is "not yet".
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, BeforeValidator, Field, ValidationError

from service.orders.schemas import CoordSystem, OrderCreate, PreviewRequest
from service.page_text import N_
from service.schemas_common import Id, Text
from service.vocab import DispatchMode, TargetGroup

NEW_VENUE = "new"
DEFAULT_LEAD_DAYS = 7
DEFAULT_START, DEFAULT_END = dt.time(9, 0), dt.time(11, 0)
FIRST_YEAR, LAST_YEAR = 2000, 2100

DISPATCH_MODE_LABELS = {
    DispatchMode.targeted: N_("定向邀请：先请最合适的几位志愿者，有人婉拒再依次邀请下一位"),
    DispatchMode.open: N_("开放接单：所有符合条件的志愿者都能看到并直接接单"),
    DispatchMode.team: N_("交给志愿队：由队长安排队员参加"),
}
COORD_SYSTEM_LABELS = {
    "gcj02": N_("高德地图、腾讯地图的坐标"),
    "bd09": N_("百度地图的坐标"),
    "wgs84": N_("手机定位（GPS）的坐标"),
}

# What to tell the person about each field, in their words (not the validator's).
FIELD_MESSAGES = {
    "title": N_("请填写活动名称（不超过 100 字）。"),
    "description": N_("活动说明不能超过 4000 字。"),
    "community_id": N_("请选择社区。"),
    "demand_id": N_("找不到这条点单，请从点单待办重新打开。"),
    "target_group": N_("请选择服务对象。"),
    "date": N_("请选择活动日期。"),
    "start_time": N_("请填写开始时间。"),
    "end_time": N_("请填写结束时间。"),
    "deadline": N_("接单截止时间的格式不对，请重新选择。"),
    "slots": N_("需要的志愿者人数应在 1 到 200 之间。"),
    "expected_attendance": N_("预计参加人数应在 0 到 100000 之间。"),
    "max_distance_km": N_("最远服务距离应大于 0，不超过 500 公里。"),
    "dispatch_mode": N_("请选择派单方式。"),
    "team_id": N_("请选择志愿队。"),
    "venue": N_("请选择活动场地，或选「新场地」后填写名称、地址或坐标。"),
    "venue_name": N_("场地名称不能超过 100 字。"),
    "venue_address": N_("地址不能超过 200 字。"),
    "lat": N_("纬度应是 -90 到 90 之间的数字，例如 37.54。"),
    "lng": N_("经度应是 -180 到 180 之间的数字，例如 121.40。"),
    "coord_system": N_("请选择坐标来自哪种地图。"),
    "skill_ids": N_("请至少选择一项需要的技能。"),
}
END_BEFORE_START = N_("结束时间须晚于开始时间。")
DEADLINE_AFTER_START = N_("接单截止时间不能晚于活动开始时间。")
# The desk plans what is still to come: a draft whose time has passed could never be dispatched.
STARTS_IN_PAST = N_("这个时间已经过去了，请选一个以后的日期和时间。")
TEAM_REQUIRED = N_("选择「交给志愿队」时，请选出一支志愿队。")
NEW_VENUE_EMPTY = N_("新场地请填写名称或地址，或者填写坐标。")
HALF_A_POINT = N_("坐标需要同时填写纬度和经度。")


FORM_PROBLEM = N_("有几项填写有误，请检查后再提交。")


def _blank_is_none(value):
    return None if isinstance(value, str) and not value.strip() else value


def Blankable(kind):  # a type-like name
    """``kind`` or None; an empty field counts as not given."""
    return Annotated[kind | None, BeforeValidator(_blank_is_none)]


class OrderForm(BaseModel):
    """The fields of the order form, as typed (strings in, typed values out)."""

    title: Text(100, min_len=1)
    description: Text(4000, multiline=True) = ""
    community_id: Id
    demand_id: Blankable(Id) = None
    target_group: TargetGroup
    date: dt.date
    start_time: dt.time
    end_time: dt.time
    deadline: Blankable(dt.datetime) = None  # a wall-clock time in the service's zone
    slots: int = Field(default=1, ge=1, le=200)
    expected_attendance: int = Field(default=30, ge=0, le=100_000)
    max_distance_km: Blankable(Annotated[float, Field(gt=0, le=500)]) = None
    dispatch_mode: DispatchMode = DispatchMode.targeted
    team_id: Blankable(Id) = None
    venue: Literal["new"] | Id
    venue_name: Text(100) = ""
    venue_address: Text(200) = ""
    lat: Blankable(Annotated[float, Field(ge=-90, le=90)]) = None
    lng: Blankable(Annotated[float, Field(ge=-180, le=180)]) = None
    coord_system: CoordSystem = "wgs84"
    skill_ids: list[Id] = Field(min_length=1, max_length=20)


@dataclass
class Parsed:
    """A form read: the draft when everything is right, else a message per field."""

    draft: OrderCreate | None = None
    form: OrderForm | None = None
    errors: dict[str, str] = field(default_factory=dict)


def _values(fields: dict[str, str], skill_ids: list[str]) -> dict:
    values: dict = {k: v for k, v in fields.items() if k in OrderForm.model_fields}
    values["skill_ids"] = [s for s in skill_ids if s.strip()]
    values.setdefault("venue", "")
    return values


def _field_errors(error: ValidationError) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item.get("loc") else ""
        if name in FIELD_MESSAGES:
            found.setdefault(name, FIELD_MESSAGES[name])
    return found or {"_form": FORM_PROBLEM}


def _instant(day: dt.date, clock: dt.time, zone: str) -> dt.datetime:
    return dt.datetime.combine(day, clock, tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)


class _Related(BaseModel):
    """The fields that are checked against each other, each read alone: a wrong title does not
    keep the person from hearing that the end time is before the start."""

    date: Blankable(dt.date) = None
    start_time: Blankable(dt.time) = None
    end_time: Blankable(dt.time) = None
    deadline: Blankable(dt.datetime) = None
    dispatch_mode: Blankable(DispatchMode) = None
    team_id: Blankable(Id) = None
    venue: Blankable(Literal["new"] | Id) = None
    venue_name: str = ""
    venue_address: str = ""
    lat: Blankable(float) = None
    lng: Blankable(float) = None


def _related(values: dict) -> _Related:
    readable = {}
    for name in _Related.model_fields:
        try:
            _Related.model_validate({name: values.get(name)})
        except ValidationError:
            continue
        if values.get(name) is not None:
            readable[name] = values[name]
    return _Related.model_validate(readable)


def _cross_field_errors(form: OrderForm | _Related, zone: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if form.date is not None and not FIRST_YEAR <= form.date.year <= LAST_YEAR:
        errors["date"] = FIELD_MESSAGES["date"]
    if form.start_time and form.end_time and form.end_time <= form.start_time:
        errors["end_time"] = END_BEFORE_START
    if form.deadline is not None:
        if not FIRST_YEAR <= form.deadline.year <= LAST_YEAR:
            errors["deadline"] = FIELD_MESSAGES["deadline"]
        elif form.date and form.start_time and "date" not in errors:
            deadline = form.deadline.replace(tzinfo=ZoneInfo(zone))
            if deadline > _instant(form.date, form.start_time, zone):
                errors["deadline"] = DEADLINE_AFTER_START
    if form.dispatch_mode == DispatchMode.team and form.team_id is None:
        errors["team_id"] = TEAM_REQUIRED
    if form.venue == NEW_VENUE:
        if (form.lat is None) != (form.lng is None):
            errors["lat"] = HALF_A_POINT
        elif form.lat is None and not (form.venue_name.strip() or form.venue_address.strip()):
            errors["venue_name"] = NEW_VENUE_EMPTY
    return errors


def _place(form: OrderForm) -> dict:
    if form.venue == NEW_VENUE:
        return {
            "venue_name": form.venue_name,
            "venue_address": form.venue_address,
            "lat": form.lat,
            "lng": form.lng,
            "coord_system": form.coord_system,
        }
    return {"venue_id": form.venue}


def parse(fields: dict[str, str], skill_ids: list[str], *, zone: str) -> Parsed:
    """The draft the form describes, or why not (one message per field)."""
    values = _values(fields, skill_ids)
    try:
        form = OrderForm.model_validate(values)
    except ValidationError as error:
        related = _cross_field_errors(_related(values), zone)
        return Parsed(errors={**related, **_field_errors(error)})
    errors = _cross_field_errors(form, zone)
    if errors:
        return Parsed(form=form, errors=errors)
    deadline = None
    if form.deadline is not None:
        deadline = form.deadline.replace(tzinfo=ZoneInfo(zone)).astimezone(dt.UTC)
    try:
        draft = OrderCreate(
            title=form.title,
            description=form.description,
            community_id=form.community_id,
            demand_id=form.demand_id,
            target_group=form.target_group,
            starts_at=_instant(form.date, form.start_time, zone),
            ends_at=_instant(form.date, form.end_time, zone),
            accept_deadline=deadline,
            expected_attendance=form.expected_attendance,
            slots=form.slots,
            max_distance_km=form.max_distance_km,
            dispatch_mode=form.dispatch_mode,
            team_id=form.team_id if form.dispatch_mode == DispatchMode.team else None,
            skill_ids=form.skill_ids,
            **_place(form),
        )
    except ValidationError:  # the bounds of an instant, checked again by the API's schema
        return Parsed(form=form, errors={"date": FIELD_MESSAGES["date"]})
    return Parsed(draft=draft, form=form)


# ---------------------------------------------------------------- the live preview


@dataclass(frozen=True)
class PreviewInput:
    """What the preview can be computed from: a request, a problem to show, or neither yet."""

    request: PreviewRequest | None = None
    problem: str | None = None  # Chinese source text of what to fix
    field: str | None = None

    @property
    def signature(self) -> str:
        """Identifies the request, so an unchanged form is not previewed (and counted) twice."""
        if self.request is None:
            return ""
        return hashlib.sha256(self.request.model_dump_json().encode()).hexdigest()[:20]


# The fields a preview needs before it means anything; until then it waits politely.
PREVIEW_NEEDS = ("community_id", "skill_ids", "date", "start_time", "end_time", "venue")
PREVIEW_READS = (*PREVIEW_NEEDS, "slots", "max_distance_km", "venue_name", "venue_address",
                 "lat", "lng", "coord_system")  # fmt: skip


def preview_input(fields: dict[str, str], skill_ids: list[str], *, zone: str) -> PreviewInput:
    """The preview request of a form being filled in (only the fields a preview reads)."""
    values = _values(fields, skill_ids)
    if any(not values.get(name) for name in PREVIEW_NEEDS):
        return PreviewInput()
    values = {k: values.get(k) for k in PREVIEW_READS if values.get(k) not in (None, "")}
    values["slots"] = values.get("slots") or 1
    try:
        form = OrderForm.model_validate(
            {**values, "title": "-", "target_group": TargetGroup.public}
        )
    except ValidationError as error:
        wrong = _field_errors(error)
        needed = [name for name in PREVIEW_NEEDS if name in wrong]
        if needed or not wrong:  # a half-typed time or date: still "not yet"
            return PreviewInput()
        name, message = next(iter(wrong.items()))
        return PreviewInput(problem=message, field=name)
    problems = {
        k: v for k, v in _cross_field_errors(form, zone).items() if k not in ("team_id", "deadline")
    }
    if form.venue == NEW_VENUE and "venue_name" in problems:
        return PreviewInput()  # a new venue not described yet
    if problems:
        name, message = next(iter(problems.items()))
        return PreviewInput(problem=message, field=name)
    try:
        request = PreviewRequest(
            community_id=form.community_id,
            starts_at=_instant(form.date, form.start_time, zone),
            ends_at=_instant(form.date, form.end_time, zone),
            skill_ids=form.skill_ids,
            slots=form.slots,
            max_distance_km=form.max_distance_km,
            **_place(form),
        )
    except ValidationError:
        return PreviewInput(problem=FIELD_MESSAGES["date"], field="date")
    return PreviewInput(request=request)


# ---------------------------------------------------------------- what the form starts with


def default_day(now: dt.datetime, zone: str) -> dt.date:
    """A week from today: a plan, not an emergency."""
    return (now.astimezone(ZoneInfo(zone)) + dt.timedelta(days=DEFAULT_LEAD_DAYS)).date()


def local_fields(starts_at: dt.datetime | None, ends_at: dt.datetime | None, zone: str) -> dict:
    """date / start_time / end_time form values of a window (for a demand's preferred time)."""
    if starts_at is None:
        return {}
    start = starts_at.astimezone(ZoneInfo(zone))
    values = {"date": start.date().isoformat(), "start_time": start.strftime("%H:%M")}
    if ends_at is not None and ends_at > starts_at:
        end = ends_at.astimezone(ZoneInfo(zone))
        if end.date() == start.date():
            values["end_time"] = end.strftime("%H:%M")
    if "end_time" not in values:
        values["end_time"] = (start + dt.timedelta(hours=2)).strftime("%H:%M")
    return values


def blank(now: dt.datetime, zone: str, *, default_max_distance_km: float) -> dict:
    """The values of an empty form."""
    return {
        "date": default_day(now, zone).isoformat(),
        "start_time": DEFAULT_START.strftime("%H:%M"),
        "end_time": DEFAULT_END.strftime("%H:%M"),
        "slots": "1",
        "expected_attendance": "30",
        "max_distance_km": f"{default_max_distance_km:g}",
        "dispatch_mode": DispatchMode.targeted.value,
        "coord_system": "gcj02",
        "target_group": "",
    }
