"""JSON API for candidates: who would be asked for a draft or an order (not saved anywhere)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep, ThrottleDep
from service.dispatch import preview
from service.orders import service as orders_service
from service.orders.schemas import PreviewPublic, PreviewRequest
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.params import IdPath

router = APIRouter(prefix="/orders", tags=["orders 派单"])
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
REFUSALS = {
    403: {"description": "不在管辖范围，或地点不在本社区范围内"},
    409: {"description": "当前状态不允许"},
    429: {"description": "预览过于频繁（每人每个时间窗口有次数上限）"},
}


@router.post("/preview", response_model=PreviewPublic, responses=REFUSALS)
async def preview_form(
    body: PreviewRequest,
    session: SessionDep,
    ctx: ContextDep,
    actor: Staff,
    throttle: ThrottleDep,
):
    """未保存表单的候选志愿者预览：人数与前几名（含得分构成）。

    地点须为本社区已保存的场地，或距社区中心不超过 KEPU_PREVIEW_AREA_RADIUS_KM 公里；
    距离只给区间（如「1–3 km」），得分构成保留两位小数，不能据此推算志愿者住址。
    """
    return await preview.preview_form(session, ctx, body, throttle=throttle)


@router.get("/{order_id}/candidates", response_model=PreviewPublic, responses=REFUSALS)
async def order_candidates(
    order_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Staff,
    throttle: ThrottleDep,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    """该活动的候选志愿者（人数、前几名及得分构成；距离只给区间，不含住址坐标和完整手机号）。"""
    order = await orders_service.managed_order(session, ctx, order_id)
    return await preview.preview_order(session, ctx, order, throttle=throttle, limit=limit)
