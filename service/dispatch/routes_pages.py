"""The order form of the dispatch desk (新建活动), with the live candidate preview beside it.

The same service calls as the API: ``orders.service.create_order`` (or, for an adopted demand,
``demands.service.adopt_as_order``), ``orders.service.publish_order`` and
``dispatch.preview.preview_form``. The form posts as an ordinary form (a refusal re-renders it
with what was typed and the message beside the field); the preview panel is refreshed by htmx
as fields change, from a named block of the same template.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response
from starlette.routing import NoMatchFound

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep, ThrottleDep
from service.auth.web import form_fields, redirect
from service.context import ActionContext
from service.demands import service as demands_service
from service.dispatch import order_form, preview
from service.dispatch.preview_view import candidate_rows, suggestions
from service.errors import AppError, Conflict, NotFound, TooManyRequests
from service.messages import Message, text
from service.models import Demand
from service.orders import repository as orders_repo
from service.orders import service as orders_service
from service.orders.schemas import PublishRequest
from service.page_text import gettext, use_locale
from service.schemas_common import MAX_ID
from service.vocab import DemandStatus, Role
from service.web.deps import SessionDep
from service.web.templating import page_locale, render, render_fragment

router = APIRouter(prefix="/desk/orders", include_in_schema=False)
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
PAGE = "desk/order_form/page.html"
PUBLISH = "publish"
# Where a service refusal belongs on the form (its code → the field it is about).
FIELD_OF_CODE = {
    "venue_not_found": "venue",
    "venue_missing": "venue",
    "geocode_failed": "venue_address",
    "geocoder_unavailable": "venue_address",
    "venue_outside_china": "lat",
    "unknown_coord_system": "coord_system",
    "bad_times": "date",
    "starts_in_past": "date",
    "deadline_in_past": "deadline",
    "skill_not_found": "skill_ids",
    "skills_required": "skill_ids",
    "team_required": "team_id",
    "team_not_found": "team_id",
    "community_not_found": "community_id",
    "forbidden": "community_id",
    "outside_area": "venue",
}


def _say(request: Request, message: str) -> str:
    """A message in the reader's language: catalogue refusals and page texts alike."""
    locale = page_locale(request)
    if isinstance(message, Message):
        return message.in_locale(locale) if locale != "zh_CN" else message
    with use_locale(locale):
        return gettext(message)


