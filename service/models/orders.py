"""派单: orders (activities), their venues and skills, and offers/assignments to volunteers."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, in_list, lat_lng_checks, utcnow
from service.vocab import DispatchMode, OfferStatus, OrderStatus, TargetGroup


class Venue(SQLModel, table=True):
    """A saved place of a community (activity room, square, school hall)."""

    __tablename__ = "venues"
    __table_args__ = tuple(lat_lng_checks())

    id: int | None = Field(default=None, primary_key=True)
    community_id: int = Field(foreign_key="areas.id", index=True)
    name: str = Field(max_length=100)
    address: str = Field(max_length=200)
    lat: float
    lng: float


class Order(SQLModel, table=True):
    """An activity the community dispatches: where, when, which skills, how many volunteers."""

    __tablename__ = "orders"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(OrderStatus)), name="status_known"),
        sa.CheckConstraint(in_list("dispatch_mode", list(DispatchMode)), name="mode_known"),
        sa.CheckConstraint(in_list("target_group", list(TargetGroup)), name="target_group_known"),
        sa.CheckConstraint("slots >= 1 AND slots <= 200", name="slots_range"),
        # The database backstop of "never overbook": whatever the code does, this holds.
        sa.CheckConstraint(
            "accepted_count >= 0 AND accepted_count <= slots", name="accepted_within_slots"
        ),
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.CheckConstraint("max_distance_km > 0", name="max_distance_positive"),
        sa.CheckConstraint("expected_attendance >= 0", name="attendance_positive"),
        sa.CheckConstraint("dispatch_mode <> 'team' OR team_id IS NOT NULL", name="team_mode"),
        sa.Index("ix_orders_community_status", "community_id", "status"),
        sa.Index("ix_orders_status_starts_at", "status", "starts_at"),
        sa.Index("ix_orders_status_deadline", "status", "accept_deadline"),
        *lat_lng_checks("venue_"),
    )

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=100)
    description: str = Field(default="", max_length=4000)
    community_id: int = Field(foreign_key="areas.id")
    demand_id: int | None = Field(default=None, foreign_key="demands.id", index=True)
    target_group: str = Field(max_length=16)
    venue_id: int | None = Field(default=None, foreign_key="venues.id")
    venue_name: str = Field(default="", max_length=100)
    venue_address: str = Field(default="", max_length=200)
    venue_lat: float
    venue_lng: float
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    accept_deadline: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expected_attendance: int = 30
    slots: int = 1
    accepted_count: int = 0
    max_distance_km: float = 10.0
    dispatch_mode: str = Field(default=DispatchMode.targeted, max_length=16)
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    status: str = Field(default=OrderStatus.draft, max_length=16)
    status_reason: str | None = Field(default=None, max_length=500)
    # Set when the order lands in the coordinator's queue (expired or no candidates left).
    needs_attention_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    suggestion: dict | None = Field(default=None, sa_type=JSONType)
    created_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    staffed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class OrderSkill(SQLModel, table=True):
    __tablename__ = "order_skills"

    order_id: int = Field(foreign_key="orders.id", primary_key=True, ondelete="CASCADE")
    skill_id: int = Field(foreign_key="skills.id", primary_key=True, index=True)


class Offer(SQLModel, table=True):
    """(order, volunteer) with its match score and explanation, through to check-in/out."""

    __tablename__ = "offers"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "volunteer_id"),
        sa.CheckConstraint(in_list("status", list(OfferStatus)), name="status_known"),
        sa.CheckConstraint(
            "checked_out_at IS NULL OR checked_in_at IS NULL OR checked_out_at >= checked_in_at",
            name="checkout_after_checkin",
        ),
        sa.Index("ix_offers_volunteer_status", "volunteer_id", "status"),
        sa.Index("ix_offers_order_status", "order_id", "status"),
        sa.Index("ix_offers_status_expires_at", "status", "expires_at"),
        *lat_lng_checks("check_in_"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    volunteer_id: int = Field(foreign_key="volunteers.id")
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    status: str = Field(default=OfferStatus.offered, max_length=16)
    score: float | None = None
    score_parts: list | None = Field(default=None, sa_type=JSONType)
    rank: int | None = None
    offered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decline_reason: str | None = Field(default=None, max_length=500)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    checked_out_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    check_in_lat: float | None = None
    check_in_lng: float | None = None
    # e.g. ["outside_geofence"], ["no_location"], ["auto_checkout"], ["unconfirmed"]
    flags: list = Field(default_factory=list, sa_type=JSONType)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
