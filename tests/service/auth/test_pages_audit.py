"""The audit page in words: people by name (phones masked), actions and details as phrases —
never raw ids or JSON; in Chinese and in English; admins only."""

from __future__ import annotations

import re

import pytest

from service.auth.audit import AuditAction, record
from service.models import ApiToken
from tests.service.auth.page_checks import (
    ENGLISH,
    HTMX,
    as_user,
    is_fragment,
    untranslated,
    world_words,
)
from tests.service.auth.world import build_world

JSON_MARKS = ("{", "}", '"', "&#34;", "&quot;", "grants", "area_id", "token_id", "order_id")


async def _entries(session, world, now):
    """One entry of each kind whose details hold ids, lists or counts."""
    admin, worker = world.users["admin"], world.users["worker"]
    community, team = world.ids["community"], world.ids["team"]
    token = ApiToken(user_id=worker.id, name="街道统计表格", token_hash="h" * 64, created_at=now)
    session.add(token)
    await session.flush()
    entries = [
        (AuditAction.user_created, admin, worker, {"grants": [
            {"role": "worker", "area_id": community, "team_id": None}]}),
        (AuditAction.roles_changed, admin, worker, {
            "before": [{"role": "worker", "area_id": community, "team_id": None}],
            "after": [{"role": "team_leader", "area_id": None, "team_id": team}]}),
        (AuditAction.user_updated, admin, worker, {"status": {"from": "active", "to": "disabled"}}),
        (AuditAction.password_reset, admin, worker, {"generated": True}),
        (AuditAction.phone_revealed, worker, world.users["volunteer"], {"order_id": world.ids["order"]}),
        (AuditAction.token_revoked, worker, worker, {"token_id": token.id}),
        (AuditAction.volunteer_rejected, world.users["coordinator"], world.users["resident"],
         {"volunteer_id": world.ids["pending_volunteer"], "reason": "本社区暂不需要该领域志愿者"}),
        (AuditAction.login_failed, None, None, {"account": "0123456789abcdef"}),
        (AuditAction.phones_erased, None, None,
         {"demand_contacts": 3, "resident_accounts": 2, "retention_days": 365}),
    ]  # fmt: skip
    for action, actor, target, detail in entries:
        await record(
            session, action=action, now=now, detail=detail, ip="10.0.0.8",
            actor_user_id=actor.id if actor else None, target_user_id=target.id if target else None,
        )  # fmt: skip
    await session.commit()


def _table(html: str) -> str:
    return html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]


def _visible(html: str) -> str:
    """The table's text as a person sees it (tags out, attribute values too)."""
    return re.sub(r"<[^>]+>", " ", html)


async def test_the_audit_names_people_and_says_what_happened(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    await _entries(session, world, clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["admin"])
    async with http:
        page = await http.get("/admin/audit")
    assert page.status_code == 200
    table = _table(page.text)
    text = _visible(table)
    for words in (
        "创建用户", "社区工作者（一号社区）", "原来的角色", "现在的角色",
        f"队长（志愿队{world.number}-1）", "正常 → 已停用", "生成了临时密码",
        "相关活动", "街道统计表格", "本社区暂不需要该领域志愿者", "未注册的号码",
        "清除的点单联系电话", "365 天", "系统（自动任务）",
        world.users["admin"].name, world.users["worker"].name, "10.0.0.8",
    ):  # fmt: skip
        assert words in text, words
    assert re.search(r"1[3-9]\d\*{4}\d{4}", text)  # masked phones beside the names
    for user in world.users.values():
        assert user.phone not in table  # never a full number
    for mark in JSON_MARKS:
        assert mark not in text, mark
    # No id is shown as a number: every number in the cells is a time, a count, an IP or masked.
    numbers = set(re.findall(r"(?<![\d*.:-])\d+(?![\d*.:-])", text)) - {"3", "2", "365"}
    assert numbers <= {str(world.number), "1"}, numbers  # the team's name "志愿队N-1"


async def test_the_audit_in_english_keeps_only_names_in_chinese(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    await _entries(session, world, clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["admin"])
    async with http:
        page = await http.get("/admin/audit", headers=ENGLISH)
        fragment = await http.get("/admin/audit", headers=ENGLISH | HTMX)
    text = _visible(_table(page.text))
    for words in ("User created", "Community worker (一号社区)", "Active → Disabled",
                  "A temporary password was generated", "Retention period", "365 days"):  # fmt: skip
        assert words in text, words
    data = [*world_words(world), "街道统计表格", "本社区暂不需要该领域志愿者", "讲座"]
    order_title = re.search(r"Activity</dt><dd>([^<]+)</dd>", page.text).group(1)
    assert untranslated(page.text, [*data, order_title]) == []
    assert is_fragment(fragment.text) and "User created" in fragment.text


async def test_a_users_page_shows_their_audit_trail_in_words(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    await _entries(session, world, clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["admin"])
    async with http:
        page = await http.get(f"/admin/users/{world.users['worker'].id}")
    assert "最近的操作记录" in page.text and "角色与范围变更" in page.text
    assert "{" not in _visible(page.text.split("最近的操作记录", 1)[1])


async def test_the_action_filter_shows_one_kind(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    await _entries(session, world, clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["admin"])
    async with http:
        page = await http.get("/admin/audit", params={"action": "password_reset"})
    text = _visible(_table(page.text))
    assert "重置密码" in text and "创建用户" not in text


@pytest.mark.parametrize("role", ["worker", "coordinator", "volunteer"])
async def test_only_admins_see_the_audit(app, settings, session, clock, role):
    world = await build_world(session, now=clock.now())
    await _entries(session, world, clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users[role])
    async with http:
        refused = await http.get("/admin/audit")
    assert refused.status_code == 403
    assert "街道统计表格" not in refused.text and "10.0.0.8" not in refused.text


async def test_a_refusal_page_speaks_english_too(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    http, _csrf = await as_user(app, settings, session, clock, world.users["volunteer"])
    async with http:
        refused = await http.get("/admin/audit", headers=ENGLISH)
        fragment = await http.get("/admin/audit", headers=ENGLISH | HTMX)
    assert refused.status_code == fragment.status_code == 403
    assert (
        "Not allowed" in refused.text and "Your account is not allowed to do this." in refused.text
    )
    assert untranslated(refused.text, world_words(world)) == []
    assert is_fragment(fragment.text)
