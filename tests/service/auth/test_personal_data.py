"""Personal data: masked phones, the audited reveal, coordinates kept home, clean logs, retention."""

from __future__ import annotations

import logging
from datetime import timedelta

import sqlalchemy as sa

from service.auth.redaction import redact
from service.auth.retention import erase_stale_phones
from service.models import AuditEntry, Demand, Offer, User
from service.vocab import OfferStatus, Role
from tests.factories import make_user
from tests.service.auth.helpers import browser, open_session_for
from tests.service.auth.world import DEMAND_PHONE, build_world


async def _as(app, settings, session, clock, user):
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


async def _reveal(app, settings, session, clock, actor, subject, order_id=None):
    async with await _as(app, settings, session, clock, actor) as http:
        return await http.post(
            f"/api/v1/users/{subject.id}/phone-reveal", json={"order_id": order_id}
        )


async def test_admins_see_masked_numbers_and_people_see_their_own(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    victim = world.users["volunteer"]
    async with await _as(app, settings, session, clock, world.users["admin"]) as admin:
        listing = await admin.get("/api/v1/admin/users", params={"limit": 200})
        page = await admin.get("/admin/users")
    masked = f"{victim.phone[:3]}****{victim.phone[7:]}"
    for text in (listing.text, page.text):
        assert masked in text and victim.phone not in text
    async with await _as(app, settings, session, clock, victim) as own:
        assert victim.phone in (await own.get("/me")).text
        assert (await own.get("/api/v1/me")).json()["phone"] == victim.phone


async def test_the_worker_of_an_accepted_order_may_reveal_and_it_is_audited(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    victim, worker = world.users["volunteer"], world.users["worker"]
    order_id = world.ids["order"]
    # Only offered so far: not yet the worker's business.
    offered = await _reveal(app, settings, session, clock, worker, victim, order_id)
    assert offered.status_code == 403
    await session.execute(
        sa.update(Offer).where(Offer.id == world.ids["offer"]).values(status=OfferStatus.accepted)
    )
    await session.commit()
    revealed = await _reveal(app, settings, session, clock, worker, victim, order_id)
    assert revealed.status_code == 200 and revealed.json()["phone"] == victim.phone
    entry = await session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "phone_revealed"))
    assert (entry.actor_user_id, entry.target_user_id) == (worker.id, victim.id)
    assert entry.ip == "127.0.0.1" and entry.at == clock.now()
    assert entry.detail == {"order_id": order_id}
    # Without naming the order, or as anyone else, the number stays hidden.
    others = [world.foreign_users["worker"], world.users["coordinator"], world.users["admin"]]
    assert (await _reveal(app, settings, session, clock, worker, victim)).status_code == 403
    for other in others:
        response = await _reveal(app, settings, session, clock, other, victim, order_id)
        assert response.status_code == 403, other.name
    count = await session.scalar(
        sa.select(sa.func.count()).where(AuditEntry.action == "phone_revealed")
    )
    assert count == 1


async def test_the_page_reveal_returns_a_fragment(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    victim = world.users["volunteer"]
    async with await _as(app, settings, session, clock, victim) as own:
        response = await own.post(
            f"/users/{victim.id}/phone-reveal", headers={"HX-Request": "true"}
        )
    assert response.status_code == 200 and victim.phone in response.text
    assert "<html" not in response.text


def test_redaction_masks_phones_and_coordinates():
    text = "call 13812345678 at 37.5412345, 121.4056789 (order 12345678901234)"
    assert redact(text) == "call 138****5678 at [位置已隐藏] (order 12345678901234)"


async def test_logs_never_carry_phone_numbers_or_coordinates(app, client, caplog, member):
    caplog.set_level(logging.DEBUG)
    logging.getLogger("kepu.test").warning("login by %s from %s", "13812345678", "37.541, 121.405")
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1", "GET", "/x?phone=13812345678", "1.1", 200
    )
    try:
        raise ValueError("bad phone 13812345678")
    except ValueError:
        logging.getLogger("kepu.test").exception("failed")
    await client.post("/api/v1/auth/login", json={"phone": "13812345678", "password": "nope"})
    text = caplog.text + "".join(record.getMessage() for record in caplog.records)
    assert "13812345678" not in text
    assert "138****5678" in text and "[位置已隐藏]" in text


