"""The identity pages, Chinese first, through their forms (with the CSRF field)."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from service.demo.accounts import DEMO_PASSWORD
from service.models import User
from tests.loop_helpers import texted_code
from tests.service.auth.helpers import PASSWORD, browser, client_for, open_session_for
from tests.service.auth.world import build_world


def _token(page) -> str:
    return re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)


async def _as(app, settings, session, clock, user):
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie), csrf


async def test_login_page_logs_in_and_goes_to_the_next_page(app, member):
    async with client_for(app) as http:
        page = await http.get("/login", params={"next": "/me"})
        assert page.status_code == 200 and "登录" in page.text and "手机号" in page.text
        form = {"phone": member.phone, "password": "wrong", "csrf_token": _token(page)}
        wrong = await http.post("/login", data={**form, "next": "/me"})
        assert wrong.status_code == 401 and "手机号或密码错误" in wrong.text
        ok = await http.post("/login", data={**form, "password": PASSWORD, "next": "/me"})
        assert ok.status_code == 303 and ok.headers["location"] == "/me"
        me = await http.get("/me")
        assert me.status_code == 200 and member.name in me.text and "退出" in me.text


async def test_login_never_redirects_to_another_site(app, member):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        async with client_for(app) as http:
            page = await http.get("/login")
            response = await http.post(
                "/login",
                data={"phone": member.phone, "password": PASSWORD, "csrf_token": _token(page),
                      "next": target},
            )  # fmt: skip
        assert response.headers["location"] == "/start", target  # the landing, never elsewhere


async def test_htmx_login_answers_with_hx_redirect(app, member):
    async with client_for(app) as http:
        page = await http.get("/login")
        response = await http.post(
            "/login",
            data={"phone": member.phone, "password": PASSWORD, "next": "/me"},
            headers={"HX-Request": "true", "X-CSRF-Token": _token(page)},
        )
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/me"


async def test_register_page_creates_a_pending_volunteer(app, session, clock, caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    world = await build_world(session, now=clock.now())
    async with client_for(app) as http:
        page = await http.get("/register")
        assert "注册成为科技志愿者" in page.text and "一号社区" in page.text
        form = {
            "name": "王老师", "phone": "13566667777", "password": "short",
            "home_community_id": str(world.ids["community"]), "radius_km": "8",
            "bio": "", "csrf_token": _token(page),
        }  # fmt: skip
        short = await http.post("/register", data=form)
        assert short.status_code == 422 and "密码至少需要" in short.text
        sent = await http.post("/register", data={**form, "password": "Kepu-2026-x"})
        assert sent.status_code == 202 and "135****7777" in sent.text and "验证码" in sent.text
        code = {"phone": "13566667777", "csrf_token": _token(page)}
        wrong = await http.post("/register/confirm", data={**code, "code": "12345"})
        assert wrong.status_code == 422 and "6 位数字验证码" in wrong.text
        done = await http.post("/register/confirm", data={**code, "code": texted_code(caplog)})
    assert (done.status_code == 201 and "等待" not in done.text) or "审核" in done.text
    assert "135****7777" in done.text
    user = await session.scalar(sa.select(User).where(User.phone == "13566667777"))
    assert user.status == "pending"


async def test_password_change_page(app, settings, session, clock, member):
    http, csrf = await _as(app, settings, session, clock, member)
    async with http:
        page = await http.get("/me")
        assert "修改密码" in page.text and member.phone in page.text
        wrong = await http.post(
            "/me/password",
            data={"current_password": "nope", "new_password": "Another-2026", "csrf_token": csrf},
        )
        assert wrong.status_code == 422 and "当前密码不正确" in wrong.text
        ok = await http.post(
            "/me/password",
            data={"current_password": PASSWORD, "new_password": "Another-2026", "csrf_token": csrf},
        )
        assert ok.status_code == 200 and "密码已修改" in ok.text


async def test_admin_manages_users_through_the_pages(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await _as(app, settings, session, clock, world.users["admin"])
    async with http:
        listing = await http.get("/admin/users", params={"role": "worker"})
        assert "用户管理" in listing.text and "社区工作者" in listing.text
        created = await http.post(
            "/admin/users",
            data={"name": "新社工", "phone": "13577778888", "password": "Kepu-2026-x",
                  "role_0": "worker", "area_0": str(world.ids["community"]), "csrf_token": csrf},
        )  # fmt: skip
        assert created.status_code == 303
        detail = await http.get(created.headers["location"])
        assert (
            "新社工" in detail.text and "135****8888" in detail.text and "一号社区" in detail.text
        )
        user_id = int(created.headers["location"].rsplit("/", 1)[1])
        roles = await http.post(
            f"/admin/users/{user_id}/roles",
            data={"role_0": "coordinator", "area_0": str(world.ids["street"]), "csrf_token": csrf},
        )
        assert roles.status_code == 200 and "角色已更新" in roles.text and "协调员" in roles.text
        bad = await http.post(
            f"/admin/users/{user_id}/roles",
            data={"role_0": "worker", "area_0": str(world.ids["street"]), "csrf_token": csrf},
        )
        assert bad.status_code == 422 and "社区工作者必须指定一个社区" in bad.text
        reset = await http.post(f"/admin/users/{user_id}/reset-password", data={"csrf_token": csrf})
        assert "临时密码" in reset.text
        status = await http.post(
            f"/admin/users/{user_id}/status", data={"status": "disabled", "csrf_token": csrf}
        )
        assert "已停用" in status.text
        audit = await http.get("/admin/audit")
        assert "创建用户" in audit.text and "角色与范围变更" in audit.text


async def test_coordinator_approves_registrations_on_the_page(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await _as(app, settings, session, clock, world.users["coordinator"])
    async with http:
        page = await http.get("/admin/registrations")
        assert "待审核" in page.text and "待审核2" not in page.text  # only their own street
        volunteer_id = world.ids["pending_volunteer"]
        approved = await http.post(
            f"/admin/registrations/{volunteer_id}/approve", data={"csrf_token": csrf}
        )
        assert approved.status_code == 303
        after = await http.get(approved.headers["location"])
        assert "已通过 待审核 的注册" in after.text and "暂无待审核的注册" in after.text


async def test_demo_accounts_can_log_in_through_the_page(app, session):
    from service.auth.passwords import hash_password
    from service.demo.accounts import DEMO_LOGINS
    from tests.factories import make_user

    role, phone = DEMO_LOGINS[0]
    await make_user(session, phone=phone, password_hash=await hash_password(DEMO_PASSWORD))
    await session.commit()
    async with client_for(app) as http:
        page = await http.get("/login")
        response = await http.post(
            "/login", data={"phone": phone, "password": DEMO_PASSWORD, "csrf_token": _token(page)}
        )
    assert response.status_code == 303, role


async def test_the_status_form_offers_only_the_changes_the_account_machine_allows(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    http, _csrf = await _as(app, settings, session, clock, world.users["admin"])
    async with http:
        detail = await http.get(f"/admin/users/{world.users['worker'].id}")
    form = detail.text.split('name="status"', 1)[1].split("</select>", 1)[0]
    assert "正常" in form and "已停用" in form
    assert "待审核" not in form  # only registration puts an account there; the engine refuses it
