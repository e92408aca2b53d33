"""The dashboard's figures, each rule said once; the 上报 pack and the downloads use these same
functions.

Rules (the orders of a *slice*: community under the area, starting in the period, of the
topic and target group when picked — see ``repository.slice_clause``):

* 需求采纳率 adoption rate = demands made in the period that were adopted / all demands made
  in the period (merged ones count as not adopted: they live on in the demand they joined);
* 满员率 fill rate = accepted places / places, over the slice's published orders (published
  at least once, not cancelled);
* 派单到满员用时 time to staff = median of staffed_at − published_at over those that filled;
* 过期率 expiry rate = expired / published orders;
* 爽约率 no-show rate = no-show offers / offers that reached the activity (completed or no-show);
* 服务时长 hours = service records of the slice's orders;
* 覆盖人次 people reached = expected attendance of the held (completed or evaluated) orders;
* 群众评分 rating = residents' stars for the slice's activities;
* 未服务社区 unserved = communities with no held activity in the 90 days up to the period's end;
* 均衡度 evenness = Gini and the 10 busiest's share of hours among the volunteers who served,
  and first-timers (served in the slice, never before the period).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from matching.fairness import gini, top_share
from service.insight import filters as f
from service.insight import repository as repo
from service.insight.filters import Filters
from service.localtime import to_local
from service.page_text import N_
from service.tabular import Table
from service.vocab import TARGET_GROUP_LABELS, OrderStatus, TargetGroup

# The five key groups of the plans, then everyone else (社区居民).
KEY_GROUPS = (
    TargetGroup.youth,
    TargetGroup.farmers,
    TargetGroup.workers,
    TargetGroup.elderly,
    TargetGroup.officials,
)
TOP_FEW = 10


def rate(part: float, whole: float) -> float | None:
    """part / whole, or None when there is nothing to divide (shown as "—", never 0 %)."""
    return part / whole if whole else None


def fill_rate(totals: dict) -> float | None:
    """Accepted places / places over the published orders."""
    return rate(totals["accepted"], totals["slots"])


def expiry_rate(totals: dict) -> float | None:
    """Expired / published orders."""
    return rate(totals["expired"], totals["published"])


def adoption_rate(demands: dict[str, int]) -> float | None:
    """Adopted / all demands made in the period."""
    return rate(demands.get("adopted", 0), sum(demands.values()))


def no_show_rate(outcomes: dict[str, int]) -> float | None:
    """No-show offers / offers that reached the activity day."""
    return rate(outcomes["no_show"], outcomes["attended"])


@dataclass
class Row:
    """One line of a breakdown or one bucket of a trend."""

    key: object
    label: str
    published: int
    slots: int
    accepted: int
    done: int
    reached: int
    expired: int
    hours: float
    params: dict = field(default_factory=dict)  # the filters that select this row's orders
    campaign: str | None = None

    @property
    def fill(self) -> float | None:
        return fill_rate({"accepted": self.accepted, "slots": self.slots})


def _row(key, label, values: dict, **extra) -> Row:
    return Row(
        key=key, label=label,
        published=int(values.get("published") or 0), slots=int(values.get("slots") or 0),
        accepted=int(values.get("accepted") or 0), done=int(values.get("done") or 0),
        reached=int(values.get("reached") or 0), expired=int(values.get("expired") or 0),
        hours=float(values.get("hours") or 0), **extra,
    )  # fmt: skip


@dataclass
class Dashboard:
    filters: Filters
    totals: dict
    statuses: dict[str, int]
    demands: dict[str, int]
    median_staff_hours: float | None
    outcomes: dict[str, int]
    rating: tuple[float | None, int]
    hours_gini: float
    hours_top_share: float
    servers: int
    first_timers: int
    unserved: list[tuple[int, str]]
    reached_by_group: list[Row]
    streets: list[Row]
    communities: list[Row]
    topics: list[Row]
    groups: list[Row]
    weeks: list[Row]
    months: list[Row]
    campaigns: list[tuple[date, date, str]]
    quiet_since: date  # the unserved figure's window, local days
    quiet_until: date

    @property
    def fill_rate(self) -> float | None:
        return fill_rate(self.totals)

    @property
    def expiry_rate(self) -> float | None:
        return expiry_rate(self.totals)

    @property
    def adoption_rate(self) -> float | None:
        return adoption_rate(self.demands)

    @property
    def no_show_rate(self) -> float | None:
        return no_show_rate(self.outcomes)

    @property
    def demand_total(self) -> int:
        return sum(self.demands.values())


def _breakdown(found: dict, filters: Filters, dimension: str, names: dict) -> list[Row]:
    """One dimension of ``repository.slice_figures`` as rows, largest first."""
    param = {"street": "area", "community": "area", "topic": "topic", "group": "group"}[dimension]
    rows = []
    for text, values in found.get(dimension, {}).items():
        if text is None:
            continue
        key = text if dimension == "group" else int(text)
        label = names.get(key, str(key))
        rows.append(_row(key, label, values, params=filters.params(**{param: key})))
    return sorted(rows, key=lambda row: (-row.published, -row.done, str(row.label)))


def _trend(found: dict, dimension: str, filters: Filters, edges: list[date], label) -> list:
    """One trend of ``repository.slice_figures``: every bucket, empty ones too, campaign
    months marked."""
    buckets = found.get(dimension, {})
    campaigns = f.campaign_months(filters.day_from, filters.day_to)
    rows = []
    for index, (a, b) in enumerate(itertools.pairwise(edges)):
        last = b - timedelta(days=1)
        mark = next((name for c0, c1, name in campaigns if c0 < b and c1 > a), None)
        params = filters.days(a, last).params()
        values = buckets.get(str(index), {})
        rows.append(_row(index, label(a), values, params=params, campaign=mark))
    return rows


async def dashboard(session, ctx, filters: Filters) -> Dashboard:
    """Every figure of the dashboard for ``filters`` (already checked against the actor)."""
    tz = ctx.settings.timezone
    part = f.to_slice(filters, now=ctx.now, timezone=tz)
    await repo.plan_without_jit(session=session)
    hours = await repo.hours_per_volunteer(session=session, part=part)
    median = await repo.median_seconds_to_staff(session=session, part=part)
    topics = dict(await repo.topics(session=session))
    areas = await repo.areas_under(
        session=session, path=filters.area_path, levels=("street", "community")
    )
    area_names = {area.id: area.name for area in areas}
    groups = {g.value: str(TARGET_GROUP_LABELS[g]) for g in TargetGroup}
    weeks = f.week_edges(filters.day_from, filters.day_to)
    months = f.month_edges(filters.day_from, filters.day_to)
    found = await repo.slice_figures(
        session=session, part=part, weeks=f.instants(weeks, tz), months=f.instants(months, tz)
    )
    group_rows = _breakdown(found, filters, "group", groups)
    by_group = {row.key: row for row in group_rows}
    totals = {"published": 0, "slots": 0, "accepted": 0, "done": 0, "reached": 0,
              "expired": 0, "campaign": 0, "hours": 0.0, **found.get("total", {}).get("", {})}  # fmt: skip
    return Dashboard(
        filters=filters,
        totals={k: v or 0 for k, v in totals.items()},
        statuses=await repo.status_counts(session=session, part=part),
        demands=await repo.demand_counts(session=session, part=part),
        median_staff_hours=median / 3600 if median is not None else None,
        outcomes=await repo.offer_outcomes(session=session, part=part),
        rating=await repo.resident_rating(session=session, part=part),
        hours_gini=gini(hours),
        hours_top_share=top_share(hours, TOP_FEW),
        servers=len(hours),
        first_timers=await repo.first_timer_count(session=session, part=part),
        unserved=await repo.unserved_communities(session=session, part=part),
        reached_by_group=[
            by_group.get(g.value) or _row(g.value, groups[g.value], {}) for g in TargetGroup
        ],
        streets=_breakdown(found, filters, "street", area_names)
        if filters.area_level == "district"
        else [],
        communities=_breakdown(found, filters, "community", area_names),
        topics=_breakdown(found, filters, "topic", topics),
        groups=group_rows,
        weeks=_trend(found, "week", filters, weeks, lambda day: day.strftime("%m-%d")),
        months=_trend(found, "month", filters, months, lambda day: day.strftime("%Y-%m")),
        campaigns=f.campaign_months(filters.day_from, filters.day_to),
        quiet_since=to_local(part.quiet_since, tz).date(),
        quiet_until=to_local(part.quiet_until, tz).date(),
    )


def _percent(value: float | None) -> str:
    return "" if value is None else f"{value * 100:.1f}%"


BREAKDOWN_HEADER = (
    N_("名称"), N_("活动数"), N_("名额"), N_("已接单"), N_("满员率"), N_("已开展"),
    N_("覆盖人次"), N_("已过期"), N_("服务时长（小时）"),
)  # fmt: skip


def breakdown_table(title: str, first: str, rows: list[Row], gettext) -> Table:
    header = [gettext(first), *(gettext(h) for h in BREAKDOWN_HEADER[1:])]
    return Table(
        title=title,
        header=header,
        rows=[
            (r.label, r.published, r.slots, r.accepted, _percent(r.fill), r.done, r.reached,
             r.expired, round(r.hours, 1))
            for r in rows
        ],
    )  # fmt: skip


def dashboard_tables(view: Dashboard, gettext=lambda text: text) -> list[Table]:
    """The dashboard's breakdowns as tables (for CSV/XLSX downloads), in the reader's language
    when ``gettext`` is the page's."""
    tables = []
    if view.streets:
        tables.append(breakdown_table(gettext("按街道"), N_("街道"), view.streets, gettext))
    tables += [
        breakdown_table(gettext("按社区"), N_("社区"), view.communities, gettext),
        breakdown_table(gettext("按主题"), N_("主题"), view.topics, gettext),
        breakdown_table(gettext("按服务人群"), N_("服务人群"), view.groups, gettext),
        breakdown_table(gettext("按周"), N_("周（起）"), view.weeks, gettext),
        breakdown_table(gettext("按月"), N_("月份"), view.months, gettext),
    ]
    return tables


STATUS_ORDER = [status.value for status in OrderStatus]
