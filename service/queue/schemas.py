"""The forms of the queue pages: one model per form, errors keyed by field."""

from __future__ import annotations

from datetime import date, time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from service.page_text import N_
from service.schemas_common import Id, Text

FIXES = ("widen", "move", "open", "team", "cancel")
# What each fix needs besides its name (the form fields it reads).
NEEDS = {"widen": ("km",), "move": ("day", "at"), "team": ("team_id",), "cancel": ("reason",)}
# Page text shown next to a field that is missing or wrong (translated when shown).
FIELD_ERRORS = {
    "fix": N_("请选择一种处理办法。"),
    "km": N_("请选择列出的服务距离。"),
    "day": N_("请选择日期。"),
    "at": N_("请选择开始时间。"),
    "team_id": N_("请选择一支志愿队。"),
    "reason": N_("请填写取消原因，会告诉相关志愿者。"),
}


class DayForm(BaseModel):
    """The date picker: a local day and time to count candidates for."""

    model_config = ConfigDict(extra="ignore")

    day: date
    at: time


class FixForm(BaseModel):
    """A fix chosen for a queued order: its name and the one value it needs."""

    model_config = ConfigDict(extra="ignore")

    fix: Literal["widen", "move", "open", "team", "cancel"]
    km: float | None = Field(default=None, gt=0, le=500)
    day: date | None = None
    at: time | None = None
    team_id: Id | None = None
    reason: Text(500, multiline=True) | None = None

    @model_validator(mode="after")
    def _has_what_it_needs(self) -> FixForm:
        missing = [name for name in NEEDS.get(self.fix, ()) if not getattr(self, name)]
        if missing:
            raise ValueError("missing:" + ",".join(missing))
        return self


def form_values(fields: dict[str, str]) -> dict[str, str]:
    """The submitted values, blanks left out (an empty date is no date)."""
    return {key: value.strip() for key, value in fields.items() if value and value.strip()}


def field_errors(error: ValidationError) -> dict[str, str]:
    """Field name → the page text to show next to it."""
    found: dict[str, str] = {}
    for item in error.errors():
        message = str(item.get("msg", ""))
        names = (
            message.split("missing:", 1)[1].split(",")
            if "missing:" in message
            else [str(item["loc"][0])]
            if item.get("loc")
            else ["fix"]
        )
        for name in names:
            found.setdefault(name, FIELD_ERRORS.get(name, FIELD_ERRORS["fix"]))
    return found
