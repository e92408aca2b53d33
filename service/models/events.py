"""The append-only event log and the notification outbox."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, in_list, utcnow
from service.vocab import NotificationStatus

# Every machine of service/lifecycle; adding one needs a migration of the CHECK below.
EVENT_ENTITIES = ["order", "offer", "demand", "user", "volunteer", "notification"]


class Event(SQLModel, table=True):
    """One state change of an order, offer, demand, account, volunteer or notification.

    Who, when, from → to, why; written only by ``service.lifecycle`` (one row per change).

    Append-only: database triggers (see the initial migration) refuse UPDATE and DELETE.
    """

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint(in_list("entity", EVENT_ENTITIES), name="entity_known"),
        sa.Index("ix_events_entity", "entity", "entity_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    entity: str = Field(max_length=16)
    entity_id: int
    order_id: int | None = Field(default=None, foreign_key="orders.id", index=True)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str = Field(max_length=16)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    actor_role: str | None = Field(default=None, max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    request_id: str | None = Field(default=None, max_length=64)


class Notification(SQLModel, table=True):
    """An outbox row per message to a user, written in the transaction that caused it.

    A resident who ordered without an account has no user: their message names the demand
    (``demand_id``) and goes by SMS to the demand's contact phone, read when it is sent.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        sa.CheckConstraint("user_id IS NOT NULL OR demand_id IS NOT NULL", name="recipient_known"),
        sa.CheckConstraint(in_list("status", list(NotificationStatus)), name="status_known"),
        sa.CheckConstraint("attempts >= 0", name="attempts_positive"),
        sa.Index("ix_notifications_status_next", "status", "next_attempt_at"),
        sa.Index("ix_notifications_user_read", "user_id", "read_at"),
        sa.Index("ix_notifications_user_dedupe", "user_id", "dedupe_key", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int | None = Field(default=None, foreign_key="users.id", ondelete="CASCADE")
    demand_id: int | None = Field(
        default=None, foreign_key="demands.id", index=True, ondelete="CASCADE"
    )
    channel: str = Field(default="inapp", max_length=16)
    kind: str = Field(max_length=32)
    title: str = Field(max_length=200)
    body: str = Field(default="", max_length=2000)
    payload: dict = Field(default_factory=dict, sa_type=JSONType)
    status: str = Field(default=NotificationStatus.pending, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Repeats of the same news (e.g. one volunteer withdrawing again and again) within the
    # debounce window are not queued twice: see notifications.outbox.notify.
    dedupe_key: str | None = Field(default=None, max_length=120)
