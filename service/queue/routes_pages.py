"""The queue pages of the dispatch desk (server-rendered; the same service calls as the API).

A coordinator sees the stuck orders of their area, each with why it is stuck and the fixes
with the candidates each gains; a fix is confirmed on its own page, applied through the order
services (``redispatch_order`` / ``cancel_order``, as ``POST /api/v1/orders/{id}/redispatch``
and ``…/cancel``), and its result shown from the order as it then stands.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from service import page_text
from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.errors import AppError
from service.localtime import to_local
from service.orders.service import PLAN_HORIZON_YEARS
from service.pagination import PageParams
from service.queue import gains, service
from service.queue.schemas import DayForm, FixForm, field_errors, form_values
from service.vocab import DispatchMode, Role
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, page_locale, render, render_fragment

router = APIRouter(prefix="/desk/queue", include_in_schema=False)
Coordinator = Annotated[Actor, requires(Role.coordinator)]
PAGE_SIZE = 20
PageNumber = Annotated[int, Query(ge=1, le=10_000)]


def _said(request: Request, error: AppError) -> str:
    """A refusal in the reader's language (queue refusals are page text, others catalogue)."""
    if isinstance(error, service.QueueRefusal):
        with page_text.use_locale(page_locale(request)):
            return page_text.gettext(error.message) % error.params
    return in_page_locale(request, error.detail)


def _picker(ctx) -> dict:
    """The date picker's range: from tomorrow to the planning horizon (local days)."""
    today = to_local(ctx.now, ctx.settings.timezone).date()
    return {
        "day_min": (today + timedelta(days=1)).isoformat(),
        "day_max": (today + timedelta(days=365 * PLAN_HORIZON_YEARS)).isoformat(),
    }


def _field_errors(request: Request, invalid: ValidationError) -> dict[str, str]:
    """The form's errors by field, in the reader's language."""
    with page_text.use_locale(page_locale(request)):
        return {name: page_text.gettext(text) for name, text in field_errors(invalid).items()}


@router.get("", name="desk_queue")
async def queue_page(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    page: PageNumber = 1,
):
    """The stuck orders of the coordinator's area, oldest first, each with its fixes."""
    params = PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    items, total = await service.stuck_orders(session, ctx, page=params)
    base = request.url_for("desk_queue").path
    return render(
        request,
        "desk/queue/page.html",
        {
            "upcoming": [item for item in items if not item.past],
            "past": [item for item in items if item.past],
            "total": total,
            "version": await service.queue_version(session, ctx),
            "prev_url": f"{base}?page={page - 1}" if page > 1 else None,
            "next_url": f"{base}?page={page + 1}" if page * PAGE_SIZE < total else None,
            **_picker(ctx),
        },
    )


@router.get("/notice", name="desk_queue_notice")
async def queue_notice(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    since: Annotated[str, Query(max_length=80)] = "",
):
    """The page's "the queue has changed" line (polled): empty while nothing has moved."""
    return render_fragment(
        request,
        "desk/queue/page.html",
        "queue_notice",
        {"version": since, "changed": await service.queue_version(session, ctx) != since},
    )


