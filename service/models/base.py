"""Shared column types, the constraint naming convention, and the metadata all tables use."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import SQLModel

# Named constraints make migrations reproducible on both databases (and SQLite batch mode
# needs names to drop or alter a constraint).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLModel.metadata.naming_convention = NAMING_CONVENTION
metadata = SQLModel.metadata


class UTCDateTime(sa.TypeDecorator):
    """Timezone-aware UTC datetimes on both PostgreSQL and SQLite (which has no time zones)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """The current time, aware, in UTC (defaults only; logic takes ``now`` as a parameter)."""
    return datetime.now(UTC)


def in_list(column: str, values) -> str:
    """SQL text for a CHECK that keeps ``column`` inside a fixed vocabulary."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def lat_lng_checks(prefix: str = "") -> list[sa.CheckConstraint]:
    """CHECKs that keep a WGS-84 coordinate pair inside its ranges."""
    lat, lng = f"{prefix}lat", f"{prefix}lng"
    return [
        sa.CheckConstraint(f"{lat} IS NULL OR ({lat} >= -90 AND {lat} <= 90)", name=f"{lat}_range"),
        sa.CheckConstraint(
            f"{lng} IS NULL OR ({lng} >= -180 AND {lng} <= 180)", name=f"{lng}_range"
        ),
    ]
