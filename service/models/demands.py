"""点单: what residents ask for, and who else wants it too."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import UTCDateTime, in_list, utcnow
from service.vocab import DemandStatus, TargetGroup


class Demand(SQLModel, table=True):
    """A resident's request for an activity; becomes an order when a worker adopts it."""

    __tablename__ = "demands"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(DemandStatus)), name="status_known"),
        sa.CheckConstraint(in_list("target_group", list(TargetGroup)), name="target_group_known"),
        sa.CheckConstraint("upvotes >= 0", name="upvotes_positive"),
        sa.CheckConstraint(
            "preferred_end IS NULL OR preferred_start IS NULL OR preferred_end > preferred_start",
            name="preferred_window",
        ),
        sa.Index("ix_demands_community_status", "community_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="areas.id")
    skill_id: int | None = Field(default=None, foreign_key="skills.id")
    topic: str = Field(max_length=100)
    target_group: str = Field(max_length=16)
    description: str = Field(default="", max_length=2000)
    preferred_start: datetime | None = Field(default=None, sa_type=UTCDateTime)
    preferred_end: datetime | None = Field(default=None, sa_type=UTCDateTime)
    contact_name: str = Field(default="", max_length=64)
    # Erased (set NULL) after the retention period; statistics do not need it.
    contact_phone: str | None = Field(default=None, max_length=11)
    submitter_user_id: int | None = Field(default=None, foreign_key="users.id")
    # Keyed hash of the follow-up code shown once at submission (lookup needs phone + code).
    follow_up_code_hash: str | None = Field(default=None, max_length=64)
    status: str = Field(default=DemandStatus.new, max_length=16)
    decline_reason: str | None = Field(default=None, max_length=500)
    merged_into_id: int | None = Field(default=None, foreign_key="demands.id")
    upvotes: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DemandUpvote(SQLModel, table=True):
    """One "我也想要" per person (user id or hashed phone) per demand."""

    __tablename__ = "demand_upvotes"
    __table_args__ = (sa.UniqueConstraint("demand_id", "voter_key"),)

    id: int | None = Field(default=None, primary_key=True)
    demand_id: int = Field(foreign_key="demands.id", ondelete="CASCADE")
    voter_key: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
