"""SMS replies from volunteers without a smartphone: "Y"/"N" (optionally with the offer code).

The gateway signs each call (HMAC-SHA256 over ``timestamp.body``); a reply accepts or declines
through the offers service, exactly as the app would, on behalf of the volunteer who sent it.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth import repository as auth_repository
from service.context import ActionContext
from service.errors import AppError, Forbidden
from service.notifications.senders import sign
from service.offers import repository as repo
from service.offers import service as offers_service
from service.orders import repository as orders_repo
from service.vocab import UserStatus

ACCEPT_WORDS = {"Y", "是", "1", "YES", "接"}
DECLINE_WORDS = {"N", "否", "2", "NO", "拒"}
_REPLY = re.compile(r"^\s*(?P<word>[A-Za-z]+|[是否接拒]|[12](?=\s|$))\s*(?P<code>\d{1,9})?\s*$")
HELP = "回复「Y 邀请编号」接单，「N 邀请编号」谢绝；只回 Y 或 N 则处理您最近的一条邀请。"


class Outcome(StrEnum):
    accepted = "accepted"
    declined = "declined"
    refused = "refused"  # the offers service said no (full, expired, time clash …)
    unknown_phone = "unknown_phone"
    no_open_offer = "no_open_offer"
    not_understood = "not_understood"


@dataclass(frozen=True)
class SmsResult:
    outcome: Outcome
    reply: str  # what the gateway texts back to the volunteer
    offer_id: int | None = None


def verify_signature(
    *, secret: str | None, timestamp: str, signature: str, body: bytes, now: datetime, max_skew: int
) -> None:
    """Refuse (403) unless the call is signed with our secret and is recent."""
    if not secret:
        raise Forbidden("短信回复通道未配置密钥，已拒绝。", code="sms_not_configured")
    try:
        sent_at = int(timestamp)
    except ValueError:
        raise Forbidden("短信回复签名无效。", code="bad_signature") from None
    if abs(now.timestamp() - sent_at) > max_skew:
        raise Forbidden("短信回复已过期（时间戳超出允许范围）。", code="stale_timestamp")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip().lower()):
        raise Forbidden("短信回复签名无效。", code="bad_signature")


def parse_reply(text: str) -> tuple[bool, int | None] | None:
    """(accept?, offer code) from a reply like "Y", "n 1234", "是1234"; None if not understood."""
    match = _REPLY.match(text.replace("\u3000", " "))
    if not match:
        return None
    word = match["word"].upper()
    code = int(match["code"]) if match["code"] else None
    if word in ACCEPT_WORDS:
        return True, code
    if word in DECLINE_WORDS:
        return False, code
    return None


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw)
    return digits.removeprefix("+86").removeprefix("0086")


async def handle_reply(
    session: AsyncSession, *, phone: str, text: str, now: datetime, settings, request_id=None
) -> SmsResult:
    """Accept or decline the volunteer's offer; every outcome is an answer, never an error."""
    user = await auth_repository.user_by_phone(session=session, phone=normalize_phone(phone))
    volunteer_id = (
        await auth_repository.volunteer_id_of(session=session, user_id=user.id) if user else None
    )
    if user is None or volunteer_id is None or user.status != UserStatus.active:
        return SmsResult(Outcome.unknown_phone, "未找到该手机号对应的志愿者，请联系社区。")
    parsed = parse_reply(text)
    if parsed is None:
        return SmsResult(Outcome.not_understood, HELP)
    accept, code = parsed
    offer = await repo.open_offer_of(session=session, volunteer_id=volunteer_id, code=code, now=now)
    if offer is None:
        which = f"编号 {code} 的" if code is not None else ""
        return SmsResult(Outcome.no_open_offer, f"没有找到您{which}待回复的邀请。")
    actor = Actor(
        user_id=user.id,
        name=user.name,
        phone=user.phone,
        grants=await auth_repository.grants_of(session=session, user_id=user.id),
        volunteer_id=volunteer_id,
        via_token=True,
    )
    ctx = ActionContext(actor=actor, now=now, settings=settings, request_id=request_id)
    order_title = await orders_repo.title_of(session=session, order_id=offer.order_id)
    try:
        # A savepoint: a refusal must leave nothing half-done in the request's transaction.
        async with session.begin_nested():
            if accept:
                await offers_service.accept_offer(session, ctx, offer_id=offer.id)
            else:
                await offers_service.decline_offer(
                    session, ctx, offer_id=offer.id, reason="短信回复谢绝"
                )
    except AppError as refusal:
        return SmsResult(Outcome.refused, f"未能处理：{refusal.detail}", offer.id)
    if accept:
        return SmsResult(Outcome.accepted, f"已接单「{order_title}」，感谢！", offer.id)
    return SmsResult(Outcome.declined, f"已谢绝「{order_title}」，我们会邀请其他志愿者。", offer.id)
