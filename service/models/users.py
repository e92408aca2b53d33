"""Accounts, roles scoped to areas/teams, sessions, access tokens, login throttling, audit."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, in_list, utcnow
from service.vocab import Role, UserStatus


class User(SQLModel, table=True):
    """A person who logs in with a mainland mobile number."""

    __tablename__ = "users"
    __table_args__ = (sa.CheckConstraint(in_list("status", list(UserStatus)), name="status_known"),)

    id: int | None = Field(default=None, primary_key=True)
    phone: str = Field(max_length=11, unique=True)
    name: str = Field(max_length=64)
    password_hash: str | None = Field(default=None, max_length=255)
    status: str = Field(default=UserStatus.active, max_length=16)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_active_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Display preferences, remembered per person (cookies hold them for anonymous visitors).
    locale: str | None = Field(default=None, max_length=8)
    large_text: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


class RoleAssignment(SQLModel, table=True):
    """One role of a user, with the area or team it is scoped to."""

    __tablename__ = "role_assignments"
    __table_args__ = (
        sa.CheckConstraint(in_list("role", list(Role)), name="role_known"),
        sa.CheckConstraint(
            "role NOT IN ('worker', 'coordinator') OR area_id IS NOT NULL", name="area_scoped"
        ),
        sa.CheckConstraint("role <> 'team_leader' OR team_id IS NOT NULL", name="team_scoped"),
        sa.UniqueConstraint("user_id", "role", "area_id", "team_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    role: str = Field(max_length=16)
    area_id: int | None = Field(default=None, foreign_key="areas.id")
    team_id: int | None = Field(default=None, foreign_key="teams.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuthSession(SQLModel, table=True):
    """A server-side login session; the cookie holds only a random id whose hash is the key."""

    __tablename__ = "auth_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ip: str | None = Field(default=None, max_length=64)


class ApiToken(SQLModel, table=True):
    """A personal access token for machine clients of /api/v1, stored hashed."""

    __tablename__ = "api_tokens"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=64)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # None: until revoked


class LoginFailure(SQLModel, table=True):
    """One failed login, keyed by account and by IP; the shared store for throttling."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_key_at", "key", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=128)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PhoneCode(SQLModel, table=True):
    """A one-time code sent to a phone number (registration, an anonymous vote); only hashed.

    ``payload`` is what the code unlocks once confirmed (a registration form, its password
    already hashed). A code dies after its expiry or too many wrong tries.
    """

    __tablename__ = "phone_codes"
    __table_args__ = (sa.Index("ix_phone_codes_purpose_phone", "purpose", "phone_key"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=32)  # "register", "upvote:<demand id>"
    phone_key: str = Field(max_length=64)  # keyed hash of the number
    code_hash: str = Field(max_length=64)
    payload: dict = Field(default_factory=dict, sa_type=JSONType)
    attempts: int = 0
    expires_at: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AuditEntry(SQLModel, table=True):
    """Who did what to whom, when and from where (logins, role changes, phone reveals)."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    action: str = Field(max_length=64, index=True)
    actor_user_id: int | None = Field(default=None, foreign_key="users.id")
    target_user_id: int | None = Field(default=None, foreign_key="users.id")
    ip: str | None = Field(default=None, max_length=64)
    detail: dict = Field(default_factory=dict, sa_type=JSONType)
