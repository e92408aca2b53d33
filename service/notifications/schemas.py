"""Response shapes of the inbox and the admin's delivery view."""

from __future__ import annotations

from datetime import datetime
from typing import Self

from pydantic import BaseModel, ConfigDict, Field

from service.notifications.texts import public_payload, said_in
from service.vocab import NotificationStatus


class NotificationPublic(BaseModel):
    """One message in a user's inbox."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(description="消息类型，如 offer、demand_status")
    channel: str = Field(description="渠道：inapp / sms / wechat")
    title: str = Field(description="标题")
    body: str = Field(description="正文")
    payload: dict = Field(description='关联对象，如 {"offer_id": 12}')
    created_at: datetime
    read_at: datetime | None = Field(description="已读时间，未读为 null")

    @classmethod
    def for_reader(cls, row, locale: str) -> Self:
        """The row with its title and body in the reader's language (see notifications.texts)."""
        public = cls.model_validate(row)
        return public.model_copy(
            update={
                "title": said_in(row.payload, "title", row.title, locale),
                "body": said_in(row.payload, "body", row.body, locale),
                "payload": public_payload(row.payload),
            }
        )


class NotificationDelivery(NotificationPublic):
    """A message as the admin sees it: who, which status, how many attempts, the last error."""

    user_id: int | None = Field(description="收件人账号；没有账号的点单群众为 null")
    demand_id: int | None = Field(
        default=None, description="没有账号的点单群众：短信发往该点单的联系电话"
    )
    status: NotificationStatus = Field(
        description="pending / sent / failed（将重试）/ dead（已放弃）"
    )
    attempts: int = Field(description="已尝试发送次数")
    next_attempt_at: datetime | None = Field(description="下次重试时间")
    last_error: str | None = Field(description="最近一次失败原因")
    sent_at: datetime | None


class UnreadCount(BaseModel):
    unread: int = Field(description="未读消息数")
