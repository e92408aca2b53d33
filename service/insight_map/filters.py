"""The map's filters as people type them (dates, a status group), checked into a ``MapFilter``
or refused with a sentence saying what to fix."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from service.insight_map.repository import STATUS_GROUPS
from service.page_text import N_

MAX_DAYS = 366
EARLIEST, LATEST = date(2000, 1, 1), date(2099, 12, 31)


@dataclass(frozen=True)
class MapFilter:
    first: date  # local days, both included
    last: date
    group: str | None  # None: every status group


class MapInputError(ValueError):
    """A filter the map cannot use: which field, and the (page-text) sentence to show."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def this_month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def presets(today: date) -> list[tuple[str, date, date]]:
    """The quick periods offered beside the date fields: (label, first day, last day)."""
    first, last = this_month(today)
    previous_last = first - timedelta(days=1)
    return [
        (N_("本月"), first, last),
        (N_("上月"), previous_last.replace(day=1), previous_last),
        (N_("近 90 天"), today - timedelta(days=89), today),
        (N_("今后 30 天"), today, today + timedelta(days=29)),
        (N_("今年"), today.replace(month=1, day=1), today.replace(month=12, day=31)),
    ]


def _day(raw: str, field: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise MapInputError(field, N_("日期要写成 年-月-日，例如 2026-11-01。")) from None
    if not EARLIEST <= day <= LATEST:
        raise MapInputError(field, N_("日期要在 2000 年到 2099 年之间。"))
    return day


def parse_filter(*, first: str, last: str, group: str, today: date) -> MapFilter:
    """The filter from the query's words; empty dates mean this month, an empty group all."""
    default_first, default_last = this_month(today)
    first_day = _day(first.strip(), "from") if first.strip() else default_first
    last_day = _day(last.strip(), "to") if last.strip() else default_last
    if last_day < first_day:
        raise MapInputError("to", N_("结束日期不能早于开始日期。"))
    if (last_day - first_day).days + 1 > MAX_DAYS:
        raise MapInputError("to", N_("时间段最长一年（366 天），请缩短。"))
    group = group.strip()
    if group and group not in STATUS_GROUPS:
        raise MapInputError("group", N_("没有这个状态分组，请从列表中选择。"))
    return MapFilter(first=first_day, last=last_day, group=group or None)
