"""The 数据看板 pages: the dashboard of a coordinator's area, the orders behind each figure, and
the 上报 pack (a printable page and an XLSX file) — all from the same figure functions."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from service import page_text
from service.actor import Actor
from service.auth import policy
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.insight import charts, filters, report_xlsx, service
from service.insight import report as reporting
from service.insight import repository as repo
from service.insight.filters import InsightRefusal
from service.tabular import csv_stream, xlsx_stream
from service.vocab import ORDER_STATUS_LABELS, TARGET_GROUP_LABELS, Role
from service.web.deps import SessionDep
from service.web.templating import page_locale, render

router = APIRouter(prefix="/desk/insight", include_in_schema=False)
Coordinator = Annotated[Actor, requires(Role.coordinator)]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]
PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _said(request: Request, refusal: InsightRefusal) -> str:
    with page_text.use_locale(page_locale(request)):
        return page_text.gettext(refusal.message) % refusal.params


async def _choices(request, session, actor) -> dict:
    """What every insight page shows around its figures: the pickers and its two addresses
    (looked up once: a page has a thousand links, and each ``url_for`` walks the routes)."""
    return {
        "dash_url": request.url_for("desk_insight").path,
        "orders_url": request.url_for("desk_insight_orders").path,
        "periods": filters.PERIODS,
        "areas": await filters.area_choices(session, actor),
        "topics": await repo.topics(session=session),
        "groups": TARGET_GROUP_LABELS,
        "statuses": ORDER_STATUS_LABELS,
    }


async def _refused(request, session, actor, refusal: InsightRefusal, template: str):
    """The page with the form and the refusal beside it, nothing computed."""
    context = {
        **await _choices(request, session, actor),
        "view": None,
        "form": dict(request.query_params),
        "error": _said(request, refusal),
        "error_field": refusal.field,
    }
    return render(request, template, context, status_code=refusal.status_code)


def _form(picked: filters.Filters) -> dict:
    return {
        "period": picked.period,
        "from": picked.day_from.isoformat(),
        "to": picked.day_to.isoformat(),
        "area": str(picked.area_id),
        "topic": str(picked.topic_id or ""),
        "group": picked.group or "",
    }


@router.get("", name="desk_insight")
async def dashboard_page(
    request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """The figures of the area for the period, each linking to the orders behind it."""
    try:
        picked = await filters.read_filters(session, ctx, request.query_params)
    except InsightRefusal as refused:
        return await _refused(request, session, actor, refused, "desk/insight/page.html")
    view = await service.dashboard(session, ctx, picked)
    context = {
        **await _choices(request, session, actor),
        "view": view,
        "form": _form(picked),
        "f": picked,
        "month_chart": charts.trend_chart(view.months),
        "week_chart": charts.trend_chart(view.weeks),
    }
    return render(request, "desk/insight/page.html", context)


@router.get("/orders", name="desk_insight_orders")
async def orders_page(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    page: PageNumber = 1,
):
    """The orders behind one figure of the dashboard (same filters, same rule)."""
    try:
        picked = await filters.read_filters(session, ctx, request.query_params)
    except InsightRefusal as refused:
        return await _refused(request, session, actor, refused, "desk/insight/orders.html")
    part = filters.to_slice(picked, now=ctx.now, timezone=ctx.settings.timezone)
    lines, total = await repo.orders_behind(
        session=session, part=part, figure=picked.figure,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    base = request.url_for("desk_insight_orders").path
    pages = {
        "prev": f"{base}?{picked.query(figure=picked.figure, page=page - 1)}" if page > 1 else None,
        "next": f"{base}?{picked.query(figure=picked.figure, page=page + 1)}"
        if page * PAGE_SIZE < total
        else None,
    }
    # One route lookup for the page, not one per line (each walks the whole route table).
    order_path = request.url_for("desk_order", order_id=0).path.removesuffix("0")
    openable = {
        line.id: f"{order_path}{line.id}"
        for line in lines
        if policy.can_manage_order(
            actor, community_id=line.community_id, community_path=line.community_path
        )
    }
    context = {
        **await _choices(request, session, actor),
        "f": picked,
        "form": _form(picked),
        "lines": lines,
        "total": total,
        "openable": openable,
        "pages": pages,
        "figure_label": figure_label(picked.figure),
        "view": True,
    }
    return render(request, "desk/insight/orders.html", context)


def figure_label(figure: str) -> list[str]:
    """The name of a figure in pieces of page text (each translated on the page)."""
    kind, _, value = figure.partition(":")
    if kind == "status":
        return [page_text.N_("状态："), ORDER_STATUS_LABELS[value]]
    if kind == "group":
        return [page_text.N_("已开展·"), TARGET_GROUP_LABELS[value]]
    return [FIGURE_LABELS[figure]]


FIGURE_LABELS = {
    "all": page_text.N_("全部活动"),
    "published": page_text.N_("派出的活动（满员率的分母）"),
    "unfilled": page_text.N_("还有空缺名额的活动"),
    "staffed": page_text.N_("已满员的活动（满员用时）"),
    "expired": page_text.N_("过期的活动"),
    "done": page_text.N_("已开展的活动"),
    "noshow": page_text.N_("有志愿者爽约的活动"),
    "hours": page_text.N_("记录了服务时长的活动"),
    "rated": page_text.N_("有群众评分的活动"),
    "campaign": page_text.N_("活动月（全国科普日、科技活动周）的活动"),
    "demands": page_text.N_("由本期群众点单采纳而来的活动"),
    "first": page_text.N_("有首次服务志愿者的活动"),
    "unserved": page_text.N_("未服务社区在这 90 天里未开展的活动"),
}


async def _report(request, session, ctx):
    picked = await filters.read_filters(session, ctx, request.query_params)
    return picked, await reporting.report(session, ctx, picked)


@router.get("/report", name="desk_insight_report")
async def report_page(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """The 上报 pack as a printable page."""
    try:
        picked, made = await _report(request, session, ctx)
    except InsightRefusal as refused:
        return await _refused(request, session, actor, refused, "desk/insight/page.html")
    with page_text.use_locale(page_locale(request)):
        tables = reporting.report_tables(made, page_text.gettext)
    return render(
        request,
        "desk/insight/report.html",
        {
            "f": picked,
            "report": made,
            "tables": tables,
            "dash_url": request.url_for("desk_insight").path,
        },
    )


@router.get("/report.xlsx", name="desk_insight_report_xlsx")
async def report_file(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """The 上报 pack as an XLSX workbook, one sheet per table."""
    try:
        picked, made = await _report(request, session, ctx)
    except InsightRefusal as refused:
        return await _refused(request, session, actor, refused, "desk/insight/page.html")
    with page_text.use_locale(page_locale(request)):
        tables = reporting.report_tables(made, page_text.gettext)
        caption = f"{picked.area_name} {picked.day_from} — {picked.day_to}"
        name = page_text.gettext("上报") + f"-{picked.area_name}-{picked.day_from}-{picked.day_to}"
    body = report_xlsx.workbook_bytes(tables, caption=caption)
    disposition = f"attachment; filename=\"report.xlsx\"; filename*=UTF-8''{quote(name)}.xlsx"
    return Response(body, media_type=XLSX, headers={"Content-Disposition": disposition})


async def _tables_download(request, actor, session, ctx, fmt: str):
    """The dashboard's breakdowns as a download: XLSX with a sheet per table, or CSV of the
    first (by street, or by community for a street), streamed as every export is."""
    try:
        picked = await filters.read_filters(session, ctx, request.query_params)
    except InsightRefusal as refused:
        return await _refused(request, session, actor, refused, "desk/insight/page.html")
    view = await service.dashboard(session, ctx, picked)
    with page_text.use_locale(page_locale(request)):
        tables = service.dashboard_tables(view, page_text.gettext)
        name = (
            page_text.gettext("数据看板") + f"-{picked.area_name}-{picked.day_from}-{picked.day_to}"
        )
    body = xlsx_stream(tables) if fmt == "xlsx" else csv_stream(tables[0])
    return StreamingResponse(
        body,
        media_type=XLSX if fmt == "xlsx" else "text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="insight.{fmt}"; '
            f"filename*=UTF-8''{quote(name)}.{fmt}",
            "Cache-Control": "no-store",  # figures of an area: never kept by a proxy
        },
    )


@router.get("/tables.xlsx", name="desk_insight_tables_xlsx")
async def tables_xlsx(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    return await _tables_download(request, actor, session, ctx, "xlsx")


@router.get("/tables.csv", name="desk_insight_tables_csv")
async def tables_csv(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    return await _tables_download(request, actor, session, ctx, "csv")
