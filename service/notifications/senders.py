"""How a queued notification leaves the building: one sender interface, pluggable channels.

A *sender* takes (notification, user) and raises on failure. A *transport* moves an already
formatted message (a dict) to the outside world: the log, or an HTTP webhook / SMS gateway.
The SMS and WeChat template-message adapters format for their channel and use a transport.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from typing import Protocol

import httpx

from service.masking import mask_phone
from service.models import Notification, User
from service.settings import Settings

log = logging.getLogger("kepu.notifications")

SIGNATURE_HEADER = "X-Kepu-Signature"
TIMESTAMP_HEADER = "X-Kepu-Timestamp"
SMS_MAX_CHARS = 70  # one Chinese SMS segment; longer texts cost several and get split badly


class DeliveryError(Exception):
    """The channel refused or could not be reached; the dispatcher retries later."""


class Sender(Protocol):
    async def send(self, notification: Notification, user: User) -> None: ...


class Transport(Protocol):
    async def post(self, message: dict) -> None: ...


def log_phone(phone: str | None) -> str:
    """A phone number as it may appear in a log: masked, or "-" when there is none."""
    return mask_phone(phone) or "-"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 over ``timestamp.body``; the receiver recomputes it to trust the call."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def generic_message(notification: Notification, user: User) -> dict:
    """The channel-neutral JSON shape of one notification."""
    return {
        "id": notification.id,
        "channel": notification.channel,
        "kind": notification.kind,
        "user_id": user.id,
        "demand_id": notification.demand_id,
        "to": user.phone,
        "title": notification.title,
        "body": notification.body,
        "payload": notification.payload or {},
    }


class LogSender:
    """Writes each message to the log (phone numbers masked): the development default."""

    async def send(self, notification: Notification, user: User) -> None:
        await self.post(generic_message(notification, user))

    async def post(self, message: dict) -> None:
        safe = {**message, "to": log_phone(message.get("to"))}
        if "touser" in safe:
            safe["touser"] = log_phone(str(safe["touser"]))
        log.info("notification %s", json.dumps(safe, ensure_ascii=False, default=str))


class WebhookSender:
    """POSTs signed JSON to a URL (a message hub, an SMS gateway); non-2xx raises."""

    def __init__(
        self,
        url: str,
        *,
        secret: str,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.url = url
        self.secret = secret
        self.timeout = timeout
        self.client = client  # tests pass one with a MockTransport

    async def send(self, notification: Notification, user: User) -> None:
        await self.post(generic_message(notification, user))

    async def post(self, message: dict) -> None:
        body = json.dumps(message, ensure_ascii=False, default=str).encode()
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(self.secret, timestamp, body),
        }
        try:
            if self.client is not None:
                response = await self.client.post(
                    self.url, content=body, headers=headers, timeout=self.timeout
                )
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.post(self.url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook unreachable: {type(error).__name__}") from error
        if response.status_code >= 300:
            raise DeliveryError(f"webhook answered {response.status_code}")


def sms_text(notification: Notification) -> str:
    """【科普点单】title：body, cut to one SMS segment; offers end with the reply instruction."""
    offer_id = (notification.payload or {}).get("offer_id")
    suffix = f" 回复Y {offer_id}接单，N {offer_id}谢绝" if offer_id else ""
    text = f"【科普点单】{notification.title}"
    if notification.body:
        text += f"：{notification.body}"
    room = SMS_MAX_CHARS - len(suffix)
    if len(text) > room:
        text = text[: room - 1] + "…"
    return text + suffix


class SmsAdapter:
    """Formats a notification as one SMS and hands it to the gateway transport."""

    def __init__(self, gateway: Transport) -> None:
        self.gateway = gateway

    async def send(self, notification: Notification, user: User) -> None:
        if not user.phone:
            raise DeliveryError("user has no phone number")
        await self.gateway.post(
            {
                "channel": "sms",
                "id": notification.id,
                "to": user.phone,
                "text": sms_text(notification),
            }
        )


class WechatTemplateAdapter:
    """Formats a notification as a WeChat template message (first / keyword / remark fields)."""

    def __init__(self, gateway: Transport, *, template_id: str = "kepu_generic") -> None:
        self.gateway = gateway
        self.template_id = template_id

    async def send(self, notification: Notification, user: User) -> None:
        payload = notification.payload or {}
        await self.gateway.post(
            {
                "channel": "wechat",
                "id": notification.id,
                # The gateway maps our user to an openid; we never store openids here.
                "touser": str(user.id),
                "template_id": self.template_id,
                "url": payload.get("url", ""),
                "data": {
                    "first": {"value": notification.title},
                    "keyword1": {"value": payload.get("order_title", notification.title)},
                    "keyword2": {"value": payload.get("starts_at", "")},
                    "remark": {"value": notification.body},
                },
            }
        )


class ChannelSender:
    """Picks the adapter for the notification's channel; other channels use the default."""

    def __init__(self, default: Sender, adapters: dict[str, Sender]) -> None:
        self.default = default
        self.adapters = adapters

    async def send(self, notification: Notification, user: User) -> None:
        sender = self.adapters.get(notification.channel, self.default)
        await sender.send(notification, user)


def build_sender(settings: Settings, *, client: httpx.AsyncClient | None = None) -> Sender:
    """The sender the settings ask for, with SMS and WeChat adapters on the same transport."""
    if settings.notification_sender == "webhook":
        transport: LogSender | WebhookSender = WebhookSender(
            settings.notification_webhook_url or "",
            secret=settings.notification_webhook_secret or settings.secret_key,
            timeout=settings.notification_webhook_timeout_seconds,
            client=client,
        )
    else:
        transport = LogSender()
    return ChannelSender(
        transport,
        {"sms": SmsAdapter(transport), "wechat": WechatTemplateAdapter(transport)},
    )
