"""Administrative areas (区县 → 街道/乡镇 → 社区/村) and the skill taxonomy."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from service.models.base import in_list, lat_lng_checks
from service.vocab import AreaLevel


class Area(SQLModel, table=True):
    """A node of the area tree with its GB/T 2260-style 12-digit code and centroid."""

    __tablename__ = "areas"
    __table_args__ = (
        sa.CheckConstraint(in_list("level", list(AreaLevel)), name="level_known"),
        sa.CheckConstraint("length(code) = 12", name="code_12_digits"),
        *lat_lng_checks(),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=12, unique=True)
    name: str = Field(max_length=64)
    level: str = Field(max_length=16)
    parent_id: int | None = Field(default=None, foreign_key="areas.id", index=True)
    # Materialized path of ids ("/1/4/17/") so "everything under this street" is one LIKE query.
    path: str = Field(max_length=255, index=True)
    lat: float
    lng: float


class Skill(SQLModel, table=True):
    """Two-level taxonomy: a domain (parent_id NULL) or a skill under a domain."""

    __tablename__ = "skills"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=64)
    parent_id: int | None = Field(default=None, foreign_key="skills.id", index=True)
    sort_order: int = 0
    active: bool = True
