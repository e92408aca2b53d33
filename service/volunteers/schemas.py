"""Request and response shapes of a volunteer's own profile (``/api/v1/me/volunteer-profile``).

The shapes check types only; every rule (ranges, overlaps, dates, which skills exist) is in
``service.volunteers.service``, so the API and the page refuse alike, in the same words.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.schemas_common import Id, Text
from service.vocab import VolunteerStatus

Coordinate = Annotated[float, Field(allow_inf_nan=False)]
Clock = Annotated[Text(16), Field(description="本地时间 HH:MM（00:00–24:00）", examples=["09:00"])]


class ProfileUpdate(BaseModel):
    """Any of: the home community (its centre unless a point is given), a point, radius, bio."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"home_area_id": 12, "radius_km": 5}]},
    )

    home_area_id: Id | None = Field(default=None, description="家所在的社区/村（区划编号）")
    lat: Annotated[Coordinate, Field(ge=-90, le=90)] | None = Field(
        default=None, description="家的位置纬度（WGS-84，须在本区范围内；不会给别人看）"
    )
    lng: Annotated[Coordinate, Field(ge=-180, le=180)] | None = Field(
        default=None, description="家的位置经度（WGS-84）"
    )
    radius_km: Coordinate | None = Field(default=None, description="愿意走多远（公里，0–200）")
    bio: Text(500, multiline=True) | None = Field(default=None, description="自我介绍")


class SkillsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"skill_ids": [3]}]})

    skill_ids: list[Id] = Field(max_length=500, description="技能编号（二级技能）；空列表清空")


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="星期：0 周一 … 6 周日")
    start: Clock
    end: Clock


class AvailabilityUpdate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"windows": [{"weekday": 5, "start": "08:00", "end": "12:00"}]}]
        },
    )

    windows: list[WindowIn] = Field(max_length=1000, description="每周有空的时间（最多 50 段）")


class BlackoutIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"day": "2026-12-24"}]}
    )

    day: date = Field(description="不方便的日子（今天起一年内）")


class SkillPublic(BaseModel):
    id: int
    name: str
    domain_id: int | None
    domain_name: str


class WindowPublic(BaseModel):
    weekday: int
    start: str
    end: str


class HomePublic(BaseModel):
    """The volunteer's own home: shown to them only, never to anyone else."""

    community_id: int
    community_name: str
    street_id: int | None
    street_name: str
    lat: float
    lng: float


class VolunteerProfilePublic(BaseModel):
    volunteer_id: int
    status: VolunteerStatus
    home: HomePublic
    radius_km: float
    bio: str
    skills: list[SkillPublic]
    windows: list[WindowPublic]
    blackout_dates: list[date]
