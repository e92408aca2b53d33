"""Request and response bodies for identity: login, profile, tokens, users, registration."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from service.schemas_common import Id, Name, Password, PhoneNumber, Text
from service.vocab import Role, UserStatus


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def DigitCode(length: int):  # a type-like name: used in annotations
    """A code of ``length`` digits as texted or shown (spaces people type are dropped)."""

    def check(value: str) -> str:
        if len(value) != length or not value.isascii() or not value.isdigit():
            raise PydanticCustomError("code", "请输入 {length} 位数字验证码", {"length": length})
        return value

    return Annotated[
        str,
        BeforeValidator(lambda v: v.replace(" ", "") if isinstance(v, str) else v),
        AfterValidator(check),
        WithJsonSchema({"type": "string", "pattern": f"^[0-9]{{{length}}}$"}),
    ]


PHONE_CODE_LENGTH = 6


# ---------------------------------------------------------------- sessions and tokens


class LoginRequest(Strict):
    phone: PhoneNumber
    password: Password


class SessionPublic(BaseModel):
    """Returned at login; ``csrf_token`` goes into ``X-CSRF-Token`` on unsafe cookie requests."""

    user_id: int
    name: str
    roles: list[Role]
    csrf_token: str


TOKEN_MAX_DAYS = 366


class TokenCreate(Strict):
    name: Text(64, min_len=1)
    expires_in_days: Annotated[int, Field(ge=1, le=TOKEN_MAX_DAYS)] | None = Field(
        default=None, description="有效天数（1–366）；不填则一直有效，直到撤销"
    )


class TokenPublic(BaseModel):
    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None


class TokenCreated(TokenPublic):
    """The secret is shown exactly once; only its hash is stored."""

    token: str


# ---------------------------------------------------------------- profile


class GrantPublic(BaseModel):
    role: Role
    role_label: str
    area_id: int | None = None
    area_name: str | None = None
    team_id: int | None = None
    team_name: str | None = None


class MePublic(BaseModel):
    """The actor's own profile: their own full phone number is theirs to see."""

    user_id: int
    name: str
    phone: str
    status: UserStatus
    grants: list[GrantPublic]
    volunteer_id: int | None


class PasswordChange(Strict):
    current_password: Password
    new_password: Password


# ---------------------------------------------------------------- administration


class GrantIn(Strict):
    role: Role
    area_id: Id | None = None
    team_id: Id | None = None


class UserCreate(Strict):
    phone: PhoneNumber
    name: Name
    password: Password
    grants: list[GrantIn] = Field(default_factory=list, max_length=20)


class UserUpdate(Strict):
    name: Name | None = None
    status: UserStatus | None = None


class RolesUpdate(Strict):
    grants: list[GrantIn] = Field(max_length=20)


class PasswordReset(Strict):
    """Leave ``new_password`` empty to have a temporary password generated."""

    new_password: Password | None = None


class PasswordResetResult(BaseModel):
    user_id: int
    temporary_password: str | None


class UserPublic(BaseModel):
    """A user as an administrator sees them: the phone number masked."""

    id: int
    name: str
    phone_masked: str
    status: UserStatus
    created_at: datetime
    last_active_at: datetime | None
    grants: list[GrantPublic]


class UserPage(BaseModel):
    items: list[UserPublic]
    total: int
    limit: int
    offset: int


# ---------------------------------------------------------------- volunteer self-registration


class VolunteerRegistration(Strict):
    phone: PhoneNumber
    name: Name
    password: Password
    home_community_id: Id
    # Optional exact home; kept on the server, only distances are ever shown to others.
    home_lat: Annotated[float, Field(ge=-90, le=90, allow_inf_nan=False)] | None = None
    home_lng: Annotated[float, Field(ge=-180, le=180, allow_inf_nan=False)] | None = None
    radius_km: Annotated[float, Field(gt=0, le=200, allow_inf_nan=False)] = 5.0
    bio: Text(500, multiline=True) = ""


class RegistrationConfirm(Strict):
    """Step 2 of self-registration: the code texted to the number of step 1."""

    phone: PhoneNumber
    code: DigitCode(PHONE_CODE_LENGTH)


class RegistrationRejection(Strict):
    """Why a registration is declined: kept in the audit and told to the applicant."""

    reason: Text(200, min_len=1, multiline=True) = Field(
        description="不通过的原因（会以短信告知申请人，并记入审计日志）"
    )


class CodeSent(BaseModel):
    """The same answer whether or not the number is known (no phone oracle)."""

    message: str = Field(description="给申请人的提示")
    phone_masked: str
    expires_in_minutes: int


class RegistrationPublic(BaseModel):
    volunteer_id: int
    user_id: int
    name: str
    phone_masked: str
    home_area_id: int
    home_area_name: str
    status: str
    created_at: datetime


# ---------------------------------------------------------------- personal data


class PhoneRevealRequest(Strict):
    """Why the number is needed: the order the person accepted (not needed for oneself)."""

    order_id: Id | None = None


class PhoneRevealed(BaseModel):
    user_id: int
    phone: str


class AuditEntryPublic(BaseModel):
    id: int
    at: datetime
    action: str
    action_label: str
    actor_user_id: int | None
    target_user_id: int | None
    ip: str | None
    detail: dict
