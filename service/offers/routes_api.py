"""JSON API for offers (接单): my offers, accept, decline, withdraw, confirm; SMS replies."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep
from service.errors import Forbidden
from service.messages import text
from service.notifications.senders import SIGNATURE_HEADER, TIMESTAMP_HEADER
from service.offers import repository, service, sms_replies, teams
from service.offers.schemas import (
    DeclineRequest,
    InvitationWithdrawal,
    MyOfferPublic,
    OfferPublic,
    TeamAcceptRequest,
    WithdrawRequest,
)
from service.orders import repository as orders_repository
from service.orders import service as orders_service
from service.orders import views
from service.orders.schemas import OrderPublic, ReasonRequest
from service.schemas_common import Text
from service.vocab import OfferStatus, Role
from service.web.deps import SessionDep
from service.web.pagination import Page, PageDep
from service.web.params import IdPath

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


# The SMS gateway's callback: a volunteer without a smartphone answers an offer by text.
sms_router = APIRouter(
    prefix="/sms",
    tags=["notifications 消息"],
    responses={403: {"description": "签名无效、时间戳过期或未配置密钥"}},
)


class SmsInbound(BaseModel):
    """A reply the SMS gateway received from a volunteer's phone."""

    phone: Text(20, min_len=5) = Field(description="发送短信的手机号（可带 +86）")
    text: Text(160) = Field(description="短信内容，如「Y」「N 1234」「是」")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "13812345678", "text": "Y"}]}
    )


class SmsInboundResult(BaseModel):
    outcome: sms_replies.Outcome = Field(description="处理结果")
    reply: str = Field(description="网关回复给志愿者的短信内容")
    offer_id: int | None = Field(default=None, description="处理的邀请")


async def signed_by_gateway(
    request: Request,
    ctx: ContextDep,
    timestamp: Annotated[str, Header(alias=TIMESTAMP_HEADER, description="Unix 秒")] = "",
    signature: Annotated[
        str, Header(alias=SIGNATURE_HEADER, description="HMAC-SHA256(密钥, 时间戳 + '.' + 正文)")
    ] = "",
) -> None:
    """403 unless the raw body carries a fresh signature made with ``sms_inbound_secret``."""
    sms_replies.verify_signature(
        secret=ctx.settings.sms_inbound_secret,
        timestamp=timestamp,
        signature=signature,
        body=await request.body(),
        now=ctx.now,
        max_skew=ctx.settings.sms_inbound_max_skew_seconds,
    )


@sms_router.post(
    "/inbound", summary="短信回复（网关回调）", dependencies=[Depends(signed_by_gateway)]
)
async def sms_reply(
    body: SmsInbound,
    session: SessionDep,
    ctx: ContextDep,
    actor: Annotated[Actor, requires(PUBLIC)],
) -> SmsInboundResult:
    """「Y」/「N」 (or 是/否, 1/2), optionally with the offer code, from a volunteer's phone."""
    result = await sms_replies.handle_reply(
        session,
        phone=body.phone,
        text=body.text,
        now=ctx.now,
        settings=ctx.settings,
        request_id=ctx.request_id,
    )
    return SmsInboundResult(outcome=result.outcome, reply=result.reply, offer_id=result.offer_id)


# Offers seen from an order: its invitations, open acceptance, and the team leader's answer.
order_offers_router = APIRouter(prefix="/orders", tags=["orders 派单"])
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
ORDER_REFUSALS = {403: {"description": "不在管辖范围"}, 409: {"description": "当前状态不允许"}}


@order_offers_router.get(
    "/{order_id}/offers", response_model=list[OfferPublic], responses=ORDER_REFUSALS
)
async def order_offers(order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff):
    """该活动的邀请与接单情况。"""
    order = await orders_service.managed_order(session, ctx, order_id)
    return await orders_repository.offers_of(session=session, order_id=order.id)


@order_offers_router.post(
    "/{order_id}/offers/{offer_id}/withdraw",
    response_model=OfferPublic,
    responses={**ORDER_REFUSALS, 404: {"description": "该活动没有这个邀请"}},
)
async def withdraw_invitation(
    order_id: IdPath,
    offer_id: IdPath,
    body: InvitationWithdrawal,
    session: SessionDep,
    ctx: ContextDep,
    actor: Staff,
):
    """撤回邀请：社区撤回一份尚未回复的邀请，志愿者会收到通知；定向邀请时随即邀请下一位候选人。"""
    return await service.withdraw_invitation(
        session, ctx, order_id=order_id, offer_id=offer_id, reason=body.reason
    )


@order_offers_router.post(
    "/{order_id}/accept", response_model=OfferPublic, responses=ORDER_REFUSALS
)
async def accept_open_order(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Volunteer
):
    """开放接单：志愿者直接接单（重复接单返回同一结果；满员时明确拒绝）。"""
    return await service.accept_open_order(session, ctx, order_id=order_id)


TeamLeader = Annotated[Actor, requires(Role.team_leader)]
TEAM_REFUSALS = {
    403: {"description": "不是该志愿队的队长"},
    409: {"description": "不是按队派单、名额不足、队员时间冲突或技能未覆盖"},
    422: {"description": "指定的人不是本队队员"},
}


@order_offers_router.post(
    "/{order_id}/team-accept", response_model=list[OfferPublic], responses=TEAM_REFUSALS
)
async def team_accept(
    order_id: IdPath,
    body: TeamAcceptRequest,
    session: SessionDep,
    ctx: ContextDep,
    actor: TeamLeader,
):
    """队长为志愿队接单并指定出队队员（全部成功或全部不变）。"""
    return await teams.team_accept(session, ctx, order_id=order_id, member_ids=body.member_ids)


@order_offers_router.post(
    "/{order_id}/team-decline", response_model=OrderPublic, responses=TEAM_REFUSALS
)
async def team_decline(
    order_id: IdPath, body: ReasonRequest, session: SessionDep, ctx: ContextDep, actor: TeamLeader
):
    """队长婉拒按队派单并说明原因；活动转入协调员待处理队列，并附建议。"""
    order = await teams.team_decline(session, ctx, order_id=order_id, reason=body.reason)
    return await views.order_public(session, order)
