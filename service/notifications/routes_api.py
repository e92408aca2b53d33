"""JSON API: everyone's in-app inbox, and the admin's list of failed sends with a retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from service.actor import Actor
from service.auth.access import AUTHENTICATED, PUBLIC, requires
from service.auth.dependencies import ContextDep
from service.notifications import repository, service, sms_inbound
from service.notifications.schemas import NotificationDelivery, NotificationPublic, UnreadCount
from service.notifications.senders import SIGNATURE_HEADER, TIMESTAMP_HEADER
from service.schemas_common import IdPath, Text
from service.vocab import NotificationStatus, Role
from service.web.deps import SessionDep
from service.web.pagination import Page, PageDep

inbox_router = APIRouter(prefix="/me/notifications", tags=["notifications 消息"])
admin_router = APIRouter(
    prefix="/admin/notifications",
    tags=["notifications 消息"],
    responses={
        404: {"description": "消息不存在"},
        409: {"description": "只有发送失败的消息可重发"},
    },
)
sms_router = APIRouter(
    prefix="/sms",
    tags=["notifications 消息"],
    responses={403: {"description": "签名无效、时间戳过期或未配置密钥"}},
)
Me = Annotated[Actor, requires(AUTHENTICATED)]
Admin = Annotated[Actor, requires(Role.admin)]


@inbox_router.get("", summary="我的消息")
async def my_notifications(
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    actor: Me,
    unread: Annotated[bool, Query(description="只看未读")] = False,
) -> Page[NotificationPublic]:
    rows, total = await service.inbox(
        session, ctx, unread_only=unread, limit=page.limit, offset=page.offset
    )
    items = [NotificationPublic.model_validate(row) for row in rows]
    return Page.of(items, total=total, params=page)


@inbox_router.get("/unread-count", summary="未读消息数")
async def my_unread_count(session: SessionDep, actor: Me) -> UnreadCount:
    return UnreadCount(unread=await repository.unread_count(session=session, user_id=actor.user_id))


@inbox_router.post("/{notification_id}/read", summary="标为已读")
async def read_notification(
    notification_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Me
) -> NotificationPublic:
    """Idempotent: reading again keeps the first read time."""
    row = await service.mark_read(session, ctx, notification_id=notification_id)
    return NotificationPublic.model_validate(row)


@admin_router.get("", summary="发送失败的消息")
async def delivery_problems(
    session: SessionDep,
    page: PageDep,
    actor: Admin,
    status: Annotated[
        NotificationStatus | None, Query(description="failed 或 dead；不填则两者都列出")
    ] = None,
) -> Page[NotificationDelivery]:
    rows, total = await service.delivery_problems(
        session, status=status, limit=page.limit, offset=page.offset
    )
    items = [NotificationDelivery.model_validate(row) for row in rows]
    return Page.of(items, total=total, params=page)


@admin_router.post("/{notification_id}/retry", summary="重新发送")
async def retry_notification(
    notification_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Admin
) -> NotificationDelivery:
    """Queue a failed or dead message again, now, with a fresh set of attempts."""
    row = await service.retry(session, ctx, notification_id=notification_id)
    return NotificationDelivery.model_validate(row)


class SmsInbound(BaseModel):
    """A reply the SMS gateway received from a volunteer's phone."""

    phone: Text(20, min_len=5) = Field(description="发送短信的手机号（可带 +86）")
    text: Text(160) = Field(description="短信内容，如「Y」「N 1234」「是」")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"phone": "13812345678", "text": "Y"}]}
    )


class SmsInboundResult(BaseModel):
    outcome: sms_inbound.Outcome = Field(description="处理结果")
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
    sms_inbound.verify_signature(
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
    result = await sms_inbound.handle_reply(
        session,
        phone=body.phone,
        text=body.text,
        now=ctx.now,
        settings=ctx.settings,
        request_id=ctx.request_id,
    )
    return SmsInboundResult(outcome=result.outcome, reply=result.reply, offer_id=result.offer_id)
