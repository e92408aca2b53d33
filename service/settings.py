"""One settings object, read from the environment (prefix ``KEPU_``) and an optional ``.env``."""

from __future__ import annotations

import importlib.util
import ipaddress
import sys
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AliasChoices, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEV_SECRET = "dev-only-secret-change-me"
DEV_ORIGIN = "http://127.0.0.1:8000"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class Settings(BaseSettings):
    """Runtime configuration; every field is overridable as ``KEPU_<NAME>``."""

    model_config = SettingsConfigDict(
        env_prefix="KEPU_", env_file=".env", extra="ignore", validate_default=True
    )

    env: Environment = Environment.development
    database_url: Annotated[
        str,
        Field(validation_alias=AliasChoices("KEPU_DATABASE_URL", "DATABASE_URL")),
    ] = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'kepu.db'}"
    secret_key: str = DEV_SECRET
    timezone: str = "Asia/Shanghai"
    # Database pool and lock waits: a waiting request must give up with 503, not hang.
    db_pool_size: Annotated[int, Field(ge=1, le=200)] = 10
    db_lock_timeout_ms: Annotated[int, Field(ge=100, le=60_000)] = 5_000
    # Sessions and cookies
    cookie_secure: bool = False
    session_idle_minutes: Annotated[int, Field(ge=5)] = 120
    session_absolute_hours: Annotated[int, Field(ge=1)] = 24 * 7
    login_max_failures: Annotated[int, Field(ge=1)] = 5
    login_window_minutes: Annotated[int, Field(ge=1)] = 15
    redis_url: str | None = None
    redis_key_prefix: str = "kepu:"  # namespace for keys in a shared Redis
    # Identity and security baseline (service/auth, service/web/security.py)
    login_ip_max_failures: Annotated[int, Field(ge=1)] = 30  # per IP: NAT puts many behind one
    session_touch_seconds: Annotated[int, Field(ge=0)] = (
        60  # last_seen_at is written at most this often
    )
    password_min_length: Annotated[int, Field(ge=10, le=128)] = 10
    # Devices that logged in before pass the per-account lock with the right password.
    device_cookie_days: Annotated[int, Field(ge=1, le=3650)] = 365
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed: IPs or CIDRs, comma separated.
    trusted_proxies: str = ""
    # The site's own origin (scheme://host[:port]) for absolute URLs; never the Host header.
    public_origin: str | None = None
    max_body_bytes: Annotated[int, Field(ge=1024)] = 10 * 1024 * 1024
    hsts_seconds: Annotated[int, Field(ge=0)] = 365 * 24 * 3600
    # One-time codes sent to phones (registration, anonymous votes) and guessable look-ups:
    # each code lives this long and dies after this many wrong tries; the sliding window of
    # KEPU_LOGIN_WINDOW_MINUTES limits attempts per target (number, demand) and per IP.
    phone_code_minutes: Annotated[int, Field(ge=1, le=60)] = 10
    phone_code_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    phone_target_max_attempts: Annotated[int, Field(ge=1)] = 5
    phone_ip_max_attempts: Annotated[int, Field(ge=1)] = 30
    demand_upvote_max_attempts: Annotated[int, Field(ge=1)] = 300  # per demand and window
    # Dispatch
    offer_expiry_minutes: Annotated[int, Field(ge=1)] = 120
    travel_buffer_minutes: Annotated[int, Field(ge=0, le=600)] = 30
    default_max_distance_km: Annotated[float, Field(gt=0, le=500)] = 10.0
    targeted_offer_count: Annotated[int, Field(ge=1, le=100)] = 3
    # Candidate previews (no location oracle, issue #12): areas have centroids but no polygons,
    # so a previewed point must be a saved venue of the community or lie within this radius of
    # the community's centroid; each person may preview this often per KEPU_LOGIN_WINDOW_MINUTES.
    preview_area_radius_km: Annotated[float, Field(gt=0, le=50)] = 3.0
    preview_max_per_window: Annotated[int, Field(ge=1)] = 60
    # Candidates come from this process's in-memory index (service.dispatch.live_index), kept
    # fresh from the change log; "database" reads them row by row instead (the exact reference
    # path, kept for comparison: it is ~1,000× slower at 100k volunteers). The index is built at
    # start-up in the background (/healthz says so) and rebuilt this often, because the hours of
    # the last 30 days change with time alone.
    candidate_source: Literal["index", "database"] = "index"
    candidate_index_rebuild_minutes: Annotated[float, Field(gt=0)] = 60.0
    candidate_index_warm_start: bool = True
    reminder_hours_before: Annotated[int, Field(ge=1, le=168)] = 24
    # A volunteer reminded late (accepted inside the reminder window) gets this long to confirm
    # before the community is told; see service.background.worker.send_reminders.
    confirm_grace_minutes: Annotated[int, Field(ge=0, le=1440)] = 60
    geofence_meters: Annotated[float, Field(gt=0)] = 500.0
    check_in_opens_minutes_before: Annotated[
        int,
        Field(
            ge=0,
            le=1440,
            validation_alias=AliasChoices(
                "KEPU_CHECKIN_OPENS_MINUTES",
                "KEPU_CHECK_IN_OPENS_MINUTES_BEFORE",  # the earlier name still works
                "check_in_opens_minutes_before",
            ),
        ),
    ] = 30
    # Rating-code look-ups and ratings per IP within the login window (codes are guessable).
    rating_code_max_attempts: Annotated[int, Field(ge=1)] = 30
    worker_interval_seconds: Annotated[float, Field(gt=0)] = 30.0
    run_worker_in_process: bool = True
    # Personal data (PIPL): inactive residents' phone numbers are erased after this many days.
    phone_retention_days: Annotated[int, Field(ge=1)] = 365
    # Geocoding: "offline" uses saved venues and area centroids only.
    geocoder: str = "offline"
    baidu_ak: str | None = None
    # Notifications
    notification_sender: str = "log"
    notification_webhook_url: str | None = None
    sms_inbound_secret: str | None = None
    sms_inbound_max_skew_seconds: Annotated[int, Field(ge=1, le=3600)] = 300
    # Signs webhook calls (X-Kepu-Signature); falls back to secret_key when unset.
    notification_webhook_secret: str | None = None
    notification_webhook_timeout_seconds: Annotated[float, Field(gt=0, le=60)] = 5.0
    # Retries: wait backoff * 2^(attempt-1), capped; after max attempts the row is "dead".
    notification_max_attempts: Annotated[int, Field(ge=1, le=20)] = 6
    notification_backoff_seconds: Annotated[float, Field(gt=0)] = 60.0
    notification_backoff_max_seconds: Annotated[float, Field(gt=0)] = 3600.0
    # A claimed row is retried by another process if its sender has not reported by then.
    notification_claim_seconds: Annotated[float, Field(gt=0)] = 300.0
    notification_batch_size: Annotated[int, Field(ge=1, le=1000)] = 50
    # At most one notification per (order, volunteer, kind) within this many minutes; 0 = off.
    notification_dedupe_minutes: Annotated[int, Field(ge=0, le=1440)] = 30
    # Coordinator insight (issue #13)
    # Map tiles: "none" draws the offline view (the area's communities as points and outlines);
    # "osm" (WGS-84), "tianditu" (CGCS2000 ≈ WGS-84, needs map_tiles_key) or "amap" (GCJ-02:
    # points are shifted to match the tiles).
    map_tiles: Literal["none", "osm", "tianditu", "amap"] = "none"
    map_tiles_key: str | None = None
    # 优秀科技志愿者: at least this many activities and hours in the reported year.
    excellent_min_activities: Annotated[int, Field(ge=1, le=1000)] = 10
    excellent_min_hours: Annotated[float, Field(gt=0, le=10_000)] = 20.0
    # The organisation named on 志愿服务记录证明 as their issuer.
    certificate_issuer: str = "烟台市芝罘区科学技术协会"
    # Test-only: switches off the slot guard so the race test can prove it detects overbooking.
    unsafe_disable_slot_guard: bool = False

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// "
                f"(got {value.split(':', 1)[0]!r})"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # "Asia" is a directory
            raise ValueError(
                f"unknown time zone {value!r} (an IANA name such as Asia/Shanghai)"
            ) from None
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_installed(cls, value: str | None) -> str | None:
        # redis is an optional extra; without it the first login would fail, so fail at start-up.
        if value and importlib.util.find_spec("redis") is None:
            raise ValueError("needs the redis package: pip install 'kepu-dispatch[redis]'")
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: str) -> str:
        for item in _split_list(value):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"{item!r} is not an IP address or network (e.g. 10.0.0.1 or 10.0.0.0/8)"
                ) from None
        return ",".join(_split_list(value))

    @field_validator("public_origin")
    @classmethod
    def _origin_only(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if (
            parts.scheme not in {"http", "https"}
            or not parts.hostname
            or parts.path not in {"", "/"}
            or parts.query
            or parts.fragment
            or parts.username
        ):
            raise ValueError("must be an origin such as https://kepu.example.cn (no path)")
        return f"{parts.scheme}://{parts.netloc}"

    @field_validator("geocoder")
    @classmethod
    def _known_geocoder(cls, value: str) -> str:
        if value not in {"offline", "nominatim", "baidu"}:
            raise ValueError("must be one of offline, nominatim, baidu")
        return value

    @field_validator("notification_sender")
    @classmethod
    def _known_sender(cls, value: str) -> str:
        if value not in {"log", "webhook"}:
            raise ValueError("must be one of log, webhook")
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        if self.env is Environment.production:
            if self.secret_key == DEV_SECRET or len(self.secret_key) < 32:
                raise ValueError(
                    "KEPU_SECRET_KEY must be set to a random value of 32+ characters in production"
                )
            if not self.public_origin:
                raise ValueError(
                    "KEPU_PUBLIC_ORIGIN must be set in production (e.g. https://kepu.example.cn)"
                )
            if self.unsafe_disable_slot_guard:
                raise ValueError("KEPU_UNSAFE_DISABLE_SLOT_GUARD is for tests only")
        if self.geocoder == "baidu" and not self.baidu_ak:
            raise ValueError("KEPU_BAIDU_AK is required when KEPU_GEOCODER=baidu")
        if self.notification_sender == "webhook" and not self.notification_webhook_url:
            raise ValueError("KEPU_NOTIFICATION_WEBHOOK_URL is required for the webhook sender")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def trusted_proxy_list(self) -> list[str]:
        return _split_list(self.trusted_proxies)

    @property
    def origin(self) -> str:
        """The public origin absolute URLs are built from (a local default in development)."""
        return (self.public_origin or DEV_ORIGIN).rstrip("/")


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def describe_error(error: ValidationError) -> str:
    """One line per bad setting: which variable, and why."""
    lines = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item["loc"])
        name = loc.upper() if loc else "settings"
        name = name if name.startswith("KEPU_") or not loc else f"KEPU_{name}"
        message = item["msg"].removeprefix("Value error, ")
        lines.append(f"配置错误 / configuration error: {name}: {message}")
    return "\n".join(lines)


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; exits with a one-line reason when a value is malformed."""
    try:
        return Settings()
    except ValidationError as error:
        print(describe_error(error), file=sys.stderr)
        raise SystemExit(2) from None
