"""评单 and what stays after an activity: ratings, rating codes, service hours."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, in_list, utcnow
from service.vocab import RaterKind


class RatingCode(SQLModel, table=True):
    """A short code handed out at an activity; each allows one resident rating."""

    __tablename__ = "rating_codes"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    code: str = Field(max_length=16, unique=True)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Evaluation(SQLModel, table=True):
    """1–5 stars and a comment, by a resident (of the activity) or a worker (of a volunteer)."""

    __tablename__ = "evaluations"
    __table_args__ = (
        sa.CheckConstraint("stars >= 1 AND stars <= 5", name="stars_range"),
        sa.CheckConstraint(in_list("rater_kind", list(RaterKind)), name="rater_known"),
        sa.CheckConstraint(
            "rater_kind <> 'worker' OR volunteer_id IS NOT NULL", name="worker_rates_volunteer"
        ),
        sa.UniqueConstraint("rating_code_id"),
        sa.UniqueConstraint("order_id", "volunteer_id", "rater_kind", "rater_user_id"),
        sa.Index("ix_evaluations_volunteer", "volunteer_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    volunteer_id: int | None = Field(default=None, foreign_key="volunteers.id")
    rater_kind: str = Field(max_length=16)
    rater_user_id: int | None = Field(default=None, foreign_key="users.id")
    rating_code_id: int | None = Field(default=None, foreign_key="rating_codes.id")
    stars: int
    comment: str = Field(default="", max_length=1000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ServiceRecord(SQLModel, table=True):
    """Hours one volunteer served on one order, confirmed by the community."""

    __tablename__ = "service_records"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "volunteer_id"),
        sa.CheckConstraint("hours >= 0 AND hours <= 24", name="hours_range"),
        sa.Index("ix_service_records_volunteer_started", "volunteer_id", "started_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    volunteer_id: int = Field(foreign_key="volunteers.id")
    hours: float
    started_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime = Field(sa_type=UTCDateTime)
    confirmed_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    confirmed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    flags: list = Field(default_factory=list, sa_type=JSONType)