def _whole_number(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 1 <= int(value) <= MAX_ID else None


def _order_url(request: Request, order_id: int) -> str:
    try:
        return request.url_for("desk_order", order_id=order_id).path
    except NoMatchFound:  # the order page is another part of the desk
        return f"/desk/orders/{order_id}"


async def _demand_to_adopt(session, ctx: ActionContext, demand_id: str | None) -> Demand | None:
    """The demand being adopted, if one is named (404 unknown, 403 another community)."""
    if demand_id in (None, ""):
        return None
    number = _whole_number(demand_id)
    if number is None:
        raise NotFound(text("refusal.demand.not_found"))
    return await demands_service.managed(session, ctx, demand_id=number)


async def _choices(session, ctx: ActionContext, demand: Demand | None) -> dict:
    """What the pickers offer: communities, their venues, skills by domain, teams."""
    communities = await orders_repo.communities_in_scope(session=session, actor=ctx.actor)
    if demand is not None:  # an adopted demand's order belongs to the demand's community
        communities = [c for c in communities if c.id == demand.community_id]
    venues = await orders_repo.venues_of(session=session, community_ids=[c.id for c in communities])
    by_community: dict[int, list] = {}
    for venue in venues:
        by_community.setdefault(venue.community_id, []).append(venue)
    _, skills = await _skill_index(session)
    return {
        "communities": communities,
        "venues": by_community,
        "skill_tree": await orders_repo.skill_tree(session=session),
        "skill_labels": skills,
        "teams": await orders_repo.active_teams(session=session),
        "mode_labels": order_form.DISPATCH_MODE_LABELS,
        "coord_labels": order_form.COORD_SYSTEM_LABELS,
    }


async def _skill_index(session) -> tuple[list, dict[int, dict]]:
    tree = await orders_repo.skill_tree(session=session)
    labels = {}
    for domain, skills in tree:
        for skill in [domain, *skills]:
            labels[skill.id] = {"domain": domain.name, "name": skill.name}
    return tree, labels


def _start_values(ctx: ActionContext, demand: Demand | None, choices: dict) -> dict:
    """The form as it opens: sensible defaults, or what the demand already says."""
    zone = ctx.settings.timezone
    values = order_form.blank(
        ctx.now, zone, default_max_distance_km=ctx.settings.default_max_distance_km
    )
    communities = choices["communities"]
    if demand is not None:
        values.update(
            title=demand.topic,
            description=demand.description,
            target_group=demand.target_group,
            community_id=str(demand.community_id),
            demand_id=str(demand.id),
            skill_ids=[str(demand.skill_id)] if demand.skill_id else [],
        )
        if demand.preferred_start and demand.preferred_start > ctx.now:
            values.update(
                order_form.local_fields(demand.preferred_start, demand.preferred_end, zone)
            )
    elif len(communities) == 1:
        values["community_id"] = str(communities[0].id)
    saved = choices["venues"].get(_whole_number(values.get("community_id")) or 0, [])
    values["venue"] = str(saved[0].id) if saved else ("new" if values.get("community_id") else "")
    values.setdefault("skill_ids", [])
    return values


def _page(request: Request, ctx: ActionContext, *, status_code: int = 200, **context):
    return render(
        request,
        PAGE,
        {"now": ctx.now, "errors": {}, "preview_state": "waiting", **context},
        status_code=status_code,
    )


@router.get("/new", name="desk_order_new")
async def order_new(request: Request, actor: Staff, session: SessionDep, ctx: ContextDep):
    """An empty order form, or one filled in from the demand being adopted (``?demand_id=``)."""
    demand = await _demand_to_adopt(session, ctx, request.query_params.get("demand_id"))
    choices = await _choices(session, ctx, demand)
    if demand is not None and demand.status != DemandStatus.new:
        orders = await demands_service.orders_for(session, [demand])
        return _page(
            request, ctx, status_code=409, demand=demand, closed=True,
            demand_order=orders.get(demand.id), **choices,
        )  # fmt: skip
    values = _start_values(ctx, demand, choices)
    return _page(request, ctx, demand=demand, values=values, **choices)


def _submitted(form) -> tuple[dict[str, str], list[str]]:
    fields = form_fields(form)
    skill_ids = [value for value in form.getlist("skill_ids") if isinstance(value, str)]
    return fields, skill_ids


@router.post("/new", name="desk_order_create")
async def order_create(request: Request, actor: Staff, session: SessionDep, ctx: ContextDep):
    """Create the draft (adopting the demand it came from), publish it when asked, and go to
    the order's page; a refusal shows the form again with the message beside its field."""
    fields, skill_ids = _submitted(await request.form())
    demand = await _demand_to_adopt(session, ctx, fields.get("demand_id"))
    values = {**fields, "skill_ids": skill_ids}
    parsed = order_form.parse(fields, skill_ids, zone=ctx.settings.timezone)
    if not parsed.errors and parsed.draft.starts_at <= ctx.now:
        parsed.errors["start_time"] = order_form.STARTS_IN_PAST
    if parsed.errors:
        errors = {name: _say(request, message) for name, message in parsed.errors.items()}
        choices = await _choices(session, ctx, demand)
        return _page(
            request, ctx, status_code=422, demand=demand, values=values, errors=errors, **choices
        )
    try:
        async with session.begin_nested():  # a refused publish undoes the draft too
            if demand is not None:
                _, order = await demands_service.adopt_as_order(
                    session, ctx, demand_id=demand.id, draft=parsed.draft
                )
            else:
                order = await orders_service.create_order(session, ctx, parsed.draft)
            if fields.get("then") == PUBLISH:
                await orders_service.publish_order(
                    session, ctx, order_id=order.id, data=PublishRequest()
                )
    except AppError as refused:
        return await _refused_form(request, session, ctx, demand, values, refused)
    return redirect(request, _order_url(request, order.id))


async def _refused_form(request, session, ctx, demand, values: dict, refused: AppError):
    """The form as it was sent, with the refusal beside the field it is about."""
    if demand is not None and isinstance(refused, Conflict):
        demand = await demands_service.get(session, demand_id=demand.id)
        if demand.status != DemandStatus.new:  # adopted (or closed) meanwhile
            orders = await demands_service.orders_for(session, [demand])
            choices = await _choices(session, ctx, demand)
            return _page(
                request, ctx, status_code=409, demand=demand, closed=True,
                demand_order=orders.get(demand.id), **choices,
            )  # fmt: skip
    name = refused.extra.get("field") or FIELD_OF_CODE.get(refused.code) or "_form"
    if name == "demand_id":
        name = "_form"
    choices = await _choices(session, ctx, demand)
    errors = {name: _say(request, refused.detail)}
    return _page(
        request, ctx, status_code=refused.status_code, demand=demand, values=values,
        errors=errors, **choices,
    )  # fmt: skip


@router.post("/new/preview", name="desk_order_preview")
async def order_preview(
    request: Request, actor: Staff, session: SessionDep, ctx: ContextDep, throttle: ThrottleDep
):
    """The candidate panel for the form as it is now (a named block of the form's page)."""
    fields, skill_ids = _submitted(await request.form())
    wanted = order_form.preview_input(fields, skill_ids, zone=ctx.settings.timezone)
    if wanted.request is None:
        if wanted.problem is None:  # not filled in far enough yet: no error, just "not yet"
            return _panel(request, ctx, preview_state="waiting")
        problem = _say(request, wanted.problem)
        return _panel(request, ctx, 422, preview_state="problem", preview_problem=problem)
    if fields.get("previewed") == wanted.signature:
        return Response(status_code=204)  # nothing the preview reads has changed
    try:
        found = await preview.preview_form(session, ctx, wanted.request, throttle=throttle)
    except TooManyRequests as refused:
        response = _panel(
            request, ctx, 429, preview_state="busy",
            retry_minutes=max(1, round(refused.retry_after / 60)),
        )  # fmt: skip
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    except AppError as refused:  # the attempt still counts: nothing is rolled back here
        problem = _say(request, refused.detail)
        return _panel(
            request, ctx, refused.status_code, preview_state="problem", preview_problem=problem
        )
    _, skills = await _skill_index(session)
    with use_locale(page_locale(request)):
        rows = candidate_rows(found, {k: v["name"] for k, v in skills.items()})
        advice = suggestions(found, ctx.settings.timezone)
    return _panel(
        request, ctx, preview_state="ready", preview_count=found.count, candidates=rows,
        suggestions=advice, preview_signature=wanted.signature, slots=wanted.request.slots,
    )  # fmt: skip


def _panel(request: Request, ctx: ActionContext, status_code: int = 200, **context):
    return render_fragment(
        request, PAGE, "preview", {"now": ctx.now, **context}, status_code=status_code
    )
