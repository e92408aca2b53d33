"""The form of 一键派单: which area, which days (one model, errors keyed by field)."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, ValidationError

from service.page_text import N_
from service.schemas_common import Id

FIELD_ERRORS = {
    "area": N_("请选择一个街道或区县。"),
    "day_from": N_("请选择开始日期。"),
    "day_to": N_("请选择结束日期。"),
}


class PlanForm(BaseModel):
    """An area (id) and a period of local days; both days default (today, two weeks)."""

    model_config = ConfigDict(extra="ignore")

    area: Id
    day_from: date | None = None
    day_to: date | None = None


def field_errors(error: ValidationError) -> dict[str, str]:
    """Field name → the page text to show next to it."""
    found: dict[str, str] = {}
    for item in error.errors():
        name = str(item["loc"][0]) if item.get("loc") else "area"
        found.setdefault(name, FIELD_ERRORS.get(name, FIELD_ERRORS["area"]))
    return found
