"""志愿服务记录证明: one issued certificate, frozen as it was printed."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import JSONType, UTCDateTime, utcnow


class Certificate(SQLModel, table=True):
    """A volunteer's service record certificate for one period.

    What it says (name, lines, total, issuer) is a snapshot taken when it was issued, so a
    download months later prints the same document and the verification page shows what the
    paper shows. The serial is built from the id, which is never reused (AUTOINCREMENT on
    SQLite, a sequence on PostgreSQL). The partial unique index keeps one *current*
    certificate per volunteer and period: issuing again returns it unless the records changed,
    in which case it is superseded (``superseded_by_id``) by a new one.
    """

    __tablename__ = "certificates"
    __table_args__ = (
        sa.CheckConstraint("period_to >= period_from", name="period_ordered"),
        sa.Index(
            "uq_certificates_current",
            "volunteer_id",
            "period_from",
            "period_to",
            unique=True,
            sqlite_where=sa.text("superseded_at IS NULL AND revoked_at IS NULL"),
            postgresql_where=sa.text("superseded_at IS NULL AND revoked_at IS NULL"),
        ),
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    # KP-2026-000123, set right after the row has its id (same transaction).
    serial: str | None = Field(default=None, max_length=32, unique=True)
    # The secret part of the public verification address (the serial alone is guessable).
    token: str = Field(max_length=32, unique=True)
    volunteer_id: int = Field(foreign_key="volunteers.id", index=True)
    period_from: date
    period_to: date
    volunteer_name: str = Field(max_length=64)
    total_hours: float
    activity_count: int
    # [{"day": "2026-03-02", "title": ..., "community": ..., "hours": 2.0}, ...] oldest first
    lines: list = Field(default_factory=list, sa_type=JSONType)
    # Digest of the service records behind it (order id and hours): a change means reissue.
    fingerprint: str = Field(max_length=64)
    issuer: str = Field(max_length=128)
    issued_on: date  # the local date printed on it
    issued_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    issued_by_user_id: int | None = Field(default=None, foreign_key="users.id")
    superseded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    superseded_by_id: int | None = Field(default=None, foreign_key="certificates.id")
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_by_user_id: int | None = Field(default=None, foreign_key="users.id")
