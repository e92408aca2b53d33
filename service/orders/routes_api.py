"""JSON API for orders (派单): drafts, publish, cancel, re-dispatch, events, the coordinator queue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.actor import Actor
from service.auth import policy
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.orders import repository, service, views
from service.orders.schemas import (
    EventPublic,
    OrderCreate,
    OrderPublic,
    OrderUpdate,
    PublishRequest,
    ReasonRequest,
    RedispatchRequest,
)
from service.schemas_common import Id, Instant
from service.vocab import OrderStatus, Role
from service.volunteering.nearby import orders_i_can_take
from service.web.deps import SessionDep
from service.web.pagination import Page, PageDep
from service.web.params import IdPath

router = APIRouter(prefix="/orders", tags=["orders 派单"])
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
VolunteerActor = Annotated[Actor, requires(Role.volunteer)]
REFUSALS = {403: {"description": "不在管辖范围"}, 409: {"description": "当前状态不允许"}}


@router.get("", response_model=Page[OrderPublic])
async def list_orders(
    session: SessionDep,
    actor: Staff,
    page: PageDep,
    status: Annotated[OrderStatus | None, Query(description="按状态筛选")] = None,
    community_id: Annotated[Id | None, Query(description="按社区筛选")] = None,
    starts_after: Annotated[Instant | None, Query(description="开始时间不早于（带时区）")] = None,
    starts_before: Annotated[Instant | None, Query(description="开始时间早于（带时区）")] = None,
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
    return Page.of(await views.orders_public(session, orders), total=total, params=page)


@router.post("", response_model=OrderPublic, status_code=201, responses=REFUSALS)
async def create_order(body: OrderCreate, session: SessionDep, ctx: ContextDep, actor: Staff):
    """创建活动草稿（场地可选已保存场地、坐标或地址）。"""
    order = await service.create_order(session, ctx, body)
    return await views.order_public(session, order)


@router.get("/nearby", response_model=list[OrderPublic])
async def nearby_orders(
    session: SessionDep,
    ctx: ContextDep,
    actor: VolunteerActor,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
):
    """我附近、我现在就能接的开放活动：技能、距离、可服务时间、不与已接活动冲突、还有名额、未答复过。"""
    takeable = await orders_i_can_take(session, ctx, limit=limit)
    return await views.orders_public(session, [item.order for item in takeable])


# A team leader reads the orders their team was offered or holds (the service checks which).
Reader = Annotated[Actor, requires(Role.worker, Role.coordinator, Role.team_leader)]


@router.get("/{order_id}", response_model=OrderPublic, responses=REFUSALS)
async def get_order(order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Reader):
    """活动详情（社区工作者、协调员；队长：本队受邀或承接的活动）。"""
    order = await service.readable_order(session, ctx, order_id)
    return await views.order_public(session, order)


@router.patch("/{order_id}", response_model=OrderPublic, responses=REFUSALS)
async def update_order(
    order_id: IdPath, body: OrderUpdate, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """修改草稿。"""
    order = await service.update_order(session, ctx, order_id=order_id, data=body)
    return await views.order_public(session, order)


@router.post("/{order_id}/publish", response_model=OrderPublic, responses=REFUSALS)
async def publish_order(
    order_id: IdPath, body: PublishRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """派单：发布草稿（开放接单 / 定向邀请 / 按队派单）。"""
    order = await service.publish_order(session, ctx, order_id=order_id, data=body)
    return await views.order_public(session, order)


@router.post("/{order_id}/cancel", response_model=OrderPublic, responses=REFUSALS)
async def cancel_order(
    order_id: IdPath, body: ReasonRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """取消活动（开始前）；已接单和待回复的志愿者会收到通知。"""
    order = await service.cancel_order(session, ctx, order_id=order_id, reason=body.reason)
    return await views.order_public(session, order)


@router.post("/{order_id}/redispatch", response_model=OrderPublic, responses=REFUSALS)
async def redispatch_order(
    order_id: IdPath, body: RedispatchRequest, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """重新派单：可放宽距离或调整时间后再次邀请。"""
    order = await service.redispatch_order(session, ctx, order_id=order_id, data=body)
    return await views.order_public(session, order)


@router.get("/{order_id}/events", response_model=Page[EventPublic], responses=REFUSALS)
async def order_events(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff, page: PageDep
):
    """活动及其邀请的状态变更记录（谁、何时、从何到何、原因）。"""
    order = await service.managed_order(session, ctx, order_id)
    events, total = await repository.events_of(session=session, order_id=order.id, page=page)
    return Page.of([EventPublic.model_validate(e) for e in events], total=total, params=page)


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
    return Page.of(await views.orders_public(session, orders), total=total, params=page)
