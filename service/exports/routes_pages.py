"""The 数据导出 page of the dispatch desk: pick an area, a period and a format, download the
orders or the service hours as CSV or XLSX. The same service functions as ``kepu export``."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from fastapi.responses import StreamingResponse
from fastapi.routing import APIRouter

from service import page_text
from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.exports import service
from service.exports.service import ExportFormat, ExportKind, ExportRefusal
from service.localtime import to_local
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.templating import page_locale, render

router = APIRouter(prefix="/desk/exports", include_in_schema=False)
Coordinator = Annotated[Actor, requires(Role.coordinator)]
Field = Annotated[str | None, Query(max_length=40)]


def _month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def _quick_links(request: Request, area: str, today: date) -> list[dict]:
    """This month and last month, each kind and format, for the default area."""
    this_first, this_last = _month_bounds(today)
    last_first, last_last = _month_bounds(this_first - timedelta(days=1))
    base = request.url_for("desk_exports_download").path
    links = []
    for label, first, last in (
        (page_text.N_("本月"), this_first, this_last),
        (page_text.N_("上月"), last_first, last_last),
    ):
        for kind in ExportKind:
            for fmt in ExportFormat:
                query = {"kind": kind, "format": fmt, "area": area,
                         "day_from": first.isoformat(), "day_to": last.isoformat()}  # fmt: skip
                links.append({"period": label, "kind": service.KIND_LABELS[kind],
                              "format": fmt.value.upper(), "href": f"{base}?{urlencode(query)}"})  # fmt: skip
    return links


async def _form_page(request, session, ctx, values: dict, errors: dict, status_code: int = 200):
    today = to_local(ctx.now, ctx.settings.timezone).date()
    areas = await service.areas_to_offer(session, ctx.actor)
    first, last = _month_bounds(today)
    defaults = {
        "area": "" if ctx.actor.is_admin or not areas else str(areas[0].id),
        "day_from": first.isoformat(),
        "day_to": last.isoformat(),
        "format": "xlsx",
    }
    form = {**defaults, **{k: v for k, v in values.items() if v}}
    context = {
        "areas": areas,
        "form": form,
        "errors": errors,
        "all_allowed": ctx.actor.is_admin,
        "links": _quick_links(request, form["area"], today),
    }
    return render(request, "desk/exports/form.html", context, status_code=status_code)


@router.get("", name="desk_exports")
async def exports_page(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """The form (area, period, format) and this and last month's download links."""
    return await _form_page(request, session, ctx, {}, {})


@router.get("/download", name="desk_exports_download")
async def download(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    kind: Field = None,
    format: Field = None,
    area: Field = None,
    day_from: Field = None,
    day_to: Field = None,
):
    """The file, streamed; bad or foreign input gives the form back with the reason."""
    values = {"kind": kind, "format": format, "area": area, "day_from": day_from, "day_to": day_to}
    try:
        asked = service.parse_request(
            kind=kind, fmt=format, day_from=day_from, day_to=day_to, area=area
        )
        export = await service.authorize(session, ctx.actor, asked)
    except ExportRefusal as refused:
        with page_text.use_locale(page_locale(request)):
            errors = {k: page_text.gettext(v) % refused.params for k, v in refused.errors.items()}
        return await _form_page(request, session, ctx, values, errors, refused.status_code)
    body = await service.open_download(
        request.app.state.sessionmaker, export, zone=ctx.settings.timezone
    )
    return StreamingResponse(
        body,
        media_type=export.media_type,
        headers={
            "Content-Disposition": content_disposition(export.filename, export.ascii_filename),
            "Cache-Control": "no-store",  # names and hours of people: never kept by a proxy
        },
    )


def content_disposition(filename: str, fallback: str) -> str:
    """An attachment with the Chinese name (RFC 5987 ``filename*``) and an ASCII fallback."""
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
