"""Reviewing volunteer registrations: approve is one click and says what happened; declining
asks for confirmation and a reason, which the applicant is told (text message, and at login)
and the audit keeps. Only the coordinator over the applicant's home area may decide."""

from __future__ import annotations

import logging
import re

import sqlalchemy as sa

from service.models import AuditEntry, User, Volunteer
from tests.loop_helpers import texted
from tests.service.auth.helpers import PASSWORD, client_for
from tests.service.auth.page_checks import (
    ENGLISH,
    HTMX,
    as_user,
    is_fragment,
    untranslated,
    world_words,
)
from tests.service.auth.world import build_world

REASON = "本社区暂不需要该领域的志愿者"


async def _statuses(session, volunteer_id: int) -> tuple[str, str]:
    await session.rollback()  # a fresh read, not this session's earlier snapshot
    volunteer = await session.get(Volunteer, volunteer_id)
    user = await session.get(User, volunteer.user_id)
    return volunteer.status, user.status


async def test_approving_says_whose_registration_and_what_happens_next(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    volunteer_id = world.ids["pending_volunteer"]
    async with http:
        page = await http.get("/admin/registrations")
        assert "通过 待审核 的注册" in page.text  # the button names the person
        approved = await http.post(
            f"/admin/registrations/{volunteer_id}/approve", data={"csrf_token": csrf}
        )
        assert approved.status_code == 303
        after = await http.get(approved.headers["location"])
        assert "已通过 待审核 的注册：账号已开通，本人会收到通知，可以登录接单。" in after.text
        again = await http.post(
            f"/admin/registrations/{volunteer_id}/approve", data={"csrf_token": csrf}
        )
    # A second click is refused on the list itself, in words, with the conflict's status.
    assert again.status_code == 409 and "该志愿者不在待审核状态" in again.text
    assert "志愿者注册审核" in again.text
    assert await _statuses(session, volunteer_id) == ("active", "active")


async def test_declining_needs_a_confirmation_and_a_reason(app, settings, session, clock, caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    volunteer_id = world.ids["pending_volunteer"]
    async with http:
        listing = await http.get("/admin/registrations")
        # The list has no one-click decline: a link to the confirmation step.
        reject_url = f"/admin/registrations/{volunteer_id}/reject"
        assert f'href="{reject_url}"' in listing.text
        assert f'action="{reject_url}"' not in listing.text
        confirm = await http.get(reject_url)
        assert confirm.status_code == 200
        assert "不通过 待审核 的注册" in confirm.text and 'name="reason"' in confirm.text
        assert "确认不通过" in confirm.text and "返回，暂不处理" in confirm.text
        blank = await http.post(reject_url, data={"reason": "   ", "csrf_token": csrf})
        assert blank.status_code == 422
        assert 'aria-invalid="true"' in blank.text and 'id="reason-error"' in blank.text
        assert "长度不能少于 1 个字符" in blank.text
        assert await _statuses(session, volunteer_id) == ("pending", "pending")
        too_long = await http.post(reject_url, data={"reason": "长" * 201, "csrf_token": csrf})
        assert too_long.status_code == 422 and "长度不能超过 200 个字符" in too_long.text
        assert "长" * 201 in too_long.text  # what was typed is kept
        done = await http.post(reject_url, data={"reason": REASON + "。", "csrf_token": csrf})
        assert done.status_code == 303
        after = await http.get(done.headers["location"])
    assert "已将 待审核 的注册标记为不通过，原因已通过短信告知本人。" in after.text
    assert await _statuses(session, volunteer_id) == ("pending", "disabled")
    entry = await session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "volunteer_rejected")
    )
    assert entry.detail == {"volunteer_id": volunteer_id, "reason": REASON}
    sms = [m for m in texted(caplog) if REASON in m.get("text", "")]
    assert len(sms) == 1 and "未通过审核" in sms[0]["text"]


