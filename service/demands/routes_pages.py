"""The demand inbox of the dispatch desk (点单待办): filter, adopt, decline, merge.

The same service calls as the API (``service.demands.service``); only the rendering differs.
Declining and merging are confirmed on a page of their own before anything changes, and a
refusal is shown beside the thing it is about, in the reader's language, with its status code.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from pydantic import ValidationError

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.context import ActionContext
from service.demands import service
from service.demands.repository import DemandFilters
from service.demands.schemas import DeclineDemand
from service.errors import AppError, Conflict, NotFound
from service.messages import text
from service.models import Demand
from service.orders import repository as orders_repo
from service.page_text import N_
from service.schemas_common import MAX_ID
from service.vocab import DemandStatus, Role, TargetGroup
from service.web.deps import SessionDep
from service.web.templating import in_page_locale, render, render_fragment

router = APIRouter(prefix="/desk/demands", include_in_schema=False)
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
INBOX = "desk/demands/inbox.html"
CONFIRM = "desk/demands/confirm.html"
LIST_ID = "demand-list"
PAGE_SIZE = 20
MAX_PAGE = 10_000
ALL = "all"
SORTS = {"popular": N_("想要的人最多"), "newest": N_("最新提交")}
NOTICES = {
    "declined": N_("已记录不采纳，居民查询进度时会看到您写的原因。"),
    "merged": N_("已合并：这条点单的「我也想要」和提交人都已计入目标点单。"),
}
REASON_PROBLEM = N_("请写明不采纳的原因（2 到 500 字），居民会看到它。")
TARGET_PROBLEM = N_("请从列表中选择要合并到的点单。")
NOT_NEW = N_("这条点单现在是「%(status)s」，不能再做这项操作。")


def _choice(value: str | None, allowed) -> str | None:
    return value if value in allowed else None


def _whole_number(value: str | None, *, upper: int = MAX_ID) -> int | None:
    return int(value) if value and value.isdigit() and 1 <= int(value) <= upper else None


def _filters_from(query) -> dict:
    """The inbox filters as typed in the address; unknown values are ignored, not refused."""
    status = query.get("status")
    return {
        "status": ALL if status == ALL else (_choice(status, list(DemandStatus)) or "new"),
        "target_group": _choice(query.get("target_group"), list(TargetGroup)),
        "skill_id": _whole_number(query.get("skill_id")),
        "q": (query.get("q") or "").strip()[:50] or None,
        "sort": _choice(query.get("sort"), SORTS) or "popular",
        "page": _whole_number(query.get("page"), upper=MAX_PAGE) or 1,
    }


def _query_string(filters: dict, **changes) -> str:
    values = {**filters, **changes}
    return urlencode({k: v for k, v in values.items() if v not in (None, "", 1) or k == "status"})


async def _skill_labels(session) -> tuple[list, dict[int, dict]]:
    tree = await orders_repo.skill_tree(session=session)
    labels = {}
    for domain, skills in tree:
        labels[domain.id] = {"domain": domain.name, "name": domain.name}
        for skill in skills:
            labels[skill.id] = {"domain": domain.name, "name": skill.name}
    return tree, labels


async def _inbox_context(request: Request, session, ctx: ActionContext, filters: dict) -> dict:
    """Everything the inbox shows: one page of demands with what each action needs."""
    repo_filters = DemandFilters(
        status=None if filters["status"] == ALL else DemandStatus(filters["status"]),
        target_group=filters["target_group"],
        skill_id=filters["skill_id"],
        text=filters["q"],
    )
    offset = (filters["page"] - 1) * PAGE_SIZE
    rows, total = await service.inbox_page(
        session, ctx, filters=repo_filters, order_by=filters["sort"], limit=PAGE_SIZE,
        offset=offset,
    )  # fmt: skip
    tree, skills = await _skill_labels(session)
    targets = await service.merge_targets(session, rows)
    merged_into = await service.topics_of(session, [d.merged_into_id for d in rows])
    base = request.url_for("desk_demands").path
    return {
        "demands": rows,
        "total": total,
        "filters": filters,
        "orders": await service.orders_for(session, rows),
        "communities": await service.community_names(session, rows),
        "many_communities": len(ctx.actor.community_ids()) != 1,
        "skills": skills,
        "skill_tree": tree,
        "merge_targets": targets,
        "merged_into": merged_into,
        "sorts": SORTS,
        "now": ctx.now,
        "list_id": LIST_ID,
        "prev_url": f"{base}?{_query_string(filters, page=filters['page'] - 1)}"
        if filters["page"] > 1
        else None,
        "next_url": f"{base}?{_query_string(filters, page=filters['page'] + 1)}"
        if offset + PAGE_SIZE < total
        else None,
    }


@router.get("", name="desk_demands")
async def inbox(request: Request, actor: Staff, session: SessionDep, ctx: ContextDep):
    """The demands of the worker's communities, filtered; htmx asks for the list alone."""
    filters = _filters_from(request.query_params)
    context = await _inbox_context(request, session, ctx, filters)
    context["notice"] = NOTICES.get(request.query_params.get("notice", ""))
    if request.headers.get("HX-Target") == LIST_ID:
        return render_fragment(request, INBOX, "demand_list", context)
    if request.headers.get("HX-History-Restore-Request") == "true":
        context["layout"] = "base.html"  # htmx restores the whole page from this answer
    return render(request, INBOX, context)


