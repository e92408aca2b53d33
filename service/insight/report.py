"""The 上报 pack: the period's figures shaped like the plans' statistics, built from the very
figures the dashboard shows (``service.dashboard``), plus the key group × theme tables and the
volunteers who meet the 优秀科技志愿者 threshold in the year."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from service.insight import filters as f
from service.insight import repository as repo
from service.insight import service
from service.insight.filters import Filters
from service.masking import mask_name
from service.page_text import N_
from service.tabular import Table
from service.vocab import TARGET_GROUP_LABELS, TargetGroup


@dataclass
class Report:
    view: service.Dashboard
    topics: list[tuple[int, str]]  # the columns of the group × theme tables
    held: dict[tuple[str, int], int]  # (group, topic) → held activities
    reached: dict[tuple[str, int], int]  # (group, topic) → people reached
    campaign_rows: list[service.Row]
    year: int
    min_activities: int
    min_hours: float
    excellent: list[repo.VolunteerYear]
    made_at: datetime

    @property
    def groups(self) -> list[tuple[str, str]]:
        """(value, Chinese label): the five key groups first, then 社区居民."""
        return [(g.value, str(TARGET_GROUP_LABELS[g])) for g in TargetGroup]


async def report(session, ctx, filters: Filters) -> Report:
    """The 上报 of ``filters``' period and area (topic and group narrow it, as on the page)."""
    view = await service.dashboard(session, ctx, filters)
    part = f.to_slice(filters, now=ctx.now, timezone=ctx.settings.timezone)
    cells = await repo.group_by_topic(session=session, part=part)
    year = filters.day_to.year
    year_slice = f.to_slice(
        filters.days(date(year, 1, 1), date(year, 12, 31)),
        now=ctx.now,
        timezone=ctx.settings.timezone,
    )
    settings = ctx.settings
    return Report(
        view=view,
        topics=await repo.topics(session=session),
        held={(c["group"], c["topic"]): int(c["done"]) for c in cells},
        reached={(c["group"], c["topic"]): int(c["reached"]) for c in cells},
        campaign_rows=[row for row in view.months if row.campaign],
        year=year,
        min_activities=settings.excellent_min_activities,
        min_hours=settings.excellent_min_hours,
        excellent=await repo.volunteers_over(
            session=session,
            area_path=filters.area_path,
            start=year_slice.start,
            end=year_slice.end,
            min_activities=settings.excellent_min_activities,
            min_hours=settings.excellent_min_hours,
        ),
        made_at=ctx.now,
    )


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _hours(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def summary_lines(r: Report, gettext) -> list[tuple[str, object]]:
    """The 概况 sheet: one figure a line, in the order the plans' 监测评估 asks them."""
    v = r.view
    stars, ratings = v.rating
    return [
        (gettext("地区"), v.filters.area_name),
        (gettext("时间段"), f"{v.filters.day_from.isoformat()} — {v.filters.day_to.isoformat()}"),
        (gettext("群众点单（需求）"), v.demand_total),
        (gettext("需求采纳率"), _percent(v.adoption_rate)),
        (gettext("派出活动"), int(v.totals["published"])),
        (gettext("已开展活动"), int(v.totals["done"])),
        (gettext("覆盖人次"), int(v.totals["reached"])),
        (gettext("活动月（全国科普日、科技活动周）活动"), int(v.totals["campaign"])),
        (gettext("满员率"), _percent(v.fill_rate)),
        (gettext("派单到满员用时中位数（小时）"), _hours(v.median_staff_hours)),
        (gettext("过期率"), _percent(v.expiry_rate)),
        (gettext("爽约率"), _percent(v.no_show_rate)),
        (gettext("志愿服务时长（小时）"), round(float(v.totals["hours"]), 1)),
        (gettext("参与服务的志愿者"), v.servers),
        (gettext("首次服务的志愿者"), v.first_timers),
        (gettext("服务时长基尼系数"), round(v.hours_gini, 3)),
        (gettext("最忙 10 人时长占比"), _percent(v.hours_top_share)),
        (gettext("群众评分"), "—" if stars is None else round(stars, 2)),
        (gettext("群众评分条数"), ratings),
        (gettext("90 天内未开展活动的社区"), len(v.unserved)),
    ]


def _matrix(r: Report, cells: dict, figure: str, title: str, gettext) -> Table:
    """Key group × theme. An activity with skills of two themes counts under each theme, so
    the 合计 column and the grand total are the dashboard's own counts of activities (each
    once), not the sum of the cells; a theme's column total is a plain sum (an activity has
    one target group)."""
    used = [(tid, name) for tid, name in r.topics if any(k[1] == tid for k in cells)]
    by_group = {row.key: getattr(row, figure) for row in r.view.groups}
    rows = []
    for value, label in r.groups:
        line = [cells.get((value, tid), 0) for tid, _ in used]
        rows.append([gettext(label), *line, by_group.get(value, 0)])
    totals = [sum(row[i + 1] for row in rows) for i in range(len(used))]
    rows.append([gettext("合计"), *totals, r.view.totals[figure]])
    header = [gettext("服务人群 \\ 主题"), *(name for _, name in used), gettext("合计")]
    note = gettext("一场活动涉及几个主题，就在每个主题下各计一次；「合计」按活动计，每场只算一次。")
    return Table(title=title, header=header, rows=rows, note=note)


def report_tables(r: Report, gettext=lambda text: text) -> list[Table]:
    """The 上报's sheets, in order; the XLSX and the printable page both show these."""
    v = r.view
    campaign = Table(
        title=gettext("活动月"),
        header=[gettext(h) for h in (N_("月份"), N_("活动"), N_("派出活动"), N_("已开展"),
                                      N_("覆盖人次"), N_("满员率"), N_("服务时长（小时）"))],
        rows=[(row.label, gettext(row.campaign), row.published, row.done, row.reached,
               _percent(row.fill), round(row.hours, 1)) for row in r.campaign_rows],
    )  # fmt: skip
    unserved = Table(
        title=gettext("未服务社区"),
        header=[gettext("社区"), gettext("统计区间")],
        rows=[(name, f"{v.quiet_since} — {v.quiet_until}") for _, name in v.unserved],
    )
    excellent = Table(
        title=gettext("优秀科技志愿者"),
        header=[
            gettext("志愿者编号"),
            gettext("姓名"),
            gettext("活动次数"),
            gettext("服务时长（小时）"),
        ],
        # Names masked as on every desk page; the volunteer number finds the person.
        rows=[
            (p.volunteer_id, mask_name(p.name), p.activities, round(p.hours, 1))
            for p in r.excellent
        ],
    )
    summary = Table(
        title=gettext("概况"),
        header=[gettext("指标"), gettext("数值")],
        rows=summary_lines(r, gettext),
    )
    areas = v.streets or v.communities
    return [
        summary,
        _matrix(r, r.held, "done", gettext("重点人群×主题·活动场次"), gettext),
        _matrix(r, r.reached, "reached", gettext("重点人群×主题·覆盖人次"), gettext),
        campaign,
        service.breakdown_table(
            gettext("按街道") if v.streets else gettext("按社区"),
            N_("街道") if v.streets else N_("社区"),
            areas,
            gettext,
        ),
        unserved,
        excellent,
    ]
