"""点单 without an account: the form, refusals beside their fields, the receipt with the code,
the follow-up (one neutral "not found"), and 「我也想要」 on a community's open demands."""

from __future__ import annotations

import logging
import re

import pytest
import sqlalchemy as sa

from service.models import Demand
from tests.factories import make_area_tree, make_skill
from tests.loop_helpers import texted_code

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}
PHONE = "13812345678"


@pytest.fixture(autouse=True)
def _texts(caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', html).group(1)


async def arrange(session):
    _, _, community = await make_area_tree(session)
    domain = await make_skill(session, name="反诈")
    skill = await make_skill(session, name="电信诈骗识别", parent=domain)
    await session.commit()
    return community, skill


async def form(client, community, skill, headers=None, **fields):
    page = await client.get("/demand", headers=headers or {})
    data = {
        "csrf_token": csrf_of(page.text),
        "community_id": str(community.id),
        "skill_id": str(skill.id),
        "target_group": "elderly",
        "day": "2026-12-05",
        "part": "afternoon",
        "description": "小区老人多",
        "contact_phone": PHONE,
        **fields,
    }
    return await client.post("/demand", data=data, headers=headers or {})


async def count(session) -> int:
    await session.rollback()
    return await session.scalar(sa.select(sa.func.count()).select_from(Demand))


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_a_resident_orders_and_sees_the_number_and_code_once(client, session, clock, headers):
    community, skill = await arrange(session)
    page = await client.get("/demand", headers=headers)
    assert page.status_code == 200 and ("<html" in page.text) != bool(headers)
    assert "测试社区" in page.text and "电信诈骗识别" in page.text
    done = await form(client, community, skill, headers=headers)
    if headers:
        assert done.status_code == 204 and done.headers["HX-Redirect"] == "/demand/done"
    else:
        assert done.status_code == 303 and done.headers["location"] == "/demand/done"
    receipt = await client.get("/demand/done")
    assert receipt.status_code == 200
    demand = (await session.scalars(sa.select(Demand))).one()
    assert (demand.topic, demand.skill_id, demand.contact_phone) == (
        "电信诈骗识别",
        skill.id,
        PHONE,
    )
    # 14:00–16:00 in Shanghai is 06:00–08:00 UTC.
    assert (demand.preferred_start.hour, demand.preferred_end.hour) == (6, 8)
    number = re.search(r'id="receipt-number">(\d+)<', receipt.text).group(1)
    assert re.search(r'data-code="(\d{8})"', receipt.text)
    assert int(number) == demand.id and "查询码只显示这一次" in receipt.text
    english = await client.get("/demand/done", headers=EN)
    assert "Follow-up code" in english.text and "查询码" not in english.text


@pytest.mark.parametrize(
    ("fields", "field", "words"),
    [
        ({"contact_phone": ""}, "contact_phone", "请填写 11 位手机号"),
        ({"contact_phone": "12345"}, "contact_phone", "请填写 11 位手机号"),
        ({"community_id": ""}, "community_id", "请选择您所在的社区"),
        ({"skill_id": ""}, "skill_id", "请选择想听的主题"),
        ({"skill_id": "99999"}, "skill_id", "请选择想听的主题"),
        ({"target_group": "aliens"}, "target_group", "请选择活动面向谁"),
        ({"day": "2020-01-01"}, "day", "请选择明天或以后的日子"),
        ({"day": "yesterday"}, "day", "请选择一个日子"),
        ({"description": "x" * 2001}, "description", "2000"),
    ],
)
async def test_bad_input_is_said_beside_the_field_and_nothing_is_saved(
    client, session, fields, field, words
):
    community, skill = await arrange(session)
    page = await form(client, community, skill, **fields)
    assert page.status_code == 422
    error = re.search(rf'<small id="error-{field}" class="field-error">([^<]*)<', page.text)
    assert error and words in error.group(1)
    assert f'aria-describedby="error-{field}"' in page.text or "error-" + field in page.text
    assert 'value="小区老人多"' in page.text or "小区老人多" in page.text or field == "description"
    assert await count(session) == 0


async def test_an_empty_form_names_every_missing_field_at_once(client, session):
    """The phone is said with the community and the topic, not only on a second try."""
    community, skill = await arrange(session)
    page = await form(client, community, skill, community_id="", skill_id="", contact_phone="")
    assert page.status_code == 422
    for field in ("community_id", "skill_id", "contact_phone"):
        assert f'<small id="error-{field}" class="field-error">' in page.text
    assert await count(session) == 0


async def test_a_nul_byte_is_refused_without_saving(client, session):
    community, skill = await arrange(session)
    page = await form(client, community, skill, description="a\x00b")
    assert page.status_code == 422 and await count(session) == 0


async def test_a_community_that_is_not_one_is_refused_in_english(client, session):
    community, skill = await arrange(session)
    page = await form(client, community, skill, headers=EN, community_id="1")  # the district
    assert page.status_code == 422 and "Please choose" in page.text
    assert await count(session) == 0


async def test_the_receipt_without_its_cookie_offers_the_follow_up_form(client):
    page = await client.get("/demand/done")
    assert page.status_code == 200 and "这张回执已经过期" in page.text
    assert 'action="/demand/follow"' in page.text
    client.cookies.set("kepu_demand_receipt", "1.12345678.forged", path="/demand")
    forged = await client.get("/demand/done")
    assert "这张回执已经过期" in forged.text and "12345678" not in forged.text


async def submitted(client, session):
    community, skill = await arrange(session)
    await form(client, community, skill)
    receipt = (await client.get("/demand/done")).text
    number = re.search(r'id="receipt-number">(\d+)<', receipt).group(1)
    code = re.search(r'data-code="(\d{8})"', receipt).group(1)
    return community, int(number), code


async def follow(client, headers=None, **fields):
    page = await client.get("/demand/follow", headers=headers or {})
    data = {"csrf_token": csrf_of(page.text), **fields}
    return await client.post("/demand/follow", data=data, headers=headers or {})


@pytest.mark.parametrize("headers", [{}, HTMX, EN], ids=["page", "htmx", "en"])
async def test_follow_up_shows_the_status(client, session, headers):
    _, number, code = await submitted(client, session)
    page = await follow(client, headers, demand_id=str(number), phone=PHONE, code=code)
    assert page.status_code == 200 and ("<html" in page.text) != (headers is HTMX)
    if headers is EN:
        assert "The community has it and is considering it." in page.text
    else:
        assert "社区已收到，正在考虑。" in page.text and "电信诈骗识别" in page.text


@pytest.mark.parametrize("which", ["number", "phone", "code"])
async def test_a_wrong_combination_gets_one_neutral_not_found(client, session, which):
    _, number, code = await submitted(client, session)
    fields = {"demand_id": str(number), "phone": PHONE, "code": code}
    fields[{"number": "demand_id", "phone": "phone", "code": "code"}[which]] = {
        "number": str(number + 100), "phone": "13900000000", "code": "00000000"
    }[which]  # fmt: skip
    page = await follow(client, **fields)
    assert page.status_code == 404
    assert 'id="follow-refusal"' in page.text and "电信诈骗识别" not in page.text


async def test_follow_up_form_errors_are_beside_their_fields(client, session):
    page = await follow(client, demand_id="abc", phone="1", code="12")
    assert page.status_code == 422
    for field in ("demand_id", "phone", "code"):
        assert f'id="error-{field}"' in page.text


async def test_a_declined_demand_says_why(client, session, app, clock):
    from service.actor import Actor, RoleGrant
    from service.context import ActionContext
    from service.demands import service as demands
    from service.vocab import Role
    from tests.factories import make_user

    community, number, code = await submitted(client, session)
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    actor = Actor(user_id=worker.id, grants=(RoleGrant(Role.worker, community.id),))
    ctx = ActionContext(actor=actor, now=clock.now(), settings=app.state.settings)
    await demands.decline(session, ctx, demand_id=number, reason="本月已安排同主题讲座")
    await session.commit()
    page = await follow(client, demand_id=str(number), phone=PHONE, code=code)
    assert "这次社区没能采纳您的点单。" in page.text and "本月已安排同主题讲座" in page.text


async def vote(client, url, page_url, phone, code=None):
    page = await client.get(page_url)
    data = {"csrf_token": csrf_of(page.text), "phone": phone}
    if code:
        data["code"] = code
    return await client.post(url, data=data)


@pytest.mark.parametrize("headers", [{}, HTMX, EN], ids=["page", "htmx", "en"])
async def test_community_demands_page(client, session, headers):
    community, number, _ = await submitted(client, session)
    page = await client.get(f"/communities/{community.id}/demands", headers=headers)
    assert page.status_code == 200 and ("<html" in page.text) != (headers is HTMX)
    assert "电信诈骗识别" in page.text and f'id="demand-{number}"' in page.text
    assert ("Me too" if headers is EN else "我也想要") in page.text


async def test_me_too_counts_once_per_phone(client, session, caplog):
    community, number, _ = await submitted(client, session)
    page_url = f"/communities/{community.id}/demands"
    url = f"{page_url}/{number}/upvote"
    asked = await vote(client, url, page_url, "13900001111")
    assert asked.status_code == 200 and "验证码已经用短信发到 139****1111" in asked.text
    wrong = await vote(client, url, page_url, "13900001111", "000000")
    assert wrong.status_code == 422 and 'id="error-code"' in wrong.text
    await vote(client, url, page_url, "13900001111")
    done = await vote(client, url, page_url, "13900001111", texted_code(caplog))
    assert done.status_code == 303
    assert done.headers["location"] == f"{page_url}?voted={number}&counted=1#demand-{number}"
    shown = await client.get(done.headers["location"])
    assert "已经记下了，谢谢！现在一共 1 人想要。" in shown.text
    await vote(client, url, page_url, "13900001111")
    again = await vote(client, url, page_url, "13900001111", texted_code(caplog))
    assert again.headers["location"].endswith("counted=0#demand-" + str(number))
    said = await client.get(again.headers["location"])
    assert "这个手机号以前已经算过了" in said.text and "1 人想要" in said.text


async def test_me_too_needs_a_phone_and_stays_in_its_community(client, session):
    community, number, _ = await submitted(client, session)
    page_url = f"/communities/{community.id}/demands"
    bad = await vote(client, f"{page_url}/{number}/upvote", page_url, "")
    assert bad.status_code == 422 and 'id="error-phone"' in bad.text
    other = await vote(client, f"/communities/1/demands/{number}/upvote", page_url, PHONE)
    assert other.status_code == 404
    assert (await client.get("/communities/987654/demands")).status_code == 404
