"""The dashboard's filters read from a query string: period, area, topic, target group, figure.

Bad input never reaches a query: it becomes an ``InsightRefusal`` said in the reader's
language, and the page shows it next to the form.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from service.insight import repository as repo
from service.localtime import to_local
from service.page_text import N_
from service.vocab import AreaLevel, OrderStatus, TargetGroup

PERIODS = {
    "this_month": N_("本月"),
    "last_month": N_("上月"),
    "this_year": N_("今年"),
    "custom": N_("自定义"),
}
MAX_DAYS = 731  # two years: the weekly trend stays a readable chart
QUIET_DAYS = 90  # a community without a held activity this long is "unserved"
# The campaign months the plans report on: 全国科普日 (September), 科技活动周 (May).
CAMPAIGN_MONTHS = {5: N_("科技活动周"), 9: N_("全国科普日")}


class InsightRefusal(Exception):
    """Filter input the dashboard cannot use; ``message`` is page text (Chinese source)."""

    def __init__(self, message: str, *, field: str, status_code: int = 422, **params) -> None:
        super().__init__(message)
        self.message, self.field, self.status_code, self.params = (
            message,
            field,
            status_code,
            params,
        )


@dataclass(frozen=True)
class Filters:
    period: str
    day_from: date
    day_to: date  # inclusive
    area_id: int
    area_name: str
    area_level: str
    area_path: str
    topic_id: int | None
    group: str | None
    figure: str = "all"

    def params(self, **changes) -> dict[str, str]:
        """The query parameters that reproduce these filters (with ``changes``)."""
        values = {
            "period": self.period,
            "area": str(self.area_id),
            "topic": str(self.topic_id) if self.topic_id else "",
            "group": self.group or "",
        }
        if self.period == "custom":
            values.update({"from": self.day_from.isoformat(), "to": self.day_to.isoformat()})
        values.update({k: "" if v is None else str(v) for k, v in changes.items()})
        if values.get("period") != "custom":
            values.pop("from", None)
            values.pop("to", None)
        return {k: v for k, v in values.items() if v}

    def query(self, **changes) -> str:
        return urlencode(self.params(**changes))

    def days(self, day_from: date, day_to: date) -> Filters:
        return replace(self, period="custom", day_from=day_from, day_to=day_to)


def _month_start(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def period_days(period: str, today: date, raw_from: str, raw_to: str) -> tuple[date, date]:
    """The first and last day (inclusive) of a period, or a refusal."""
    if period == "this_month":
        return _month_start(today), _next_month(today) - timedelta(days=1)
    if period == "last_month":
        last = _month_start(today) - timedelta(days=1)
        return _month_start(last), last
    if period == "this_year":
        return date(today.year, 1, 1), date(today.year, 12, 31)
    if period != "custom":
        raise InsightRefusal(N_("请选择列出的时间段。"), field="period")
    try:
        first, last = date.fromisoformat(raw_from), date.fromisoformat(raw_to)
    except ValueError:
        raise InsightRefusal(
            N_("日期要写成 年-月-日，例如 2026-11-01。"), field="from" if raw_from else "to"
        ) from None
    if first > last:
        raise InsightRefusal(N_("开始日期不能晚于结束日期。"), field="from")
    if (last - first).days + 1 > MAX_DAYS or first.year < 2000:
        raise InsightRefusal(N_("时间段最长两年（%(days)s 天）。"), field="to", days=MAX_DAYS)
    return first, last


def _optional_int(raw: str, field: str, message: str) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 9:
        raise InsightRefusal(message, field=field)
    return int(raw)


async def read_filters(session, ctx, params: Mapping[str, str]) -> Filters:
    """The filters of a request, checked: the area must lie in the actor's area."""
    today = to_local(ctx.now, ctx.settings.timezone).date()
    custom = bool(params.get("from") or params.get("to"))
    period = params.get("period") or ("custom" if custom else "this_month")
    first, last = period_days(period, today, params.get("from", ""), params.get("to", ""))

    area_id = _optional_int(params.get("area", ""), "area", N_("找不到这个地区。"))
    area = await _area(session, ctx.actor, area_id)

    topic_id = _optional_int(params.get("topic", ""), "topic", N_("请选择列出的主题。"))
    if topic_id is not None and topic_id not in dict(await repo.topics(session=session)):
        raise InsightRefusal(N_("请选择列出的主题。"), field="topic")
    group = params.get("group") or None
    if group is not None and group not in set(TargetGroup):
        raise InsightRefusal(N_("请选择列出的服务人群。"), field="group")
    figure = params.get("figure") or "all"
    if not known_figure(figure):
        raise InsightRefusal(N_("没有这个指标。"), field="figure")
    return Filters(
        period=period, day_from=first, day_to=last, area_id=area.id, area_name=area.name,
        area_level=area.level, area_path=area.path, topic_id=topic_id, group=group,
        figure=figure,
    )  # fmt: skip


