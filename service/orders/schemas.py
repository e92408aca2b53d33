"""Request and response bodies of the orders API (派单)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.schemas_common import Id, Instant, Text
from service.vocab import ORDER_STATUS_LABELS, DispatchMode, OrderStatus, TargetGroup

Lat = Annotated[float, Field(ge=-90, le=90, description="纬度")]
Lng = Annotated[float, Field(ge=-180, le=180, description="经度")]
SkillIds = Annotated[list[Id], Field(max_length=20)]
CoordSystem = Literal["wgs84", "gcj02", "bd09"]

_EXAMPLE = {
    "title": "老年人防范电信诈骗讲座",
    "description": "结合真实案例讲解常见骗局，现场演示手机防骗设置。",
    "community_id": 17,
    "target_group": "elderly",
    "venue_name": "社区活动室",
    "starts_at": "2026-11-28T01:00:00Z",
    "ends_at": "2026-11-28T03:00:00Z",
    "slots": 2,
    "skill_ids": [5],
}


class PlaceFields(BaseModel):
    """Where: a saved venue, or coordinates (with their system), or an address to geocode."""

    venue_id: Id | None = Field(default=None, description="已保存场地的编号")
    venue_name: Text(100) = Field(default="", description="场地名称")
    venue_address: Text(200) = Field(default="", description="地址（可用于地址解析）")
    lat: Lat | None = None
    lng: Lng | None = None
    coord_system: CoordSystem = Field(
        default="wgs84", description="坐标系：wgs84、gcj02（高德/腾讯）或 bd09（百度）"
    )


class OrderCreate(PlaceFields):
    """A new order draft (草稿)."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    title: Text(100, min_len=1) = Field(description="活动名称")
    description: Text(4000, multiline=True) = Field(default="", description="活动说明")
    community_id: Id = Field(description="所属社区")
    demand_id: Id | None = Field(default=None, description="来源点单（可选）")
    target_group: TargetGroup = Field(description="服务对象")
    starts_at: Instant = Field(description="开始时间（带时区）")
    ends_at: Instant = Field(description="结束时间（带时区）")
    accept_deadline: Instant | None = Field(default=None, description="接单截止时间")
    expected_attendance: int = Field(default=30, ge=0, le=100_000, description="预计参加人数")
    slots: int = Field(default=1, ge=1, le=200, description="需要的志愿者人数")
    max_distance_km: float | None = Field(default=None, gt=0, le=500, description="最远服务距离")
    dispatch_mode: DispatchMode = Field(default=DispatchMode.targeted, description="派单方式")
    team_id: Id | None = Field(default=None, description="志愿队（按队派单时）")
    skill_ids: SkillIds = Field(min_length=1, description="所需技能")

    @model_validator(mode="after")
    def _times_make_sense(self) -> OrderCreate:
        check_times(self.starts_at, self.ends_at, self.accept_deadline)
        return self


def check_times(starts_at, ends_at, accept_deadline) -> None:
    if starts_at and ends_at and ends_at <= starts_at:
        raise ValueError("结束时间必须晚于开始时间")
    if accept_deadline and starts_at and accept_deadline > starts_at:
        raise ValueError("接单截止时间不能晚于活动开始时间")


class OrderUpdate(PlaceFields):
    """Changes to a draft; only the given fields change."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"slots": 3, "title": "应急救护培训"}]}
    )

    title: Text(100, min_len=1) | None = None
    description: Text(4000, multiline=True) | None = None
    target_group: TargetGroup | None = None
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    accept_deadline: Instant | None = None
    expected_attendance: int | None = Field(default=None, ge=0, le=100_000)
    slots: int | None = Field(default=None, ge=1, le=200)
    max_distance_km: float | None = Field(default=None, gt=0, le=500)
    dispatch_mode: DispatchMode | None = None
    team_id: Id | None = None
    skill_ids: SkillIds | None = None


class PublishRequest(BaseModel):
    """派单: how to dispatch (defaults to what the draft says)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"dispatch_mode": "targeted"}]})

    dispatch_mode: DispatchMode | None = Field(default=None, description="派单方式")
    team_id: Id | None = Field(default=None, description="按队派单时的志愿队")


