"""Request and response shapes of the activity day."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.schemas_common import MAX_ID, Instant, Text
from service.vocab import OfferStatus, OrderStatus


class RecordedAt(BaseModel):
    """When the phone recorded the action (sent later when it was offline); omit for now."""

    at: Instant | None = Field(
        default=None,
        description="手机记下的时间（离线时先记下、联网后补发）；不填即为服务器当前时间。"
        "不能晚于当前时间（容许 2 分钟误差），不能早于 12 小时以前，签到不能早于签到开放时间",
    )


class CheckInRequest(RecordedAt):
    """Where the volunteer is (WGS-84); leave both out if the phone cannot tell. The venue code
    (活动签到码, read out by the community worker) counts as being on site."""

    lat: float | None = Field(default=None, ge=-90, le=90, description="纬度（WGS-84）")
    lng: float | None = Field(default=None, ge=-180, le=180, description="经度（WGS-84）")
    venue_code: Text(16) | None = Field(
        default=None, description="活动签到码（4 位数字，社区工作者告知或印在评价码单上）"
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"lat": 37.5401, "lng": 121.4003}, {"venue_code": "0427"}]}
    )

    @model_validator(mode="after")
    def _both_or_neither(self) -> CheckInRequest:
        if (self.lat is None) != (self.lng is None):
            raise ValueError("经纬度需同时填写")
        return self


class CheckOutRequest(RecordedAt):
    """签退; ``at`` only when the phone recorded it earlier (offline)."""


class Attendance(BaseModel):
    """One volunteer's place on an order through the day."""

    offer_id: int
    order_id: int
    volunteer_id: int
    volunteer_name: str = Field(default="", description="志愿者姓名")
    status: OfferStatus
    checked_in_at: datetime | None = Field(description="签到时间（服务器时间）")
    checked_out_at: datetime | None = Field(description="签退时间（服务器时间）")
    flags: list[str] = Field(
        description="标记：outside_geofence 签到超出范围；no_location 无定位；"
        "pending_confirmation 签到待社区确认（确认前不计时长）；check_in_confirmed 社区已确认签到；"
        "auto_checkout 未签退由系统按结束时间补签；confirmed_without_checkin 社区补录；"
        "venue_code 凭活动签到码签到"
    )


class CheckInResult(Attendance):
    distance_m: float | None = Field(description="签到位置距活动地点（米）")
    message: str = Field(description="给志愿者的提示")


class Roster(BaseModel):
    order_id: int
    order_status: OrderStatus
    items: list[Attendance]


class VolunteerHours(BaseModel):
    """The hours to record for one present volunteer, instead of what check-in/out gives."""

    volunteer_id: int = Field(ge=1, le=MAX_ID)
    hours: float = Field(ge=0, le=24, description="服务时长（小时，0–24）")


class CompletionRequest(BaseModel):
    """确认完成: who was there, their hours if they need correcting, and how many rating codes.

    Volunteers are named by ``volunteer_id``, as the attendance list (``GET …/attendance``)
    shows them. A volunteer who checked in counts as present unless named absent; one who did
    not is a no-show unless named present.
    """

    present_volunteer_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=200,
        description="到场的志愿者。未签到的按活动预定时长补录；已签到的可列出也可省略（按签到、签退计时）",
    )
    absent_volunteer_ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(
        default_factory=list,
        max_length=200,
        description="虽已签到但实际未服务的志愿者（记为未到场）",
    )
    hours: list[VolunteerHours] = Field(
        default_factory=list, max_length=200, description="更正到场志愿者的服务时长（可不填）"
    )
    rating_codes: int = Field(default=30, ge=0, le=500, description="生成的评价码数量")

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"present_volunteer_ids": [], "rating_codes": 40}]}
    )

    @model_validator(mode="after")
    def _one_hours_entry_each(self) -> CompletionRequest:
        named = [entry.volunteer_id for entry in self.hours]
        if len(named) != len(set(named)):
            raise ValueError("每位志愿者的服务时长只能填写一次")
        return self

    def hours_by_volunteer(self) -> dict[int, float]:
        return {entry.volunteer_id: entry.hours for entry in self.hours}


class ServiceRecordPublic(BaseModel):
    order_id: int
    order_title: str = ""
    volunteer_id: int
    hours: float = Field(description="服务时长（小时）")
    started_at: datetime
    ended_at: datetime
    flags: list[str]


class CompletionResult(BaseModel):
    order_id: int
    status: OrderStatus
    service_records: list[ServiceRecordPublic]
    no_show_volunteer_ids: list[int] = Field(description="记为未到场的志愿者")
    rating_codes: list[str] = Field(description="可打印发给居民的评价码")


class MyServiceRecords(BaseModel):
    items: list[ServiceRecordPublic]
    total: int
    total_hours: float = Field(description="累计服务时长（小时）")
    limit: int
    offset: int
