"""Senders: the log masks phones, the webhook signs and raises, adapters format per channel."""

import json
import logging

import httpx
import pytest

from service.masking import mask_phone
from service.models import Notification, User
from service.notifications.senders import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    ChannelSender,
    DeliveryError,
    LogSender,
    SmsAdapter,
    WebhookSender,
    WechatTemplateAdapter,
    build_sender,
    log_phone,
    sign,
    sms_text,
)
from service.settings import Settings

USER = User(id=7, phone="13812345678", name="王阿姨")


def notification(**fields) -> Notification:
    values = {"id": 1, "user_id": 7, "kind": "offer", "title": "新的活动邀请", "body": "周六上午"}
    return Notification(**{**values, **fields})


class Recorder:
    def __init__(self):
        self.messages = []

    async def post(self, message):
        self.messages.append(message)


def test_mask_phone_keeps_only_the_ends():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(None) is None
    assert mask_phone("123") == "***"


def test_a_log_shows_a_dash_for_a_missing_number():
    assert log_phone(None) == "-"
    assert log_phone("13812345678") == "138****5678"


async def test_log_sender_never_writes_the_full_phone(caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    await LogSender().send(notification(), USER)
    assert "13812345678" not in caplog.text
    assert "138****5678" in caplog.text
    assert "新的活动邀请" in caplog.text


async def test_webhook_posts_signed_json():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    sender = WebhookSender("http://hub.test/notify", secret="s3cret", client=client)
    await sender.send(notification(), USER)
    request = seen[0]
    body = json.loads(request.content)
    assert body["to"] == "13812345678" and body["title"] == "新的活动邀请"
    timestamp = request.headers[TIMESTAMP_HEADER]
    assert request.headers[SIGNATURE_HEADER] == sign("s3cret", timestamp, request.content)


@pytest.mark.parametrize("status", [400, 500, 503])
async def test_webhook_raises_on_a_refusal(status):
    client = httpx.AsyncClient(transport=httpx.MockTransport(lambda _: httpx.Response(status)))
    with pytest.raises(DeliveryError, match=str(status)):
        await WebhookSender("http://hub.test/", secret="x", client=client).send(
            notification(), USER
        )


async def test_webhook_raises_when_unreachable():
    def refuse(request):
        raise httpx.ConnectError("refused", request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    with pytest.raises(DeliveryError, match="unreachable"):
        await WebhookSender("http://hub.test/", secret="x", client=client).send(
            notification(), USER
        )


def test_sms_text_fits_one_segment_and_ends_with_the_reply_code():
    text = sms_text(notification(body="很长的说明" * 40, payload={"offer_id": 42}))
    assert len(text) <= 70
    assert text.startswith("【科普点单】新的活动邀请")
    assert text.endswith("回复Y 42接单，N 42谢绝")


async def test_sms_adapter_sends_text_to_the_phone():
    gateway = Recorder()
    await SmsAdapter(gateway).send(notification(), USER)
    assert gateway.messages == [
        {
            "channel": "sms",
            "id": 1,
            "to": "13812345678",
            "text": "【科普点单】新的活动邀请：周六上午",
        }
    ]


async def test_wechat_adapter_builds_a_template_message():
    gateway = Recorder()
    await WechatTemplateAdapter(gateway).send(notification(payload={"order_title": "急救课"}), USER)
    message = gateway.messages[0]
    assert message["channel"] == "wechat" and message["touser"] == "7"
    assert message["data"]["keyword1"] == {"value": "急救课"}
    assert message["data"]["remark"] == {"value": "周六上午"}


async def test_channel_sender_routes_by_channel():
    sms, default = Recorder(), Recorder()
    sender = ChannelSender(LogSender(), {"sms": SmsAdapter(sms)})
    sender.default = SmsAdapter(default)  # any sender will do as the default
    await sender.send(notification(channel="sms"), USER)
    await sender.send(notification(channel="inapp"), USER)
    assert len(sms.messages) == 1 and len(default.messages) == 1


async def test_build_sender_uses_the_webhook_when_configured():
    seen = []
    client = httpx.AsyncClient(
        transport=httpx.MockTransport(lambda request: seen.append(request) or httpx.Response(200))
    )
    settings = Settings(
        env="test",
        notification_sender="webhook",
        notification_webhook_url="http://hub.test/in",
        notification_webhook_secret="k",
        _env_file=None,
    )
    await build_sender(settings, client=client).send(notification(channel="sms"), USER)
    assert json.loads(seen[0].content)["channel"] == "sms"
    assert str(seen[0].url) == "http://hub.test/in"
