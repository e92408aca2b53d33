"""Volunteer self-registration without a phone oracle: a texted code, the same answer for every
number, nobody's number taken by someone else, and limits on tries."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from service.models import Area, PhoneCode, User
from tests.loop_helpers import texted, texted_code
from tests.service.auth.helpers import PASSWORD, client_for

KNOWN = "13812345678"  # the member fixture's number
UNKNOWN = "13899995678"  # shown to workers the same way: 138****5678
VARIABLE_HEADERS = {"date", "x-request-id", "set-cookie"}


async def _community_id(session) -> int:
    return await session.scalar(sa.select(Area.id).where(Area.level == "community"))


def _form(community_id: int, phone: str, **fields) -> dict:
    return {
        "phone": phone, "name": "试探者", "password": "Kepu-2026-x",
        "home_community_id": community_id, **fields,
    }  # fmt: skip


def _answer(response) -> tuple:
    """Everything a client sees, apart from the request id and the date."""
    body = response.json()
    for key in ("instance", "request_id"):
        body.pop(key, None)
    headers = {k: v for k, v in response.headers.items() if k not in VARIABLE_HEADERS}
    return response.status_code, headers, body


async def test_registration_answers_alike_for_a_known_and_an_unknown_number(
    app, session, member, caplog
):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    community_id = await _community_id(session)
    async with client_for(app) as attacker:
        known = await attacker.post("/api/v1/volunteers/register", json=_form(community_id, KNOWN))
        unknown = await attacker.post(
            "/api/v1/volunteers/register", json=_form(community_id, UNKNOWN)
        )
        weak = {"password": "short"}
        weak_known = await attacker.post(
            "/api/v1/volunteers/register", json=_form(community_id, KNOWN, **weak)
        )
        weak_unknown = await attacker.post(
            "/api/v1/volunteers/register", json=_form(community_id, UNKNOWN, **weak)
        )
    assert known.status_code == 202, known.text
    assert _answer(known) == _answer(unknown)
    assert known.content == unknown.content  # byte for byte
    assert weak_known.status_code == 422 and _answer(weak_known) == _answer(weak_unknown)
    # The owner of the known number is told; only the unknown number got a code.
    texts = [message["text"] for message in texted(caplog)]
    assert len(texts) == 2 and "有人尝试用您的手机号注册" in texts[0] and "验证码" in texts[1]
    assert await session.scalar(sa.select(sa.func.count()).select_from(User)) == 1


async def test_registering_someone_elses_number_does_not_lock_the_owner_out(
    app, session, member, caplog
):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    community_id = await _community_id(session)
    async with client_for(app) as attacker:
        # A registered owner: nothing of theirs changes, they still log in.
        taken = await attacker.post("/api/v1/volunteers/register", json=_form(community_id, KNOWN))
        assert taken.status_code == 202
        # An owner not registered yet: the attacker never sees the texted code.
        await attacker.post("/api/v1/volunteers/register", json=_form(community_id, UNKNOWN))
        guess = await attacker.post(
            "/api/v1/volunteers/register/confirm", json={"phone": UNKNOWN, "code": "000000"}
        )
        assert guess.status_code == 422 and "验证码" in guess.json()["detail"]
    login = await client_for(app).post(
        "/api/v1/auth/login", json={"phone": KNOWN, "password": PASSWORD}
    )
    assert login.status_code == 200
    assert await session.scalar(sa.select(User).where(User.phone == UNKNOWN)) is None
    async with client_for(app) as owner:
        mine = _form(community_id, UNKNOWN, name="号码主人", password="Owner-2026-y")
        assert (await owner.post("/api/v1/volunteers/register", json=mine)).status_code == 202
        confirm = {"phone": UNKNOWN, "code": texted_code(caplog)}
        done = await owner.post("/api/v1/volunteers/register/confirm", json=confirm)
    assert done.status_code == 201, done.text
    await session.commit()  # a fresh snapshot
    user = await session.scalar(sa.select(User).where(User.phone == UNKNOWN))
    assert user.name == "号码主人" and user.status == "pending"


async def test_a_code_dies_after_too_many_wrong_tries_and_is_stored_only_hashed(
    app, session, settings, caplog
):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    _, _, community = await _tree(session)
    async with client_for(app) as http:
        await http.post("/api/v1/volunteers/register", json=_form(community, UNKNOWN))
        code = texted_code(caplog)
        stored = await session.scalar(sa.select(PhoneCode))
        assert code not in str(stored.code_hash) and "Kepu-2026-x" not in str(stored.payload)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _ in range(settings.phone_code_max_attempts):
            refused = await http.post(
                "/api/v1/volunteers/register/confirm", json={"phone": UNKNOWN, "code": wrong}
            )
            assert refused.status_code == 422
        late = await http.post(
            "/api/v1/volunteers/register/confirm", json={"phone": UNKNOWN, "code": code}
        )
    assert late.status_code == 422
    await session.commit()
    assert await session.scalar(sa.select(User).where(User.phone == UNKNOWN)) is None


async def test_registration_attempts_are_throttled_per_number(app, session, settings, member):
    community_id = await _community_id(session)
    async with client_for(app) as attacker:
        answers = [
            await attacker.post("/api/v1/volunteers/register", json=_form(community_id, KNOWN))
            for _ in range(settings.phone_target_max_attempts + 1)
        ]
    assert [a.status_code for a in answers[:-1]] == [202] * settings.phone_target_max_attempts
    throttled = answers[-1]
    assert throttled.status_code == 429 and int(throttled.headers["Retry-After"]) > 0
    assert throttled.headers["content-type"].startswith("application/problem+json")
    assert "频繁" in throttled.json()["detail"]


async def _tree(session):
    from tests.factories import make_area_tree

    district, street, community = await make_area_tree(session)
    await session.commit()
    return district.id, street.id, community.id
