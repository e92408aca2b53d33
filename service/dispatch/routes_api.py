"""JSON API for candidates: who would be asked for a draft or an order (not saved anywhere)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.dispatch import preview
from service.orders import service as orders_service
from service.orders.schemas import PreviewPublic, PreviewRequest
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.params import IdPath

router = APIRouter(prefix="/orders", tags=["orders 派单"])
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
REFUSALS = {403: {"description": "不在管辖范围"}, 409: {"description": "当前状态不允许"}}


@router.post("/preview", response_model=PreviewPublic)
async def preview_form(body: PreviewRequest, session: SessionDep, ctx: ContextDep, actor: Staff):
    """未保存表单的候选志愿者预览：人数与前几名（含得分构成）。"""
    draft = await preview.draft_from_form(session, ctx, body)
    return await preview.preview(session, ctx, draft)


@router.get("/{order_id}/candidates", response_model=PreviewPublic, responses=REFUSALS)
async def order_candidates(
    order_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Staff,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    """该活动的候选志愿者（人数、前几名及得分构成；不含住址坐标和完整手机号）。"""
    order = await orders_service.managed_order(session, ctx, order_id)
    return await preview.preview_order(session, ctx, order, limit=limit)
