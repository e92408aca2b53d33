"""JSON API: everyone's in-app inbox, and the admin's list of failed sends with a retry."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from service.actor import Actor
from service.auth.access import AUTHENTICATED, requires
from service.auth.dependencies import ContextDep
from service.notifications import repository, service
from service.notifications.schemas import NotificationDelivery, NotificationPublic, UnreadCount
from service.vocab import NotificationStatus, Role
from service.web.deps import SessionDep
from service.web.errors import request_locale
from service.web.pagination import Page, PageDep
from service.web.params import IdPath

inbox_router = APIRouter(prefix="/me/notifications", tags=["notifications 消息"])
admin_router = APIRouter(
    prefix="/admin/notifications",
    tags=["notifications 消息"],
    responses={
        404: {"description": "消息不存在"},
        409: {"description": "只有发送失败的消息可重发"},
    },
)
Me = Annotated[Actor, requires(AUTHENTICATED)]
Admin = Annotated[Actor, requires(Role.admin)]


@inbox_router.get("", summary="我的消息")
async def my_notifications(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    page: PageDep,
    actor: Me,
    unread: Annotated[bool, Query(description="只看未读")] = False,
) -> Page[NotificationPublic]:
    rows, total = await service.inbox(
        session, ctx, unread_only=unread, limit=page.limit, offset=page.offset
    )
    locale = request_locale(request)
    items = [NotificationPublic.for_reader(row, locale) for row in rows]
    return Page.of(items, total=total, params=page)


@inbox_router.get("/unread-count", summary="未读消息数")
async def my_unread_count(session: SessionDep, actor: Me) -> UnreadCount:
    return UnreadCount(unread=await repository.unread_count(session=session, user_id=actor.user_id))


@inbox_router.post("/{notification_id}/read", summary="标为已读")
async def read_notification(
    request: Request, notification_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Me
) -> NotificationPublic:
    """Idempotent: reading again keeps the first read time."""
    row = await service.mark_read(session, ctx, notification_id=notification_id)
    return NotificationPublic.for_reader(row, request_locale(request))


@admin_router.get("", summary="发送失败的消息")
async def delivery_problems(
    request: Request,
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
    locale = request_locale(request)
    items = [NotificationDelivery.for_reader(row, locale) for row in rows]
    return Page.of(items, total=total, params=page)


@admin_router.post("/{notification_id}/retry", summary="重新发送")
async def retry_notification(
    request: Request, notification_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Admin
) -> NotificationDelivery:
    """Queue a failed or dead message again, now, with a fresh set of attempts."""
    row = await service.retry(session, ctx, notification_id=notification_id)
    return NotificationDelivery.for_reader(row, request_locale(request))
