"""Volunteer profiles: skills, home, radius, weekly availability, blackout dates, teams."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import UTCDateTime, in_list, lat_lng_checks, utcnow
from service.vocab import VolunteerStatus


class Volunteer(SQLModel, table=True):
    """The volunteer profile of a user; reliability counters are kept with the history."""

    __tablename__ = "volunteers"
    __table_args__ = (
        sa.CheckConstraint(in_list("status", list(VolunteerStatus)), name="status_known"),
        sa.CheckConstraint("radius_km > 0 AND radius_km <= 200", name="radius_range"),
        sa.CheckConstraint("completed_count >= 0 AND no_show_count >= 0", name="counts_positive"),
        sa.CheckConstraint(
            "rating_count >= 0 AND (rating_avg IS NULL OR (rating_avg >= 1 AND rating_avg <= 5))",
            name="rating_range",
        ),
        *lat_lng_checks("home_"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", unique=True, ondelete="CASCADE")
    home_area_id: int = Field(foreign_key="areas.id", index=True)
    home_lat: float
    home_lng: float
    radius_km: float = 5.0
    status: str = Field(default=VolunteerStatus.active, max_length=16, index=True)
    bio: str = Field(default="", max_length=500)
    completed_count: int = 0
    no_show_count: int = 0
    rating_avg: float | None = None
    rating_count: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # The digest of the secret in the volunteer's .ics feed address; None: no feed (or revoked).
    calendar_key_digest: str | None = Field(default=None, max_length=64, unique=True, index=True)


class VolunteerSkill(SQLModel, table=True):
    __tablename__ = "volunteer_skills"

    volunteer_id: int = Field(foreign_key="volunteers.id", primary_key=True, ondelete="CASCADE")
    skill_id: int = Field(foreign_key="skills.id", primary_key=True, index=True)


class AvailabilityWindow(SQLModel, table=True):
    """A weekly window in local time (minutes of the day), e.g. Saturday 09:00–12:00."""

    __tablename__ = "availability_windows"
    __table_args__ = (
        sa.CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        sa.CheckConstraint(
            "start_minute >= 0 AND start_minute < end_minute AND end_minute <= 1440",
            name="minute_range",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    volunteer_id: int = Field(foreign_key="volunteers.id", index=True, ondelete="CASCADE")
    weekday: int
    start_minute: int
    end_minute: int


class BlackoutDate(SQLModel, table=True):
    __tablename__ = "blackout_dates"

    volunteer_id: int = Field(foreign_key="volunteers.id", primary_key=True, ondelete="CASCADE")
    day: date = Field(primary_key=True)


class Team(SQLModel, table=True):
    """A 志愿队 with a leader and a base area."""

    __tablename__ = "teams"
    __table_args__ = tuple(lat_lng_checks("base_"))

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=64, unique=True)
    leader_volunteer_id: int = Field(foreign_key="volunteers.id", index=True)
    base_area_id: int = Field(foreign_key="areas.id", index=True)
    base_lat: float
    base_lng: float
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_members"

    team_id: int = Field(foreign_key="teams.id", primary_key=True, ondelete="CASCADE")
    volunteer_id: int = Field(
        foreign_key="volunteers.id", primary_key=True, index=True, ondelete="CASCADE"
    )
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class VolunteerChange(SQLModel, table=True):
    """One row per write that may change who can take what: database triggers on volunteers,
    their skills, weekly windows, blackout days, held offers, orders' times and service records
    add the volunteer's id (migration 0008). Every process's candidate index reads the rows
    after the last id it has seen and reloads those volunteers (``service.dispatch.live_index``),
    so a change made through any process, tool or import reaches every index."""

    __tablename__ = "volunteer_changes"

    id: int | None = Field(
        default=None,
        sa_column=sa.Column(sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
    )
    volunteer_id: int
