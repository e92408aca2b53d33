"""The notification delivery machine: pending → sent, or failed (retried) → sent or dead.

One event row per status change, not per attempt: a retry that fails again (failed → failed)
changes no status, only the attempt counter, the last error and the next attempt time on the
outbox row, so it writes no event. A message thus leaves at most three events (failed, then
sent or dead, plus one per manual re-queue) however many retries it takes, and the event log
does not grow with an unreachable webhook. Queuing a message writes no event either: the
outbox row is written in the transaction of the change that caused it, whose own event
already explains it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.lifecycle.engine import Machine, change_status
from service.models import Notification
from service.vocab import NOTIFICATION_STATUS_LABELS, NotificationStatus

N = NotificationStatus

NOTIFICATION_TRANSITIONS: dict[tuple[NotificationStatus, NotificationStatus], str] = {
    (N.pending, N.sent): "已发送",
    (N.pending, N.failed): "发送失败，稍后重试",
    (N.pending, N.dead): "发送失败，不再重试",
    (N.failed, N.sent): "重试后发送成功",
    (N.failed, N.dead): "多次重试仍失败，不再重试",
    (N.failed, N.pending): "管理员重新发送",
    (N.dead, N.pending): "管理员重新发送",
}

NOTIFICATION = Machine(
    entity="notification",
    model=Notification,
    noun="消息",
    statuses=NotificationStatus,
    labels=NOTIFICATION_STATUS_LABELS,
    transitions=NOTIFICATION_TRANSITIONS,
    why={
        N.sent: "消息已发送，不能再更改。",
        N.pending: "消息尚未发送，不能重新发送。",
    },
    stamps_updated_at=False,
)


async def change_notification_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    notification_id: int,
    to: NotificationStatus,
    expected: NotificationStatus | None = None,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
) -> NotificationStatus:
    """Move an outbox row to ``to``; ``expected`` is the status the dispatcher claimed it in."""
    previous = await change_status(
        session,
        ctx,
        NOTIFICATION,
        entity_id=notification_id,
        to=to,
        expected=expected,
        reason=reason,
        values=values,
    )
    return NotificationStatus(previous)