async def _refused_on_inbox(request: Request, session, ctx: ActionContext, refused: AppError):
    """A demand the person may not act on: their own inbox, with the refusal on top."""
    context = await _inbox_context(request, session, ctx, _filters_from({}))
    context["refusal"] = in_page_locale(request, refused.detail)
    return render(request, INBOX, context, status_code=refused.status_code)


async def _managed(request, session, ctx, demand_id: str):
    """(demand, None), or (None, the inbox with the refusal) when it is not this person's."""
    number = _whole_number(demand_id)
    try:
        if number is None:
            raise NotFound(text("refusal.demand.not_found"))
        return await service.managed(session, ctx, demand_id=number), None
    except AppError as refused:  # 403 another community, 404 no such demand
        return None, await _refused_on_inbox(request, session, ctx, refused)


async def _confirm_page(request, session, ctx, demand: Demand, *, status_code=200, **context):
    """One demand with the action being confirmed (or what stops it)."""
    _, skills = await _skill_labels(session)
    orders = await service.orders_for(session, [demand])
    targets = (await service.merge_targets(session, [demand])).get(demand.id, [])
    page = {
        "demand": demand,
        "order": orders.get(demand.id),
        "skills": skills,
        "targets": targets,
        "now": ctx.now,
        **context,
    }
    return render(request, CONFIRM, page, status_code=status_code)


def _closed(demand: Demand) -> dict:
    """Why nothing can be done to a demand that is no longer new (in page words)."""
    return {"closed": NOT_NEW, "closed_status": demand.status}


async def _refusal_context(request, session, ctx, demand_id: int, refused: AppError) -> dict:
    """A refusal of the action itself: a closed demand is explained by its current status."""
    if isinstance(refused, Conflict):
        demand = await service.get(session, demand_id=demand_id)
        if demand.status != DemandStatus.new:
            return {"demand": demand, **_closed(demand)}
    return {"error": in_page_locale(request, refused.detail)}


@router.post("/{demand_id}/decline", name="desk_demand_decline")
async def decline(
    request: Request, demand_id: str, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """Step one checks the reason and asks to confirm; step two (``confirmed``) declines."""
    demand, refusal = await _managed(request, session, ctx, demand_id)
    if refusal is not None:
        return refusal
    fields = form_fields(await request.form())
    reason = fields.get("reason", "")
    page = {"action": "decline", "reason": reason}
    if demand.status != DemandStatus.new:
        return await _confirm_page(request, session, ctx, demand, status_code=409, **page,
                                   **_closed(demand))  # fmt: skip
    try:
        reason = DeclineDemand(reason=reason).reason
    except ValidationError:
        return await _confirm_page(
            request,
            session,
            ctx,
            demand,
            status_code=422,
            errors={"reason": REASON_PROBLEM},
            **page,
        )
    if fields.get("confirmed") != "1":
        return await _confirm_page(request, session, ctx, demand, **page)
    try:
        async with session.begin_nested():
            await service.decline(session, ctx, demand_id=demand.id, reason=reason)
    except AppError as refused:
        extra = await _refusal_context(request, session, ctx, demand.id, refused)
        demand = extra.pop("demand", demand)
        return await _confirm_page(
            request, session, ctx, demand, status_code=refused.status_code, **page, **extra
        )
    return redirect(request, f"{request.url_for('desk_demands').path}?notice=declined")


@router.post("/{demand_id}/merge", name="desk_demand_merge")
async def merge(
    request: Request, demand_id: str, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """Step one picks the target from this community's list; step two (``confirmed``) merges."""
    demand, refusal = await _managed(request, session, ctx, demand_id)
    if refusal is not None:
        return refusal
    fields = form_fields(await request.form())
    page = {"action": "merge", "chosen": fields.get("into_demand_id", "")}
    if demand.status != DemandStatus.new:
        return await _confirm_page(request, session, ctx, demand, status_code=409, **page,
                                   **_closed(demand))  # fmt: skip
    targets = (await service.merge_targets(session, [demand])).get(demand.id, [])
    target = next((t for t in targets if str(t.id) == page["chosen"]), None)
    if target is None:
        return await _confirm_page(
            request, session, ctx, demand, status_code=422, errors={"into_demand_id": TARGET_PROBLEM},
            **page,
        )  # fmt: skip
    if fields.get("confirmed") != "1":
        return await _confirm_page(request, session, ctx, demand, target=target, **page)
    try:
        async with session.begin_nested():
            await service.merge(session, ctx, demand_id=demand.id, into_demand_id=target.id)
    except AppError as refused:
        extra = await _refusal_context(request, session, ctx, demand.id, refused)
        demand = extra.pop("demand", demand)
        return await _confirm_page(
            request, session, ctx, demand, status_code=refused.status_code, target=target, **page,
            **extra,
        )  # fmt: skip
    return redirect(request, f"{request.url_for('desk_demands').path}?notice=merged")
