"""Request and response bodies of the offers API (接单)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.schemas_common import Id, Text
from service.vocab import OFFER_STATUS_LABELS, OfferStatus


class DeclineRequest(BaseModel):
    """婉拒 with a reason the community can read."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "当天有工作安排"}]})

    reason: Text(500, min_len=1, multiline=True) = Field(description="婉拒原因")


class WithdrawRequest(BaseModel):
    """Withdraw an acceptance before the activity starts."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "临时出差"}]})

    reason: Text(500, min_len=1, multiline=True) = Field(description="退出原因")


class InvitationWithdrawal(BaseModel):
    """The community withdraws an invitation still awaiting an answer; the volunteer is told why."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "已安排本社区志愿者"}]})

    reason: Text(500, min_len=1, multiline=True) = Field(
        default="社区撤回邀请", description="撤回原因（会告知志愿者）"
    )


class TeamAcceptRequest(BaseModel):
    """The leader names the team members who go."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"member_ids": [12, 15]}]})

    member_ids: list[Id] = Field(min_length=1, max_length=200, description="出队队员的志愿者编号")


class OfferPublic(BaseModel):
    """An offer (or acceptance) as the API shows it."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    order_id: int
    volunteer_id: int
    team_id: int | None
    status: OfferStatus
    status_label: str = ""
    score: float | None
    rank: int | None
    explanation: str | None = None
    offered_at: datetime
    expires_at: datetime | None
    responded_at: datetime | None
    decline_reason: str | None
    confirmed_at: datetime | None
    flags: list

    @model_validator(mode="before")
    @classmethod
    def _explanation(cls, value):
        parts = getattr(value, "score_parts", None) or []
        text = next((p.get("text") for p in parts if p.get("code") == "explanation"), None)
        if text is None:
            return value
        data = {name: getattr(value, name) for name in cls.model_fields if hasattr(value, name)}
        return {**data, "explanation": text}

    @model_validator(mode="after")
    def _label(self) -> OfferPublic:
        self.status_label = OFFER_STATUS_LABELS[self.status]
        return self


class MyOfferPublic(OfferPublic):
    """One of my offers, with what I need to know about the activity."""

    order_title: str
    order_starts_at: datetime
    order_ends_at: datetime
    venue_name: str
