"""The in-app inbox and the admin's view of failed sends."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.errors import Conflict, NotFound
from service.lifecycle.delivery import change_notification_status
from service.models import Notification
from service.notifications import repository
from service.vocab import NotificationStatus


async def inbox(
    session: AsyncSession, ctx: ActionContext, *, unread_only: bool, limit: int, offset: int
) -> tuple[list[Notification], int]:
    """The acting user's own messages, newest first."""
    return await repository.inbox_page(
        session=session,
        user_id=ctx.actor.user_id,
        unread_only=unread_only,
        limit=limit,
        offset=offset,
    )


async def mark_read(
    session: AsyncSession, ctx: ActionContext, *, notification_id: int
) -> Notification:
    """Mark one of the actor's messages read; someone else's message is simply not found."""
    row = await repository.mark_read(
        session=session, user_id=ctx.actor.user_id, notification_id=notification_id, now=ctx.now
    )
    if row is None:
        raise NotFound("未找到这条消息。")
    return row


async def delivery_problems(
    session: AsyncSession, *, status: NotificationStatus | None, limit: int, offset: int
) -> tuple[list[Notification], int]:
    """Failed (still retrying) and dead (given up) messages, for the admin."""
    statuses = [status] if status else list(repository.PROBLEMS)
    return await repository.problems_page(
        session=session, statuses=statuses, limit=limit, offset=offset
    )


async def retry(session: AsyncSession, ctx: ActionContext, *, notification_id: int) -> Notification:
    """Queue a failed or dead message again, now, with a fresh set of attempts."""
    row = await repository.get(session=session, notification_id=notification_id)
    if row is None:
        raise NotFound("未找到这条消息。")
    if row.status not in repository.PROBLEMS:
        raise Conflict("只有发送失败的消息可以重新发送。", current_status=row.status)
    await change_notification_status(
        session,
        ctx,
        notification_id=notification_id,
        to=NotificationStatus.pending,
        values={"attempts": 0, "next_attempt_at": ctx.now},
    )
    await session.refresh(row)
    return row


async def mark_all_read(session: AsyncSession, ctx: ActionContext) -> int:
    """Mark every unread message of the actor read; how many were."""
    return await repository.mark_all_read(session=session, user_id=ctx.actor.user_id, now=ctx.now)
