"""Request and response shapes of 点单 (demands)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.auth.schemas import PHONE_CODE_LENGTH, DigitCode
from service.schemas_common import Id, Instant, PhoneNumber, Text
from service.vocab import DemandStatus, TargetGroup

FOLLOW_UP_CODE_LENGTH = 8


class DemandBase(BaseModel):
    community_id: Id = Field(description="社区/村的区域 id")
    skill_id: Id | None = Field(default=None, description="想要的技能（可不填）")
    topic: Text(100, min_len=1) = Field(description="想要的主题，如「老年人防诈骗讲座」")
    target_group: TargetGroup = Field(description="面向人群")
    description: Text(2000, multiline=True) = Field(default="", description="补充说明")
    preferred_start: Instant | None = Field(default=None, description="希望开始时间")
    preferred_end: Instant | None = Field(default=None, description="希望结束时间")

    @model_validator(mode="after")
    def _window_in_order(self) -> DemandBase:
        if (
            self.preferred_start
            and self.preferred_end
            and self.preferred_end <= self.preferred_start
        ):
            raise ValueError("希望结束时间必须晚于开始时间")
        return self


class DemandCreate(DemandBase):
    """点单: what a resident (or a worker on their behalf) asks for."""

    contact_name: Text(64) = Field(default="", description="联系人称呼")
    contact_phone: PhoneNumber | None = Field(
        default=None, description="联系电话；未登录时必填，凭它查询进度"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "community_id": 3,
                    "topic": "老年人防范电信诈骗讲座",
                    "target_group": "elderly",
                    "description": "小区老人多，最近有人接到冒充公检法的电话。",
                    "preferred_start": "2026-12-05T01:00:00Z",
                    "preferred_end": "2026-12-05T03:00:00Z",
                    "contact_name": "王阿姨",
                    "contact_phone": "13812345678",
                }
            ]
        }
    )


class DemandPublic(BaseModel):
    """A demand as anyone may see it (no contact data)."""

    id: int
    community_id: int
    skill_id: int | None
    topic: str
    target_group: TargetGroup
    description: str
    preferred_start: datetime | None
    preferred_end: datetime | None
    status: DemandStatus
    status_label: str = Field(description="状态（中文）")
    merged_into_id: int | None = Field(description="已合并到的点单 id")
    order_id: int | None = Field(description="采纳后生成的活动 id")
    upvotes: int = Field(description="「我也想要」人数")
    created_at: datetime


class DemandForWorker(DemandPublic):
    """A demand in the community worker's inbox: with the contact, phone masked."""

    contact_name: str
    contact_phone_masked: str | None = Field(description="联系电话（部分隐藏）")
    decline_reason: str | None


class DemandSubmitted(BaseModel):
    demand: DemandPublic
    follow_up_code: str = Field(description="查询码：只显示这一次，凭手机号和查询码查询进度")
    message: str = Field(description="给提交人的提示")


class ProgressLookup(BaseModel):
    """Both the contact phone and the follow-up code given at submission."""

    phone: PhoneNumber
    code: DigitCode(FOLLOW_UP_CODE_LENGTH) = Field(description="提交点单时显示的查询码")


class DemandProgress(BaseModel):
    """What a resident sees when looking up their own demand with its phone number."""

    id: int
    topic: str
    status: DemandStatus
    status_label: str
    decline_reason: str | None = Field(description="未采纳的原因")
    merged_into_id: int | None
    order_id: int | None
    order_title: str | None
    order_starts_at: datetime | None
    upvotes: int


class UpvoteRequest(BaseModel):
    """「我也想要」: a logged-in user needs nothing; an anonymous resident gives a phone, is
    texted a code, and sends the phone again with the code."""

    phone: PhoneNumber | None = Field(default=None, description="未登录时必填：每个手机号只计一次")
    code: DigitCode(PHONE_CODE_LENGTH) | None = Field(
        default=None, description="未登录时：短信收到的验证码（不填则发送验证码）"
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"phone": "13912345678"}]})


class UpvoteResult(BaseModel):
    demand_id: int = Field(description="计票的点单（合并后为目标点单）")
    upvotes: int
    counted: bool = Field(description="本次是否计入（重复点赞不重复计数）")


class AdoptDemand(BaseModel):
    """Turn a demand into a draft order; unset fields come from the demand and its community."""

    title: Text(100, min_len=1) | None = Field(default=None, description="活动标题，默认为点单主题")
    starts_at: Instant | None = Field(default=None, description="默认为希望开始时间")
    ends_at: Instant | None = Field(default=None, description="默认为开始后两小时")
    venue_id: Id | None = Field(default=None, description="已保存场地的编号")
    venue_name: Text(100) = Field(default="", description="活动地点名称")
    venue_address: Text(200) = Field(default="", description="活动地址")
    venue_lat: float | None = Field(
        default=None, ge=-90, le=90, description="纬度（WGS-84）；不填则用社区中心"
    )
    venue_lng: float | None = Field(default=None, ge=-180, le=180, description="经度（WGS-84）")
    slots: int = Field(default=1, ge=1, le=200, description="需要的志愿者人数")
    skill_ids: list[Id] | None = Field(
        default=None, max_length=20, description="所需技能，默认为点单所选技能"
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "防范电信诈骗讲座", "venue_name": "社区活动室", "slots": 2}]
        }
    )

    @model_validator(mode="after")
    def _window_in_order(self) -> AdoptDemand:
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValueError("结束时间必须晚于开始时间")
        if (self.venue_lat is None) != (self.venue_lng is None):
            raise ValueError("经纬度需同时填写")
        return self


class DemandAdopted(BaseModel):
    demand: DemandForWorker
    order_id: int = Field(description="新建的活动草稿 id")


class DeclineDemand(BaseModel):
    reason: Text(500, min_len=2, multiline=True) = Field(description="未采纳的原因，提交人可见")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"reason": "本月已安排同主题讲座，欢迎参加 12 月 5 日的活动。"}]
        }
    )


class MergeDemand(BaseModel):
    into_demand_id: Id = Field(description="合并到的点单 id（同一社区）")
