"""Request and response shapes of 评单."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.schemas_common import MAX_ID, Text
from service.vocab import OrderStatus, RaterKind

Stars = Field(ge=1, le=5, description="星级 1–5")


class ResidentRating(BaseModel):
    """A resident rates the activity with the code handed out there (no login needed)."""

    code: Text(20, min_len=1) = Field(description="活动现场发放的评价码，如 7K3M9Q")
    stars: int = Stars
    comment: Text(1000, multiline=True) = Field(default="", description="评价内容（可不填）")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"code": "7K3M9Q", "stars": 5, "comment": "讲得很实用"}]}
    )


class VolunteerRating(BaseModel):
    """The community worker rates one volunteer who served."""

    volunteer_id: int = Field(ge=1, le=MAX_ID, description="志愿者 id")
    stars: int = Stars
    comment: Text(1000, multiline=True) = Field(default="", description="评价内容（可不填）")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"volunteer_id": 12, "stars": 5, "comment": "准时、耐心"}]}
    )


class EvaluationPublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    volunteer_id: int | None = Field(description="被评价的志愿者（居民评价活动时为空）")
    rater_kind: RaterKind = Field(description="resident 居民 / worker 社区工作者")
    stars: int
    comment: str
    created_at: datetime


class RatingCodeInfo(BaseModel):
    """What a rating link shows before rating."""

    code: str
    used: bool = Field(description="是否已使用")
    order_id: int
    order_title: str
    starts_at: datetime
    can_rate: bool = Field(description="现在能否评价")


class RatingThanks(BaseModel):
    evaluation: EvaluationPublic
    message: str


class VolunteerRated(BaseModel):
    evaluation: EvaluationPublic
    order_status: OrderStatus = Field(description="所有志愿者评价完后变为 evaluated")


class RatingCodePublic(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    used_at: datetime | None


class IssueCodes(BaseModel):
    count: int = Field(default=10, ge=1, le=500, description="追加生成的评价码数量")


class RatingCodes(BaseModel):
    order_id: int
    items: list[RatingCodePublic]
    used: int = Field(description="已使用数量")


class EvaluationSummary(BaseModel):
    order_id: int
    order_status: OrderStatus
    resident_count: int = Field(description="居民评价人数")
    resident_avg: float | None = Field(description="居民平均星级")
    evaluations: list[EvaluationPublic]