@router.get("/{order_id}", name="desk_queue_item")
async def item_page(
    request: Request, order_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """One order of the area with why it is stuck and its fixes (in the queue or not)."""
    item = await service.queue_item(session, ctx, order_id)
    queued = await service.still_queued(session, order_id)
    context = {"item": item, "queued": queued, **_picker(ctx)}
    return render(request, "desk/queue/item.html", context)


@router.get("/{order_id}/day", name="desk_queue_day")
async def day_page(
    request: Request, order_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """How many candidates the order has on a chosen day and time (the date picker)."""
    item = await service.queue_item(session, ctx, order_id, with_options=False)
    values = form_values(dict(request.query_params))
    context = {"item": item, "form": values, "errors": {}, "chosen": None, **_picker(ctx)}
    status_code = 200
    try:
        chosen = DayForm.model_validate(values)
        start = service.local_start(ctx, chosen.day, chosen.at)
        context["chosen"] = await service.gain_on_day(session, ctx, item, start)
    except ValidationError as invalid:
        context["errors"], status_code = _field_errors(request, invalid), 422
    except service.QueueRefusal as refused:
        context["errors"] = {refused.field or "day": _said(request, refused)}
        status_code = refused.status_code
    if request.headers.get("HX-Request") == "true":
        context["as_fragment"] = True
        return render_fragment(
            request, "desk/queue/day.html", "day_result", context, status_code=status_code
        )
    return render(request, "desk/queue/day.html", context, status_code=status_code)


async def _confirm_context(session, ctx, item: service.QueueItem, form: FixForm) -> dict:
    """What the confirmation shows: the change, and the candidates it gains, counted now."""
    order = item.order
    context: dict = {"gain": None, "team": None}
    if form.fix == "team":
        counter = await gains.Counter.load(session, ctx, order, reach_km=0)
        teams = await gains.team_options(session, ctx, order, counter)
        context["team"] = next((t for t in teams if t.team_id == form.team_id), None)
        return context
    if form.fix == "cancel" or (item.past and form.fix != "move"):
        return context
    counter = await gains.Counter.load(session, ctx, order, reach_km=form.km or 0)
    baseline = counter.baseline()
    if form.fix == "widen":
        count = counter.count(gains.mode_after_change(order), max_distance_km=form.km)
        context["gain"] = gains.OpenOption(count, count - baseline)
    elif form.fix == "open":
        count = counter.count(DispatchMode.open)
        context["gain"] = gains.OpenOption(count, count - baseline)
    else:
        start = service.local_start(ctx, form.day, form.at)
        context["gain"] = gains.day_gain(counter, order, start)
    return context


async def _confirm(
    request, session, ctx, item, values: dict, *, refusal=None, errors=None, status_code=200
):
    context = {"item": item, "form": values, "errors": dict(errors or {}), "refusal": refusal}
    try:
        fix = FixForm.model_validate({**values, "reason": values.get("reason") or "-"})
    except ValidationError as invalid:
        context["errors"].update(_field_errors(request, invalid))
        context["fix"] = None
        return render(request, "desk/queue/confirm.html", context, status_code=422)
    context["fix"] = fix
    try:
        service.check_choice(ctx, item, fix)
    except service.QueueRefusal as refused:
        if refused.field:
            context["errors"].setdefault(refused.field, _said(request, refused))
        else:
            context["refusal"] = context["refusal"] or _said(request, refused)
        status_code = refused.status_code if status_code == 200 else status_code
    else:
        context.update(await _confirm_context(session, ctx, item, fix))
        if fix.fix == "team" and context["team"] is None:  # not one that can staff it
            context["refusal"] = context["refusal"] or _said(
                request, service.QueueRefusal(service.TEAM_UNAVAILABLE)
            )
            status_code = 409 if status_code == 200 else status_code
    if context["errors"] and status_code == 200:
        status_code = 422
    return render(request, "desk/queue/confirm.html", context, status_code=status_code)


@router.get("/{order_id}/confirm", name="desk_queue_confirm")
async def confirm_page(
    request: Request, order_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """The step before a fix: what will change and what it gains; nothing is written."""
    item = await service.queue_item(session, ctx, order_id, with_options=False)
    values = form_values(dict(request.query_params))
    values.pop("reason", None)  # a cancellation's reason is typed on this page, never carried
    return await _confirm(request, session, ctx, item, values)


@router.post("/{order_id}/apply", name="desk_queue_apply")
async def apply_fix(
    request: Request, order_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """Apply the confirmed fix; then the result page (a refusal: the confirmation again)."""
    item = await service.queue_item(session, ctx, order_id, with_options=False)
    values = form_values(form_fields(await request.form()))
    values.pop("csrf_token", None)
    try:
        form = FixForm.model_validate(values)
    except ValidationError as invalid:
        errors = _field_errors(request, invalid)
        return await _confirm(request, session, ctx, item, values, errors=errors)
    try:
        # A savepoint: a refusal halfway leaves nothing behind, yet the page still renders.
        async with session.begin_nested():
            await service.apply_fix(session, ctx, order_id=order_id, form=form)
    except service.QueueRefusal as refused:
        errors = {refused.field: _said(request, refused)} if refused.field else {}
        refusal = None if refused.field else _said(request, refused)
        return await _confirm(
            request, session, ctx, item, values, refusal=refusal, errors=errors,
            status_code=refused.status_code,
        )  # fmt: skip
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        return await _confirm(
            request, session, ctx, item, values, refusal=_said(request, refused),
            status_code=refused.status_code,
        )  # fmt: skip
    return redirect(request, request.url_for("desk_queue_result", order_id=order_id).path)


@router.get("/{order_id}/result", name="desk_queue_result")
async def result_page(
    request: Request, order_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """What came of a fix: the order as it now stands, and whether it left the queue."""
    outcome = await service.outcome(session, ctx, order_id)
    return render(request, "desk/queue/result.html", {"outcome": outcome, "item": outcome.item})