class ReasonRequest(BaseModel):
    """A short reason, kept in the event log."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "场地临时关闭"}]})

    reason: Text(500, min_len=1, multiline=True) = Field(description="原因")


class RedispatchRequest(BaseModel):
    """Coordinator re-dispatch: optionally widen the distance or move the time, then offer again."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"max_distance_km": 15, "reason": "放宽服务距离"}]}
    )

    max_distance_km: float | None = Field(default=None, gt=0, le=500)
    starts_at: Instant | None = None
    ends_at: Instant | None = None
    accept_deadline: Instant | None = None
    dispatch_mode: DispatchMode | None = None
    team_id: Id | None = None
    reason: Text(500, multiline=True) = Field(default="协调员重新派单")


class PreviewRequest(PlaceFields):
    """Unsaved form values for the live candidate preview."""

    model_config = ConfigDict(json_schema_extra={"examples": [_EXAMPLE]})

    community_id: Id
    starts_at: Instant
    ends_at: Instant
    skill_ids: SkillIds = Field(min_length=1)
    slots: int = Field(default=1, ge=1, le=200)
    max_distance_km: float | None = Field(default=None, gt=0, le=500)

    @model_validator(mode="after")
    def _times_make_sense(self) -> PreviewRequest:
        check_times(self.starts_at, self.ends_at, None)
        return self


class OrderPublic(BaseModel):
    """An order as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str
    community_id: int
    demand_id: int | None
    target_group: str
    venue_id: int | None
    venue_name: str
    venue_address: str
    venue_lat: float
    venue_lng: float
    starts_at: datetime
    ends_at: datetime
    accept_deadline: datetime | None
    expected_attendance: int
    slots: int
    accepted_count: int
    max_distance_km: float
    dispatch_mode: str
    team_id: int | None
    status: OrderStatus
    status_label: str = ""
    status_reason: str | None
    needs_attention_at: datetime | None
    suggestion: dict | None
    skill_ids: list[int] = []
    published_at: datetime | None
    staffed_at: datetime | None

    @model_validator(mode="after")
    def _label(self) -> OrderPublic:
        self.status_label = ORDER_STATUS_LABELS[self.status]
        return self


class ScorePartPublic(BaseModel):
    code: str = Field(description="skill / distance / fairness / reliability / locality")
    label: str = Field(description="中文名称")
    value: float = Field(description="0–1，保留两位小数；距离一项按距离区间计算，不是精确距离")
    weight: float
    detail: dict = Field(
        default_factory=dict,
        description="该项的依据（所需与具备的技能 id、本月活动次数、爽约次数、评分、同社区/街道；"
        "距离一项只有区间），供以其他语言或形式展示",
    )


class CandidatePublic(BaseModel):
    """A candidate volunteer: a distance band only, never a distance, home or full phone."""

    volunteer_id: int
    name: str
    phone_masked: str | None = Field(description="脱敏手机号，例如 139****0001")
    distance_band: str = Field(
        description="与活动地点的距离区间：1 km 以内、1–3 km、3–5 km、5–10 km 或 10 km 以上"
    )
    score: float = Field(description="各项得分（已取整）的加权和，保留两位小数")
    parts: list[ScorePartPublic]
    explanation: str = Field(description="中文说明，如「1–3 km · 心肺复苏 ✓ · 本月尚未服务」")


class PreviewPublic(BaseModel):
    """How many volunteers could take the order, and the best of them."""

    count: int = Field(description="符合条件的志愿者人数")
    candidates: list[CandidatePublic]
    suggestion: dict | None = Field(default=None, description="无人可派时的建议")


class EventPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    entity: str
    entity_id: int
    from_status: str | None
    to_status: str
    actor_user_id: int | None
    actor_role: str | None
    reason: str | None
    request_id: str | None
