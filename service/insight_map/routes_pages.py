"""The activity map page (活动地图) of the dispatch desk: a coordinator's area (admin: every
area) with its orders by status group and its volunteers counted per community."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from service import page_text
from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.insight_map import filters as map_filters
from service.insight_map import service
from service.insight_map.repository import STATUS_GROUPS
from service.localtime import to_local
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.templating import page_locale, render

router = APIRouter(prefix="/desk/insight", include_in_schema=False)
Coordinator = Annotated[Actor, requires(Role.coordinator)]
# Plain text, checked by filters.parse_filter: a wrong date earns a sentence, not a 422 body.
Words = Annotated[str, Query(max_length=40)]


@router.get("/map", name="desk_insight_map")
async def map_page(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    first: Annotated[str, Query(alias="from", max_length=40)] = "",
    last: Annotated[str, Query(alias="to", max_length=40)] = "",
    group: Words = "",
):
    """Orders (open, unfilled, done) and volunteer density of the area, as a map and a table."""
    today = to_local(ctx.now, ctx.settings.timezone).date()
    context = {
        "form": {"from": first, "to": last, "group": group},
        "groups": STATUS_GROUPS,
        "presets": map_filters.presets(today),
        "errors": {},
        "view": None,
        "data": None,
        "detail_limit": service.DETAIL_LIMIT,
    }
    try:
        chosen = map_filters.parse_filter(first=first, last=last, group=group, today=today)
    except map_filters.MapInputError as wrong:
        with page_text.use_locale(page_locale(request)):
            context["errors"] = {wrong.field: page_text.gettext(wrong.message)}
        return render(request, "desk/map/page.html", context, status_code=422)
    view = await service.map_view(session, ctx, chosen)
    context["form"] = {
        "from": chosen.first.isoformat(),
        "to": chosen.last.isoformat(),
        "group": chosen.group or "",
    }
    context["view"] = view
    context["data"] = service.payload(
        view, lambda order_id: request.url_for("desk_order", order_id=order_id).path
    )
    return render(request, "desk/map/page.html", context)
