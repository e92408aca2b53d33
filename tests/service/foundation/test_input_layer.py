"""The one input layer: hostile integers, nesting, characters and date-times are a 422, never a 500.

Each test is one finding of issue #12 ("what an outside attacker found"); every request here
answered 500 (or crashed the request guard) before the bounded types, the body guard, the text
type and the windowed date-time type existed.
"""

from __future__ import annotations

import json
import logging

import pytest
import sqlalchemy as sa

from service.models import User
from tests.service.auth.helpers import (
    PASSWORD,
    PASSWORD_HASH,
    browser,
    client_for,
    open_session_for,
)
from tests.service.auth.world import build_world

HUGE = (2**31, 2**63)


async def _as(app, settings, session, clock, user):
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


def _refused(response, *words: str) -> None:
    assert response.status_code == 422, response.text[:300]
    assert response.headers["content-type"].startswith("application/problem+json")
    for word in words:
        assert word in response.json()["detail"], response.json()["detail"]


# ---------------------------------------------------------------- oversized integers


@pytest.mark.parametrize("value", HUGE)
async def test_an_oversized_offset_is_refused_before_the_database(client, value):
    _refused(await client.get(f"/api/v1/demands?offset={value}"))


async def test_oversized_ids_in_query_and_body_are_refused(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    async with await _as(app, settings, session, clock, world.users["worker"]) as worker:
        for value in HUGE:
            _refused(await worker.get(f"/api/v1/orders?community_id={value}"))
            body = {
                "title": "讲座", "community_id": world.ids["community"], "venue_id": value,
                "starts_at": "2026-12-01T09:00:00+08:00", "ends_at": "2026-12-01T11:00:00+08:00",
                "skill_ids": [world.ids["skill"]],
            }  # fmt: skip
            _refused(await worker.post("/api/v1/orders", json=body))


@pytest.mark.parametrize("value", HUGE)
async def test_team_accept_refuses_oversized_member_ids_even_on_a_foreign_order(
    app, settings, session, clock, value
):
    world = await build_world(session, now=clock.now())
    async with await _as(app, settings, session, clock, world.users["team_leader"]) as leader:
        response = await leader.post(
            f"/api/v1/orders/{world.ids['order2']}/team-accept", json={"member_ids": [value]}
        )
    _refused(response)


# ---------------------------------------------------------------- deep nesting


@pytest.mark.parametrize("nested", ["[" * 1000 + "]" * 1000, '{"a":' * 1000 + "1" + "}" * 1000])
async def test_deeply_nested_json_is_refused_before_parsing_even_at_login(client, nested):
    response = await client.post(
        "/api/v1/auth/login", content=nested, headers={"Content-Type": "application/json"}
    )
    _refused(response, "嵌套过深")
    assert response.json()["code"] == "json_too_deep"


async def test_moderate_nesting_and_brackets_inside_strings_still_pass_the_guard(client):
    body = {"phone": "13800000000", "password": "[[[[" * 100, "x": [[[[[[1]]]]]]}
    response = await client.post("/api/v1/auth/login", json=body)
    assert response.json().get("code") != "json_too_deep"
    assert response.status_code < 500


# ---------------------------------------------------------------- lone surrogates and controls


async def test_a_lone_surrogate_in_the_login_password_is_refused(client):
    body = json.dumps({"phone": "13800000000", "password": "\ud800"})  # "\\ud800" on the wire
    response = await client.post(
        "/api/v1/auth/login", content=body, headers={"Content-Type": "application/json"}
    )
    _refused(response, "代理码位")


async def test_lone_surrogates_are_refused_in_names_titles_reasons_and_token_names(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    order, demand = world.ids["order"], world.ids["demand"]
    cases = {
        "worker": [
            ("post", "/api/v1/auth/tokens", {"name": "\ud800"}),
            ("patch", f"/api/v1/orders/{order}", {"title": "讲座\ud800"}),
            ("post", f"/api/v1/orders/{order}/cancel", {"reason": "\ud800"}),
            ("post", f"/api/v1/demands/{demand}/adopt", {"title": "\ud800"}),
            ("post", f"/api/v1/demands/{demand}/decline", {"reason": "原因\ud800"}),
        ],
        "volunteer": [("post", f"/api/v1/offers/{world.ids['offer']}/decline", {"reason": "\udfff"})],
        "admin": [("patch", f"/api/v1/admin/users/{world.users['resident'].id}", {"name": "\ud800"})],
    }  # fmt: skip
    for role, calls in cases.items():
        async with await _as(app, settings, session, clock, world.users[role]) as http:
            for method, url, body in calls:
                response = await http.request(
                    method.upper(), url, content=json.dumps(body),
                    headers={"Content-Type": "application/json"},
                )  # fmt: skip
                assert response.status_code == 422, (role, url, response.text[:200])
                assert "代理码位" in response.json()["detail"], (url, response.json()["detail"])


@pytest.mark.parametrize("value", ["a\x01b", "a\x1b[31mb", "a\x7fb", "a\nb"])
def test_single_line_text_refuses_control_characters(value):
    from pydantic import TypeAdapter, ValidationError

    from service.schemas_common import Text

    with pytest.raises(ValidationError, match="控制字符"):
        TypeAdapter(Text(50)).validate_python(value)


def test_multi_line_text_keeps_newlines_and_tabs_but_refuses_other_controls():
    from pydantic import TypeAdapter, ValidationError

    from service.schemas_common import Text

    multi = TypeAdapter(Text(50, multiline=True))
    assert multi.validate_python("第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"
    with pytest.raises(ValidationError, match="控制字符"):
        multi.validate_python("a\x07b")


async def test_a_failed_registration_is_refused_and_logs_no_password_hash(app, session, caplog):
    from tests.factories import make_area_tree

    caplog.set_level(logging.DEBUG)
    _, _, community = await make_area_tree(session)
    await session.commit()
    body = {"phone": "13500000001", "name": "\ud800", "password": PASSWORD,
            "home_community_id": community.id}  # fmt: skip
    async with client_for(app) as http:
        response = await http.post(
            "/api/v1/volunteers/register", content=json.dumps(body),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
    _refused(response, "代理码位")
    assert "$argon2" not in caplog.text


async def test_a_database_error_never_logs_parameters_or_hashes(app, session, caplog):
    """The path that leaked: a write the driver cannot encode, logged with its traceback."""
    caplog.set_level(logging.DEBUG)
    session.add(User(phone="13500000002", name="\ud800", password_hash=PASSWORD_HASH))
    with pytest.raises(Exception) as failure:
        await session.flush()
    await session.rollback()
    try:
        raise failure.value
    except Exception:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    assert "$argon2" not in caplog.text
    assert PASSWORD_HASH.split("$")[-1] not in caplog.text
    assert "13500000002" not in caplog.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


# ---------------------------------------------------------------- date-times


@pytest.mark.parametrize(
    ("value", "word"),
    [
        ("2026-12-01T10:00:00", "时区"),
        ("9999-12-31T23:59:59-14:00", "2100"),
        ("0001-01-01T00:00:00+14:00", "2000"),
        ("1970-01-01T00:00:00+08:00", "2000"),
    ],
)
async def test_filters_refuse_naive_and_out_of_range_date_times(
    app, settings, session, clock, value, word
):
    world = await build_world(session, now=clock.now())
    async with await _as(app, settings, session, clock, world.users["worker"]) as worker:
        for name in ("starts_after", "starts_before"):
            response = await worker.get("/api/v1/orders", params={name: value})
            _refused(response, word)


async def test_an_adopted_draft_refuses_an_end_beyond_year_9999_after_conversion(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    async with await _as(app, settings, session, clock, world.users["worker"]) as worker:
        response = await worker.post(
            f"/api/v1/demands/{world.ids['demand']}/adopt",
            json={"ends_at": "9999-12-31T23:59:59-14:00", "skill_ids": [world.ids["skill"]]},
        )
    _refused(response, "2100")


def test_the_instant_type_keeps_aware_values_in_the_window_as_given():
    from pydantic import TypeAdapter

    from service.schemas_common import Instant

    value = TypeAdapter(Instant).validate_python("2026-12-01T09:00:00+08:00")
    assert value.utcoffset().total_seconds() == 8 * 3600
    assert value.hour == 9
