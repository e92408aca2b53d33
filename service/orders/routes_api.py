"""JSON API for orders (派单): drafts, publish, cancel, re-dispatch, candidates, events."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from service.actor import Actor
from service.auth import policy
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.errors import Forbidden
from service.messages import text
from service.models import Volunteer
from service.offers import service as offers_service
from service.offers import teams
from service.offers.schemas import OfferPublic, TeamAcceptRequest
from service.orders import preview, repository, service
from service.orders.schemas import (
    EventPublic,
    OrderCreate,
    OrderPublic,
    OrderUpdate,
    PreviewPublic,
    PreviewRequest,
    PublishRequest,
    ReasonRequest,
    RedispatchRequest,
)
from service.schemas_common import IdPath
from service.vocab import OrderStatus, Role
from service.web.deps import SessionDep
from service.web.pagination import Page, PageDep

router = APIRouter(prefix="/orders", tags=["orders 派单"])
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
VolunteerActor = Annotated[Actor, requires(Role.volunteer)]
REFUSALS = {403: {"description": "不在管辖范围"}, 409: {"description": "当前状态不允许"}}


async def _public(session, orders) -> list[OrderPublic]:
    skills = await repository.skill_ids_by_order(session=session, order_ids=[o.id for o in orders])
    return [
        OrderPublic.model_validate(o).model_copy(update={"skill_ids": skills[o.id]}) for o in orders
    ]


async def _one_public(session, order) -> OrderPublic:
    """The API view of a single order (what every action on one order answers with)."""
    return (await _public(session, [order]))[0]


@router.get("", response_model=Page[OrderPublic])
async def list_orders(
    session: SessionDep,
    actor: Staff,
    page: PageDep,
    status: Annotated[OrderStatus | None, Query(description="按状态筛选")] = None,
    community_id: Annotated[int | None, Query(ge=1, description="按社区筛选")] = None,
    starts_after: Annotated[datetime | None, Query(description="开始时间不早于")] = None,
    starts_before: Annotated[datetime | None, Query(description="开始时间早于")] = None,
):
    """管辖范围内的活动（社区工作者：本社区；协调员：所辖区域）。"""
    orders, total = await repository.list_orders(
        session=session,
        scope=policy.managed_orders_clause(actor),
        page=page,
        status=status,
        community_id=community_id,
        starts_after=starts_after,
        starts_before=starts_before,
    )
    return Page.of(await _public(session, orders), total=total, params=page)


@router.post("", response_model=OrderPublic, status_code=201, responses=REFUSALS)
async def create_order(body: OrderCreate, session: SessionDep, ctx: ContextDep, actor: Staff):
    """创建活动草稿（场地可选已保存场地、坐标或地址）。"""
    order = await service.create_order(session, ctx, body)
    return await _one_public(session, order)


@router.post("/preview", response_model=PreviewPublic)
async def preview_form(body: PreviewRequest, session: SessionDep, ctx: ContextDep, actor: Staff):
    """未保存表单的候选志愿者预览：人数与前几名（含得分构成）。"""
    await service._community(session, ctx, body.community_id)
    draft = await preview.draft_from_form(session, ctx, body)
    return await preview.preview(session, ctx, draft)


@router.get("/nearby", response_model=list[OrderPublic])
async def nearby_orders(
    session: SessionDep,
    ctx: ContextDep,
    actor: VolunteerActor,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """我附近可直接接单的开放活动（按服务半径）。"""
    if actor.volunteer_id is None:
        raise Forbidden(text("refusal.order.nearby_not_volunteer"))
    me = await session.get(Volunteer, actor.volunteer_id)
    orders = await repository.nearby_open_orders(
        session=session,
        lat=me.home_lat,
        lng=me.home_lng,
        reach_km=me.radius_km,
        now=ctx.now,
        limit=limit,
    )
    return await _public(session, orders)


@router.get("/{order_id}", response_model=OrderPublic, responses=REFUSALS)
async def get_order(order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff):
    """活动详情。"""
    order = await service.managed_order(session, ctx, order_id)
    return await _one_public(session, order)


@router.patch("/{order_id}", response_model=OrderPublic, responses=REFUSALS)
async def update_order(
    order_id: IdPath, body: OrderUpdate, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """修改草稿。"""
    order = await service.update_order(session, ctx, order_id=order_id, data=body)
    return await _one_public(session, order)


@router.post("/{order_id}/publish", response_model=OrderPublic, responses=REFUSALS)
async def publish_order(
    order_id: IdPath, body: PublishRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """派单：发布草稿（开放接单 / 定向邀请 / 按队派单）。"""
    order = await service.publish_order(session, ctx, order_id=order_id, data=body)
    return await _one_public(session, order)


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses=REFUSALS)
async def cancel_order(
    order_id: IdPath, body: ReasonRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """取消活动（开始前）；已接单和待回复的志愿者会收到通知。"""
    order = await service.cancel_order(session, ctx, order_id=order_id, reason=body.reason)
    return await _one_public(session, order)


@router.post("/{order_id}/redispatch", response_model=OrderPublic, responses=REFUSALS)
async def redispatch_order(
    order_id: IdPath, body: RedispatchRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """重新派单：可放宽距离或调整时间后再次邀请。"""
    order = await service.redispatch_order(session, ctx, order_id=order_id, data=body)
    return await _one_public(session, order)


@router.get("/{order_id}/candidates", response_model=PreviewPublic, responses=REFUSALS)
async def order_candidates(
    order_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Staff,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    """该活动的候选志愿者（人数、前几名及得分构成；不含住址坐标和完整手机号）。"""
    order = await service.managed_order(session, ctx, order_id)
    return await preview.preview_order(session, ctx, order, limit=limit)


@router.get("/{order_id}/offers", response_model=list[OfferPublic], responses=REFUSALS)
async def order_offers(order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff):
    """该活动的邀请与接单情况。"""
    order = await service.managed_order(session, ctx, order_id)
    return await repository.offers_of(session=session, order_id=order.id)


@router.get("/{order_id}/events", response_model=Page[EventPublic], responses=REFUSALS)
async def order_events(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff, page: PageDep
):
    """活动及其邀请的状态变更记录（谁、何时、从何到何、原因）。"""
    order = await service.managed_order(session, ctx, order_id)
    events, total = await repository.events_of(session=session, order_id=order.id, page=page)
    return Page.of([EventPublic.model_validate(e) for e in events], total=total, params=page)


@router.post("/{order_id}/accept", response_model=OfferPublic, responses=REFUSALS)
async def accept_open_order(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """开放接单：志愿者直接接单（重复接单返回同一结果；满员时明确拒绝）。"""
    return await offers_service.accept_open_order(session, ctx, order_id=order_id)


TeamLeader = Annotated[Actor, requires(Role.team_leader)]
TEAM_REFUSALS = {
    403: {"description": "不是该志愿队的队长"},
    409: {"description": "不是按队派单、名额不足、队员时间冲突或技能未覆盖"},
    422: {"description": "指定的人不是本队队员"},
}


@router.post("/{order_id}/team-accept", response_model=list[OfferPublic], responses=TEAM_REFUSALS)
async def team_accept(
    order_id: IdPath,
    body: TeamAcceptRequest,
    session: SessionDep,
    ctx: ContextDep,
    actor: TeamLeader,
):
    """队长为志愿队接单并指定出队队员（全部成功或全部不变）。"""
    return await teams.team_accept(session, ctx, order_id=order_id, member_ids=body.member_ids)


@router.post("/{order_id}/team-decline", response_model=OrderPublic, responses=TEAM_REFUSALS)
async def team_decline(
    order_id: IdPath, body: ReasonRequest, session: SessionDep, ctx: ContextDep, actor: TeamLeader
):
    """队长婉拒按队派单并说明原因；活动转入协调员待处理队列，并附建议。"""
    order = await teams.team_decline(session, ctx, order_id=order_id, reason=body.reason)
    return await _one_public(session, order)


coordinator_router = APIRouter(prefix="/coordinator", tags=["coordinator 协调"])


@coordinator_router.get("/queue", response_model=Page[OrderPublic])
async def coordinator_queue(
    session: SessionDep,
    actor: Annotated[Actor, requires(Role.coordinator, Role.worker)],
    page: PageDep,
):
    """待处理队列：过期或无人可派的活动，附具体建议。"""
    orders, total = await repository.coordinator_queue(
        session=session, scope=policy.managed_orders_clause(actor), page=page
    )
    return Page.of(await _public(session, orders), total=total, params=page)