def known_figure(figure: str) -> bool:
    kind, _, value = figure.partition(":")
    if kind == "status":
        return value in set(OrderStatus)
    if kind == "group":
        return value in set(TargetGroup)
    return not value and figure in repo.FIGURES


async def _area(session, actor, area_id: int | None):
    """The area asked for (or the actor's own), refused when outside the actor's area."""
    if area_id is None:
        own = await default_areas(session, actor)
        if not own:
            raise InsightRefusal(N_("您还没有负责的地区。"), field="area", status_code=403)
        return own[0]
    area = await repo.area_by_id(session=session, area_id=area_id)
    if area is None:
        raise InsightRefusal(N_("找不到这个地区。"), field="area", status_code=404)
    if not actor.oversees(area.path):
        raise InsightRefusal(N_("这个地区不在您负责的范围内。"), field="area", status_code=403)
    return area


async def default_areas(session, actor) -> list:
    """The areas an actor starts from: an admin the districts, a coordinator their grants."""
    if actor.is_admin:
        return await repo.top_areas(session=session)
    found = []
    for path in actor.coordinated_paths():
        area_id = int(path.strip("/").split("/")[-1])
        area = await repo.area_by_id(session=session, area_id=area_id)
        if area is not None:
            found.append(area)
    return found


async def area_choices(session, actor) -> list:
    """The districts and streets the actor may pick (communities are reached by drilling)."""
    choices = []
    for root in await default_areas(session, actor):
        levels = (AreaLevel.district.value, AreaLevel.street.value)
        choices.extend(await repo.areas_under(session=session, path=root.path, levels=levels))
    return choices


# ---------------------------------------------------------------- from days to instants


def _instant(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def to_slice(filters: Filters, *, now: datetime, timezone: str) -> repo.Slice:
    """The slice of orders the filters describe, with UTC bounds, campaign months and the
    quiet window of the unserved-communities figure."""
    zone = ZoneInfo(timezone)
    start = _instant(filters.day_from, zone)
    end = _instant(filters.day_to + timedelta(days=1), zone)
    until = min(end, now)
    return repo.Slice(
        start=start,
        end=end,
        area_path=filters.area_path,
        topic_id=filters.topic_id,
        group=filters.group,
        campaigns=tuple(
            (max(start, _instant(a, zone)), min(end, _instant(b, zone)))
            for a, b, _ in campaign_months(filters.day_from, filters.day_to)
        ),
        quiet_since=until - timedelta(days=QUIET_DAYS),
        quiet_until=until,
    )


def campaign_months(first: date, last: date) -> list[tuple[date, date, str]]:
    """(first day, day after, name) of every campaign month overlapping [first, last]."""
    found = []
    for year in range(first.year, last.year + 1):
        for month, name in CAMPAIGN_MONTHS.items():
            a = date(year, month, 1)
            b = _next_month(a)
            if a <= last and b > first:
                found.append((a, b, name))
    return found


def week_edges(first: date, last: date) -> list[date]:
    """Monday-started weeks covering [first, last], as edges (clipped to the period)."""
    edges = [first]
    day = first - timedelta(days=first.weekday()) + timedelta(days=7)
    while day <= last:
        edges.append(day)
        day += timedelta(days=7)
    return [*edges, last + timedelta(days=1)]


def month_edges(first: date, last: date) -> list[date]:
    edges = [first]
    day = _next_month(first)
    while day <= last:
        edges.append(day)
        day = _next_month(day)
    return [*edges, last + timedelta(days=1)]


def instants(days: list[date], timezone: str) -> list[datetime]:
    zone = ZoneInfo(timezone)
    return [_instant(day, zone) for day in days]
