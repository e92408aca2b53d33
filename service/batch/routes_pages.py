"""The 一键派单 pages of the dispatch desk: pick an area and days, see the plan (who would be
asked for what and why, the totals against greedy), apply it, read what was sent.

Planning saves a plan and sends nothing; applying is its own confirmed POST. Both call the
services the command line calls (``planning.make_plan``, ``applying.apply_plan``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from service import page_text
from service.actor import Actor
from service.auth import policy
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.batch import applying, planning, views
from service.batch import repository as repo
from service.batch.refusals import BatchRefusal
from service.batch.schemas import PlanForm, field_errors
from service.localtime import to_local
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import page_locale, render

router = APIRouter(prefix="/desk/batch", include_in_schema=False)
Coordinator = Annotated[Actor, requires(Role.coordinator)]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]


def _said(request: Request, refusal: BatchRefusal) -> str:
    with page_text.use_locale(page_locale(request)):
        return page_text.gettext(refusal.message) % refusal.params


async def _form_page(request, session, ctx, values: dict, errors: dict, status_code: int = 200):
    today = to_local(ctx.now, ctx.settings.timezone).date()
    areas = await repo.areas_to_plan(session=session, scope=policy.areas_in_scope(ctx.actor))
    recent = await repo.recent_plans(session=session, scope=policy.areas_in_scope(ctx.actor))
    defaults = {
        "area": str(areas[0].id) if len(areas) == 1 else "",
        "day_from": today.isoformat(),
        "day_to": (today + timedelta(days=planning.DEFAULT_PERIOD_DAYS - 1)).isoformat(),
    }
    context = {
        "areas": areas,
        "recent": recent,
        "form": {**defaults, **values},
        "errors": errors,
        "day_min": today.isoformat(),
        "max_days": planning.MAX_PERIOD_DAYS,
    }
    return render(request, "desk/batch.html", context, status_code=status_code)


@router.get("", name="desk_batch")
async def batch_page(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """The form (area, days) and the latest plans of the coordinator's areas."""
    return await _form_page(request, session, ctx, {}, {})


@router.post("/plans", name="desk_batch_plan")
async def make_plan(request: Request, actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """Plan and save (nothing is sent); then the plan's page."""
    values = {k: v.strip() for k, v in form_fields(await request.form()).items() if v.strip()}
    values.pop("csrf_token", None)
    try:
        form = PlanForm.model_validate(values)
    except ValidationError as invalid:
        with page_text.use_locale(page_locale(request)):
            errors = {k: page_text.gettext(v) for k, v in field_errors(invalid).items()}
        return await _form_page(request, session, ctx, values, errors, 422)
    try:
        area = await repo.area_by_id(session=session, area_id=form.area)
        plan = await planning.make_plan(
            session, ctx, area=area, first=form.day_from, last=form.day_to
        )
    except BatchRefusal as refused:
        errors = {refused.field or "area": _said(request, refused)}
        return await _form_page(request, session, ctx, values, errors, refused.status_code)
    return redirect(request, request.url_for("desk_batch_show", plan_id=plan.id).path)


@router.get("/plans/{plan_id}", name="desk_batch_show")
async def plan_page(
    request: Request,
    plan_id: IdPath,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    page: PageNumber = 1,
    unfilled: Annotated[int, Query(ge=0, le=1)] = 0,
):
    """Per order who would be asked and why; the totals against greedy; 执行 when planned."""
    plan = await views.plan_for(session, ctx, plan_id)
    with page_text.use_locale(page_locale(request)):
        view = await views.plan_view(session, ctx, plan, page=page, unfilled_only=bool(unfilled))
    return render(request, "desk/batch_plan.html", {"view": view, "plan": plan})


@router.post("/plans/{plan_id}/apply", name="desk_batch_apply")
async def apply_plan(
    request: Request, plan_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """Send the plan's invitations (each checked again); then the report."""
    applied = await applying.apply_plan(session, ctx, plan_id=plan_id)
    url = request.url_for("desk_batch_report", plan_id=plan_id).path
    return redirect(request, f"{url}?again=1" if applied.repeated else url)


@router.get("/plans/{plan_id}/report", name="desk_batch_report")
async def report_page(
    request: Request,
    plan_id: IdPath,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    page: PageNumber = 1,
    again: Annotated[int, Query(ge=0, le=1)] = 0,
):
    """What applying sent and skipped, per order, in words."""
    plan = await views.plan_for(session, ctx, plan_id)
    if plan.status != "applied":
        return redirect(request, request.url_for("desk_batch_show", plan_id=plan_id).path)
    view = await views.report_view(session, ctx, plan, page=page)
    return render(
        request, "desk/batch_report.html", {"view": view, "plan": plan, "again": bool(again)}
    )
