"""Validation errors (422) speak the reader's language, in problem bodies and on forms: the
rule broken, with the field's own constraint, instead of pydantic's English."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel, Field, ValidationError

from service.messages import Message
from service.web.errors import describe_validation, validation_message
from tests.factories import make_area_tree
from tests.service.auth.helpers import client_for

REGISTER = "/api/v1/volunteers/register"
EN = {"Accept-Language": "en"}


async def _registration(session) -> dict:
    _, _, community = await make_area_tree(session)
    await session.commit()
    return {
        "phone": "13512345678", "name": "李", "password": "long-enough-1",
        "home_community_id": community.id,
    }  # fmt: skip


# body change → (field, Chinese message, English message)
CASES = {
    "missing": ({"name": None}, "name", "请填写这一项。", "Please fill this in."),
    "string_too_long": ({"bio": "长" * 501}, "bio", "长度不能超过 500 个字符。",
                        "Enter at most 500 characters."),
    "greater_than": ({"radius_km": 0}, "radius_km", "必须大于 0。", "Must be more than 0."),
    "less_than_equal": ({"radius_km": 500}, "radius_km", "不能大于 200。", "Must be at most 200."),
    "greater_than_equal": ({"home_lat": -91, "home_lng": 121.4}, "home_lat", "不能小于 -90。",
                           "Must be at least -90."),
    "int_parsing": ({"home_community_id": "五"}, "home_community_id", "请输入整数。",
                    "Enter a whole number."),
    "phone": ({"phone": "12345"}, "phone", "请输入有效的中国大陆手机号（11 位数字，以 1 开头）",
              "Enter a valid mainland China mobile number (11 digits, starting with 1)."),
    "extra_forbidden": ({"nickname": "x"}, "nickname", "不接受这一项。",
                        "This field is not accepted."),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
async def test_an_api_validation_error_in_chinese_and_in_english(app, session, case):
    body = await _registration(session)
    change, field, chinese, english = CASES[case]
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    async with client_for(app) as http:
        zh = await http.post(REGISTER, json=body)
        en = await http.post(REGISTER, json=body, headers=EN)
    assert zh.status_code == en.status_code == 422
    zh_body, en_body = zh.json(), en.json()
    assert zh_body["title"] == "输入有误" and en_body["title"] == "Invalid input"
    assert f"{field}：{chinese}" in zh_body["detail"]
    assert f"{field}: {english}" in en_body["detail"]
    mine = [e for e in en_body["errors"] if e["loc"][-1] == field]
    assert mine and mine[0]["msg"] == english and mine[0]["loc"][0] == "body"
    assert "Input should" not in zh.text + en.text and "Field required" not in zh.text + en.text


async def test_a_query_parameter_error_and_an_unparsable_body(client):
    zh = await client.get("/api/v1/demands?limit=abc")
    en = await client.get("/api/v1/demands?limit=abc", headers=EN)
    assert zh.status_code == en.status_code == 422
    assert "query.limit：请输入整数。" in zh.json()["detail"]
    assert "query.limit: Enter a whole number." in en.json()["detail"]
    broken = await client.post(
        "/api/v1/auth/login",
        content=b'{"phone": ',
        headers={"Content-Type": "application/json", **EN},
    )
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["detail"]


async def test_the_input_layers_own_refusals_are_said_in_english_too(client):
    surrogate = await client.post(
        "/api/v1/auth/login",
        content=b'{"phone": "13512345678", "password": "\\ud800"}',
        headers={"Content-Type": "application/json", **EN},
    )
    assert surrogate.status_code == 422
    assert not re.search(r"[\u4e00-\u9fff]", surrogate.json()["detail"]), surrogate.json()


async def test_a_form_says_what_is_wrong_in_the_readers_language(app, session):
    body = await _registration(session)
    async with client_for(app) as http:
        page = await http.get("/register")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
        form = {**body, "home_community_id": str(body["home_community_id"]), "csrf_token": token}
        form |= {"radius_km": "0", "name": ""}
        zh = await http.post("/register", data=form)
        en = await http.post("/register", data=form, headers=EN)
        http.cookies.set("kepu_lang", "en")
        switched = await http.post("/register", data=form)
    assert zh.status_code == en.status_code == switched.status_code == 422
    assert '<small class="field-error" id="radius_km-error">必须大于 0。</small>' in zh.text
    assert '<small class="field-error" id="name-error">请填写这一项。</small>' in zh.text
    for english in (en, switched):
        assert '<small class="field-error" id="radius_km-error">Must be more than 0.</small>' in (
            english.text
        )
        assert "Please fill this in." in english.text


class _Sample(BaseModel):
    count: int = Field(ge=1, le=10)
    ratio: float = Field(gt=0.5)
    tags: list[str] = Field(min_length=2)
    kind: str = Field(pattern=r"^[a-z]+$")


def _errors(**values) -> list[dict]:
    try:
        _Sample.model_validate({"count": 5, "ratio": 1, "tags": ["a", "b"], "kind": "a", **values})
    except ValidationError as error:
        return error.errors()
    return []


@pytest.mark.parametrize(
    ("values", "chinese", "english"),
    [
        ({"count": 0}, "不能小于 1。", "Must be at least 1."),
        ({"count": 11}, "不能大于 10。", "Must be at most 10."),
        ({"ratio": 0.5}, "必须大于 0.5。", "Must be more than 0.5."),
        ({"tags": ["a"]}, "至少需要 2 项。", "At least 2 items are needed."),
        ({"kind": "A1"}, "格式不正确。", "This is not in the expected format."),
        ({"count": "x"}, "请输入整数。", "Enter a whole number."),
    ],
)
def test_pydantic_errors_become_catalogue_sentences(values, chinese, english):
    message = validation_message(_errors(**values)[0])
    assert isinstance(message, Message)
    assert message == chinese and message.in_locale("en") == english


def test_a_validators_own_chinese_sentence_is_translated_when_the_catalogue_knows_it():
    item = {
        "type": "value_error",
        "loc": ("ends_at",),
        "msg": "Value error, 结束时间必须晚于开始时间",
    }
    assert (
        describe_validation([item], "en") == "ends_at: The end time must be after the start time."
    )
    unknown = {"type": "value_error", "loc": (), "msg": "Value error, 一句没有编号的话"}
    assert describe_validation([unknown], "en") == "一句没有编号的话"  # shown as written
