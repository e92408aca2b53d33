"""一键派单: a saved batch plan of an area and period, and what applying it did."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, in_list, utcnow

PLAN_STATUSES = ("planned", "applied")


class DispatchPlan(SQLModel, table=True):
    """Who would be asked for which open order of an area and period, with the totals of the
    optimal batch against greedy; the fingerprint of every order as planned, so applying can
    tell what changed since; once applied, the report of what was sent and skipped."""

    __tablename__ = "dispatch_plans"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(PLAN_STATUSES)), name="status_known"),
        sa.CheckConstraint("period_to >= period_from", name="period_ordered"),
        sa.Index("ix_dispatch_plans_area_created", "area_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    area_id: int = Field(foreign_key="areas.id")
    period_from: date
    period_to: date
    status: str = Field(default="planned", max_length=16)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # [{order_id, title, community, starts_at, ends_at, free, fingerprint, pairs: [...],
    #   unfilled_reason}] — see service.batch.plans
    # Plain JSON, not JSONB: a district's plan is ~10 MB written once and read whole, never
    # queried inside; JSONB's parse on every write cost seconds at 15,000 pairs.
    orders: list = Field(default_factory=list, sa_type=sa.JSON)
    # {"batch": {...}, "greedy": {...}, "solver": {...}}
    totals: dict = Field(default_factory=dict, sa_type=JSONType)
    applied_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    applied_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    report: dict | None = Field(default=None, sa_type=sa.JSON)