async def test_the_declined_applicant_reads_the_reason_when_logging_in(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    volunteer_id = world.ids["pending_volunteer"]
    async with http:
        await http.post(
            f"/admin/registrations/{volunteer_id}/reject",
            data={"reason": REASON, "csrf_token": csrf},
        )
    applicant = await session.get(User, (await session.get(Volunteer, volunteer_id)).user_id)
    async with client_for(app) as anonymous:
        page = await anonymous.get("/login")
        token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text).group(1)
        form = {"phone": applicant.phone, "csrf_token": token}
        wrong = await anonymous.post("/login", data={**form, "password": "not-it"})
        assert (
            wrong.status_code == 401 and REASON not in wrong.text
        )  # only for the password's holder
        refused = await anonymous.post("/login", data={**form, "password": PASSWORD})
        assert refused.status_code == 403
        assert f"您的志愿者注册未通过审核。原因：{REASON}。" in refused.text
        english = await anonymous.post(
            "/login", data={**form, "password": PASSWORD}, headers=ENGLISH
        )
        assert f"Your volunteer registration was not approved. Reason: {REASON}." in english.text
    async with client_for(app) as machine:
        api = await machine.post(
            "/api/v1/auth/login", json={"phone": applicant.phone, "password": PASSWORD},
            headers=ENGLISH,
        )  # fmt: skip
    assert api.status_code == 403 and api.json()["code"] == "account_rejected"
    assert REASON in api.json()["detail"]


async def test_the_review_pages_in_english_and_as_fragments(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    reject_url = f"/admin/registrations/{world.ids['pending_volunteer']}/reject"
    async with http:
        confirm = await http.get(reject_url, headers=ENGLISH)
        fragment = await http.get(reject_url, headers=ENGLISH | HTMX)
        blank = await http.post(
            reject_url, data={"reason": "", "csrf_token": csrf}, headers=ENGLISH
        )
    assert "Confirm: do not approve" in confirm.text
    assert untranslated(confirm.text, world_words(world)) == []
    assert is_fragment(fragment.text) and "Reason for not approving" in fragment.text
    assert blank.status_code == 422 and "Enter at least 1 characters." in blank.text


async def test_a_registration_outside_ones_area_cannot_be_seen_or_decided(
    app, settings, session, clock
):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    foreign = world.ids["pending_volunteer2"]
    async with http:
        listing = await http.get("/admin/registrations")
        form = await http.get(f"/admin/registrations/{foreign}/reject")
        decided = await http.post(
            f"/admin/registrations/{foreign}/reject", data={"reason": REASON, "csrf_token": csrf}
        )
        approved = await http.post(
            f"/admin/registrations/{foreign}/approve", data={"csrf_token": csrf}
        )
        named = await http.get(f"/admin/registrations?done=approved&volunteer={foreign}")
    assert "待审核2" not in listing.text
    assert form.status_code == 403 and "待审核2" not in form.text
    assert decided.status_code == 403 and approved.status_code == 403
    assert "待审核2" not in named.text  # the outcome notice names only one's own applicants
    assert await _statuses(session, foreign) == ("pending", "pending")


async def test_the_api_requires_a_reason_to_decline(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    url = f"/api/v1/volunteers/{world.ids['pending_volunteer']}/reject"
    async with http:
        missing = await http.post(url, json={}, headers={"X-CSRF-Token": csrf, **ENGLISH})
        done = await http.post(url, json={"reason": REASON}, headers={"X-CSRF-Token": csrf})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["msg"] == "Please fill this in."
    assert done.status_code == 204
    assert await _statuses(session, world.ids["pending_volunteer"]) == ("pending", "disabled")


async def test_decisions_sent_by_htmx_answer_with_a_redirect(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, csrf = await as_user(app, settings, session, clock, world.users["coordinator"])
    volunteer_id = world.ids["pending_volunteer"]
    async with http:
        approved = await http.post(
            f"/admin/registrations/{volunteer_id}/approve",
            headers={**HTMX, "X-CSRF-Token": csrf},
        )
    assert approved.status_code == 204
    assert approved.headers["HX-Redirect"] == (
        f"/admin/registrations?done=approved&volunteer={volunteer_id}"
    )