async def test_no_phone_in_cookies_or_redirects(app, client, member):
    import re

    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)
    from tests.service.auth.helpers import PASSWORD

    response = await client.post(
        "/login",
        data={"phone": member.phone, "password": PASSWORD, "csrf_token": token, "next": "/me"},
    )
    assert response.status_code == 303
    for header, value in response.headers.multi_items():
        assert member.phone not in value, header


async def test_retention_erases_stale_resident_phones_and_keeps_statistics(
    app, session, clock, settings
):
    world = await build_world(session, now=clock.now())
    now = clock.now()
    old = now - timedelta(days=settings.phone_retention_days + 1)
    community = world.ids["community"]

    def demand(phone, at):
        return Demand(
            community_id=community, topic="反诈", target_group="elderly", contact_name="赵",
            contact_phone=phone, created_at=at, updated_at=at,
        )  # fmt: skip

    session.add_all([
        demand("13600000001", old),  # stale: erased
        demand("13600000002", old), demand("13600000002", now),  # same resident, active again
    ])  # fmt: skip
    stale_resident = await make_user(session, roles=((Role.resident, None, None),))
    stale_resident.created_at = old
    stale_volunteer = world.users["volunteer"]
    stale_volunteer.last_active_at = old
    await session.commit()
    before = await session.scalar(sa.select(sa.func.count()).select_from(Demand))
    report = await erase_stale_phones(session, now=now, settings=settings)
    await session.commit()
    assert report.demand_contacts == 1 and report.resident_accounts == 1
    phones = list(await session.scalars(sa.select(Demand.contact_phone)))
    assert "13600000001" not in phones and phones.count("13600000002") == 2
    assert DEMAND_PHONE in phones  # the world's demands are recent
    assert await session.scalar(sa.select(sa.func.count()).select_from(Demand)) == before
    retired = await session.get(User, stale_resident.id)
    await session.refresh(retired)
    assert not retired.phone.startswith("1") and retired.status == "disabled"
    await session.refresh(stale_volunteer)
    assert stale_volunteer.phone == world.victim_phone  # volunteers are not residents
    assert (
        await session.scalar(sa.select(sa.func.count()).where(AuditEntry.action == "phones_erased"))
        == 1
    )


def test_the_cli_erases_stale_phones(settings, monkeypatch):
    from typer.testing import CliRunner

    from service.cli import app as cli
    from service.settings import get_settings

    monkeypatch.setenv("KEPU_DATABASE_URL", settings.database_url)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli, ["users", "erase-stale-phones", "--dry-run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "would erase: 0 demand contacts, 0 resident accounts" in result.output


async def test_the_retention_sweep_deletes_expired_one_time_codes(app, session, settings, clock):
    from service.auth.retention import erase_stale_phones_sweep
    from service.models import PhoneCode

    now = clock.now()
    for purpose, expires_at in (
        ("register", now - timedelta(minutes=1)),
        ("upvote:1", now + timedelta(minutes=5)),
    ):
        session.add(
            PhoneCode(
                purpose=purpose, phone_key="k" * 16, code_hash="h" * 64,
                payload={"name": "王阿姨", "password_hash": "$argon2id$v=19$..."},
                expires_at=expires_at,
            )
        )  # fmt: skip
    await session.commit()
    report = await erase_stale_phones_sweep(app.state.sessionmaker, settings, now)
    assert report.expired_phone_codes == 1
    await session.commit()  # a fresh snapshot
    left = list(await session.scalars(sa.select(PhoneCode.purpose)))
    assert left == ["upvote:1"]
