"""A refusal's problem body speaks the request's language (Accept-Language): en or zh_CN."""

import pytest

from service.messages import negotiate_locale

LOOKUP = "/api/v1/demands/999999/lookup"
BODY = {"phone": "13812345678", "code": "00000000"}


async def test_the_same_refusal_answers_in_chinese_by_default_and_in_english_on_request(client):
    default = await client.post(LOOKUP, json=BODY)
    chinese = await client.post(LOOKUP, json=BODY, headers={"Accept-Language": "zh-CN,en;q=0.5"})
    english = await client.post(LOOKUP, json=BODY, headers={"Accept-Language": "en-US,en;q=0.9"})
    assert default.status_code == chinese.status_code == english.status_code == 404
    assert default.json() == chinese.json()
    assert default.json()["title"] == "未找到"
    assert default.json()["detail"] == "未找到该点单，请核对点单编号、手机号和查询码。"
    assert english.json()["title"] == "Not found"
    assert english.json()["detail"] == (
        "Request not found. Please check the request number, phone number and lookup code."
    )
    assert {k: v for k, v in english.json().items() if k not in {"title", "detail"}} == {
        k: v for k, v in default.json().items() if k not in {"title", "detail"}
    }


@pytest.mark.parametrize(
    ("header", "locale"),
    [
        (None, "zh_CN"),
        ("", "zh_CN"),
        ("en", "en"),
        ("en-US", "en"),
        ("EN_gb", "en"),
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en;q=0.4, zh;q=0.6", "zh_CN"),
        ("fr", "zh_CN"),
        ("fr, en;q=0.5", "en"),
        ("en;q=0", "zh_CN"),
        ("*", "zh_CN"),
        ("en;q=oops, zh-TW", "zh_CN"),
    ],
)
def test_accept_language_negotiation(header, locale):
    assert negotiate_locale(header) == locale
