"""Accounts and scoped roles: admin management, volunteer self-registration and approval, audit."""

from __future__ import annotations

import logging

import sqlalchemy as sa

from service.models import AuditEntry, Notification, Volunteer
from tests.loop_helpers import texted_code
from tests.service.auth.helpers import PASSWORD, browser, client_for, open_session_for
from tests.service.auth.world import build_world


async def _as(app, settings, session, clock, user):
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


async def _login(app, phone, password=PASSWORD):
    async with client_for(app) as http:
        return await http.post("/api/v1/auth/login", json={"phone": phone, "password": password})


async def test_admin_creates_a_user_with_several_scoped_roles(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    grants = [
        {"role": "worker", "area_id": world.ids["community"]},
        {"role": "coordinator", "area_id": world.ids["street"]},
        {"role": "team_leader", "team_id": world.ids["team"]},
        {"role": "volunteer"},
    ]
    async with await _as(app, settings, session, clock, world.users["admin"]) as admin:
        created = await admin.post(
            "/api/v1/admin/users",
            json={
                "phone": "13511112222",
                "name": "多角色",
                "password": "Kepu-2026-x",
                "grants": grants,
            },
        )
    assert created.status_code == 201, created.text
    assert {g["role"] for g in created.json()["grants"]} == {g["role"] for g in grants}
    assert created.json()["phone_masked"] == "135****2222"
    login = await _login(app, "13511112222", "Kepu-2026-x")
    assert login.status_code == 200
    assert set(login.json()["roles"]) == {"worker", "coordinator", "team_leader", "volunteer"}


async def test_role_scopes_must_fit_the_role(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    user_id = world.users["resident"].id
    wrong = [
        [{"role": "worker"}],  # no community
        [{"role": "worker", "area_id": world.ids["street"]}],  # a street is not a community
        [{"role": "coordinator", "area_id": world.ids["community"]}],  # too small
        [{"role": "team_leader"}],  # no team
        [{"role": "team_leader", "team_id": 999_999}],  # no such team
        [{"role": "worker", "area_id": 999_999}],
        [{"role": "superuser"}],
    ]
    async with await _as(app, settings, session, clock, world.users["admin"]) as admin:
        for grants in wrong:
            response = await admin.put(
                f"/api/v1/admin/users/{user_id}/roles", json={"grants": grants}
            )
            assert response.status_code == 422, grants
        own = await admin.put(
            f"/api/v1/admin/users/{world.users['admin'].id}/roles", json={"grants": []}
        )
        assert own.status_code == 409  # an admin cannot lock themself out
        changed = await admin.put(
            f"/api/v1/admin/users/{user_id}/roles",
            json={"grants": [{"role": "worker", "area_id": world.ids["community"]}]},
        )
    assert changed.status_code == 200
    entry = await session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "roles_changed"))
    assert entry.actor_user_id == world.users["admin"].id and entry.target_user_id == user_id
    assert entry.detail["before"] == [{"role": "resident", "area_id": None, "team_id": None}]
    assert entry.detail["after"][0]["area_id"] == world.ids["community"]
    assert entry.ip == "127.0.0.1"


async def test_admin_reset_ends_sessions_and_the_temporary_password_works(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    worker = world.users["worker"]
    async with await _as(app, settings, session, clock, worker) as worker_browser:
        async with await _as(app, settings, session, clock, world.users["admin"]) as admin:
            reset = await admin.post(f"/api/v1/admin/users/{worker.id}/reset-password", json={})
        assert reset.status_code == 200
        temporary = reset.json()["temporary_password"]
        assert (await worker_browser.get("/api/v1/me")).status_code == 401
    assert (await _login(app, worker.phone)).status_code == 401
    assert (await _login(app, worker.phone, temporary)).status_code == 200


async def test_disabling_a_user_ends_their_access(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    worker = world.users["worker"]
    async with await _as(app, settings, session, clock, worker) as worker_browser:
        async with await _as(app, settings, session, clock, world.users["admin"]) as admin:
            response = await admin.patch(
                f"/api/v1/admin/users/{worker.id}", json={"status": "disabled"}
            )
        assert response.status_code == 200
        assert (await worker_browser.get("/api/v1/me")).status_code == 401
    refused = await _login(app, worker.phone)
    assert refused.status_code == 403 and "停用" in refused.json()["detail"]


async def test_volunteers_register_and_a_coordinator_of_their_area_approves(
    app, settings, session, clock, caplog
):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    world = await build_world(session, now=clock.now())
    async with client_for(app) as anonymous:
        started = await anonymous.post(
            "/api/v1/volunteers/register",
            json={
                "phone": "135 1234 5678", "name": "新志愿者", "password": "Kepu-2026-x",
                "home_community_id": world.ids["community"], "bio": "急救培训师",
            },
        )  # fmt: skip
        assert started.status_code == 202, started.text
        confirm = {"phone": "13512345678", "code": texted_code(caplog)}
        registered = await anonymous.post("/api/v1/volunteers/register/confirm", json=confirm)
        assert registered.status_code == 201, registered.text
        used = await anonymous.post("/api/v1/volunteers/register/confirm", json=confirm)
        assert used.status_code == 422  # a code is used once
    volunteer_id = registered.json()["volunteer_id"]
    pending = await _login(app, "13512345678", "Kepu-2026-x")
    assert pending.status_code == 403 and "审核" in pending.json()["detail"]
    foreign = world.foreign_users["coordinator"]
    async with await _as(app, settings, session, clock, foreign) as other_street:
        listed = await other_street.get("/api/v1/volunteers/pending")
        assert volunteer_id not in [row["volunteer_id"] for row in listed.json()]
        refused = await other_street.post(f"/api/v1/volunteers/{volunteer_id}/approve")
        assert refused.status_code == 403
    async with await _as(app, settings, session, clock, world.users["coordinator"]) as own:
        listed = await own.get("/api/v1/volunteers/pending")
        assert volunteer_id in [row["volunteer_id"] for row in listed.json()]
        assert "home_lat" not in listed.text
        assert (await own.post(f"/api/v1/volunteers/{volunteer_id}/approve")).status_code == 204
    assert (await _login(app, "13512345678", "Kepu-2026-x")).status_code == 200
    volunteer = await session.get(Volunteer, volunteer_id)
    assert volunteer.status == "active"
    notice = await session.scalar(
        sa.select(Notification).where(Notification.kind == "volunteer_approved")
    )
    assert notice.user_id == registered.json()["user_id"]


async def test_logins_and_failures_are_audited_with_who_when_where(app, session, clock, member):
    assert (await _login(app, member.phone, "wrong-password")).status_code == 401
    assert (await _login(app, "13999990000", "wrong-password")).status_code == 401
    assert (await _login(app, member.phone)).status_code == 200
    entries = list(await session.scalars(sa.select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == ["login_failed", "login_failed", "login"]
    assert entries[0].target_user_id == member.id and entries[0].ip == "127.0.0.1"
    assert entries[1].target_user_id is None and "account" in entries[1].detail
    assert entries[2].actor_user_id == member.id and entries[2].at == clock.now()
    assert all("13999990000" not in str(e.detail) for e in entries)
