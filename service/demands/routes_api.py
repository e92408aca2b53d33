"""JSON API for 点单 (demands): submit, browse, upvote, follow up; workers adopt or decline."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import JSONResponse

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.auth.schemas import CodeSent
from service.auth.views import code_sent
from service.demands import presenters, service
from service.demands.repository import DemandFilters
from service.demands.schemas import (
    AdoptDemand,
    DeclineDemand,
    DemandAdopted,
    DemandCreate,
    DemandForWorker,
    DemandProgress,
    DemandPublic,
    DemandSubmitted,
    MergeDemand,
    ProgressLookup,
    UpvoteRequest,
    UpvoteResult,
)
from service.errors import AppError
from service.messages import text
from service.schemas_common import MAX_ID, Text
from service.vocab import DemandStatus, Role, TargetGroup
from service.web.deps import SessionDep
from service.web.errors import app_error_response
from service.web.pagination import Page, PageDep
from service.web.params import IdPath

router = APIRouter(
    prefix="/demands",
    tags=["demands 点单"],
    responses={
        403: {"description": "不负责该社区"},
        404: {"description": "点单不存在，或手机号不符"},
        409: {"description": "点单当前状态不允许（已采纳、已拒绝、已合并）"},
    },
)
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
Anyone = Annotated[Actor, requires(PUBLIC)]
Sort = Literal["popular", "newest"]


def _filters(
    community_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="社区 id")] = None,
    status: Annotated[DemandStatus | None, Query(description="状态")] = None,
    target_group: Annotated[TargetGroup | None, Query(description="面向人群")] = None,
    skill_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="技能 id")] = None,
    q: Annotated[Text(50) | None, Query(description="主题或说明中的关键词")] = None,
) -> DemandFilters:
    return DemandFilters(
        community_ids=[community_id] if community_id else None,
        status=status,
        target_group=target_group,
        skill_id=skill_id,
        text=q or None,
    )


FiltersDep = Annotated[DemandFilters, Depends(_filters)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="点单：提交需求")
async def submit_demand(
    body: DemandCreate, session: SessionDep, ctx: ContextDep, actor: Anyone
) -> DemandSubmitted:
    """A resident (or a worker on their behalf) asks for an activity; the follow-up code is
    shown only in this answer."""
    demand, code = await service.submit(session, ctx, data=body)
    return DemandSubmitted(
        demand=presenters.public(demand),
        follow_up_code=code,
        message=text("notification.demand_status.submitted", demand_id=demand.id, code=code),
    )


@router.get("", summary="浏览点单")
async def list_demands(
    session: SessionDep,
    page: PageDep,
    filters: FiltersDep,
    actor: Anyone,
    sort: Annotated[
        Sort, Query(description="popular：想要的人多的在前；newest：最新在前")
    ] = "popular",
) -> Page[DemandPublic]:
    """Everyone's demands, so residents can say 「我也想要」 instead of asking twice."""
    rows, total = await service.public_page(
        session, filters=filters, order_by=sort, limit=page.limit, offset=page.offset
    )
    orders = await service.orders_for(session, rows)
    items = [presenters.public(row, orders.get(row.id)) for row in rows]
    return Page.of(items, total=total, params=page)


@router.get("/inbox", summary="社区点单待办")
async def demand_inbox(
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    filters: FiltersDep,
    actor: Staff,
    sort: Annotated[Sort, Query(description="排序")] = "popular",
) -> Page[DemandForWorker]:
    """Demands of the communities the worker serves (coordinators: their area)."""
    rows, total = await service.inbox_page(
        session, ctx, filters=filters, order_by=sort, limit=page.limit, offset=page.offset
    )
    orders = await service.orders_for(session, rows)
    items = [presenters.for_worker(row, orders.get(row.id)) for row in rows]
    return Page.of(items, total=total, params=page)


@router.get("/{demand_id}", summary="点单详情")
async def get_demand(demand_id: IdPath, session: SessionDep, actor: Anyone) -> DemandPublic:
    demand = await service.get(session, demand_id=demand_id)
    orders = await service.orders_for(session, [demand])
    return presenters.public(demand, orders.get(demand.id))


@router.post("/{demand_id}/lookup", summary="凭手机号和查询码查询点单进度")
async def look_up_progress(
    demand_id: IdPath,
    body: ProgressLookup,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
) -> DemandProgress:
    """The submitter sees the status and, if declined, the reason (phone and code in the body).
    Without the right pair the answer is the same 404, whether or not the phone is known."""
    demand = await service.progress(
        session, ctx, demand_id=demand_id, phone=body.phone, code=body.code,
        ip=client_ip(request), throttle=throttle,
    )  # fmt: skip
    orders = await service.orders_for(session, [demand])
    return presenters.progress(demand, orders.get(demand.id))


@router.post(
    "/{demand_id}/upvotes",
    summary="我也想要",
    responses={202: {"model": CodeSent, "description": "未登录：验证码已发送"}},
)
async def upvote_demand(
    demand_id: IdPath,
    body: UpvoteRequest,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
) -> UpvoteResult:
    """Counted once per person; voting again answers 200 with ``counted: false``. Anonymous:
    the phone alone texts a code (202), the phone with the code casts the vote."""
    result = await service.upvote(
        session, ctx, demand_id=demand_id, phone=body.phone, code=body.code,
        ip=client_ip(request), throttle=throttle,
    )  # fmt: skip
    if isinstance(result, AppError):  # returned, not raised: the counted try is committed
        return app_error_response(request, result)
    if result is None:
        sent = code_sent(ctx.settings, body.phone or "")
        return JSONResponse(sent.model_dump(), status_code=status.HTTP_202_ACCEPTED)
    return UpvoteResult(demand_id=result.demand_id, upvotes=result.upvotes, counted=result.counted)


@router.post("/{demand_id}/adopt", status_code=status.HTTP_201_CREATED, summary="采纳点单")
async def adopt_demand(
    demand_id: IdPath, body: AdoptDemand, session: SessionDep, ctx: ContextDep, actor: Staff
) -> DemandAdopted:
    """The community worker turns the demand into a draft order, linked to it."""
    demand, order = await service.adopt(session, ctx, demand_id=demand_id, data=body)
    return DemandAdopted(demand=presenters.for_worker(demand, order), order_id=order.id)


@router.post("/{demand_id}/decline", summary="不采纳点单（附原因）")
async def decline_demand(
    demand_id: IdPath, body: DeclineDemand, session: SessionDep, ctx: ContextDep, actor: Staff
) -> DemandForWorker:
    demand = await service.decline(session, ctx, demand_id=demand_id, reason=body.reason)
    return presenters.for_worker(demand)


@router.post("/{demand_id}/merge", summary="合并重复点单")
async def merge_demand(
    demand_id: IdPath, body: MergeDemand, session: SessionDep, ctx: ContextDep, actor: Staff
) -> DemandForWorker:
    """The duplicate becomes 「已合并」; its votes and submitter count for the target."""
    demand = await service.merge(
        session, ctx, demand_id=demand_id, into_demand_id=body.into_demand_id
    )
    return presenters.for_worker(demand)
