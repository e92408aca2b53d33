"""JSON API for offers (接单): my offers, accept, decline, withdraw, confirm."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.errors import Forbidden
from service.messages import text
from service.offers import repository, service
from service.offers.schemas import DeclineRequest, MyOfferPublic, OfferPublic, WithdrawRequest
from service.schemas_common import IdPath
from service.vocab import OfferStatus, Role
from service.web.deps import SessionDep
from service.web.pagination import Page, PageDep

router = APIRouter(prefix="/offers", tags=["offers 接单"])
Volunteer = Annotated[Actor, requires(Role.volunteer)]
REFUSALS = {
    403: {"description": "不是自己的邀请"},
    409: {"description": "已满、已取消、已过期或时间冲突"},
}


@router.get("", response_model=Page[MyOfferPublic], name="api_my_offers")
async def list_my_offers(
    session: SessionDep,
    actor: Volunteer,
    page: PageDep,
    status: Annotated[OfferStatus | None, Query(description="按状态筛选")] = None,
):
    """我的邀请与接单（志愿者本人）。"""
    if actor.volunteer_id is None:
        raise Forbidden(text("refusal.offer.list_not_volunteer"))
    rows, total = await repository.offers_of_volunteer(
        session=session, volunteer_id=actor.volunteer_id, page=page, status=status
    )
    items = [
        MyOfferPublic(
            **OfferPublic.model_validate(offer).model_dump(),
            order_title=order.title,
            order_starts_at=order.starts_at,
            order_ends_at=order.ends_at,
            venue_name=order.venue_name,
        )
        for offer, order in rows
    ]
    return Page.of(items, total=total, params=page)


@router.post("/{offer_id}/accept", response_model=OfferPublic, responses=REFUSALS)
async def accept_offer(offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    """接单：接受发给自己的邀请（重复接单返回同一结果）。"""
    return await service.accept_offer(session, ctx, offer_id=offer_id)


@router.post("/{offer_id}/decline", response_model=OfferPublic, responses=REFUSALS)
async def decline_offer(
    offer_id: IdPath, body: DeclineRequest, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """婉拒邀请并说明原因；系统随即邀请下一位候选志愿者。"""
    return await service.decline_offer(session, ctx, offer_id=offer_id, reason=body.reason)


@router.post("/{offer_id}/withdraw", response_model=OfferPublic, responses=REFUSALS)
async def withdraw_offer(
    offer_id: IdPath, body: WithdrawRequest, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """活动开始前退出；名额重新开放并自动补邀。"""
    return await service.withdraw_offer(session, ctx, offer_id=offer_id, reason=body.reason)


@router.post("/{offer_id}/confirm", response_model=OfferPublic, responses=REFUSALS)
async def confirm_offer(offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Volunteer):
    """确认按时参加（回应活动前提醒）。"""
    return await service.confirm_offer(session, ctx, offer_id=offer_id)
