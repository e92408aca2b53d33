"""The access audit in words, for the admin pages: people by name, the action as a phrase, the
details as a few labelled facts — never raw ids or JSON.

An entry's ``detail`` is what the recording service chose to keep (ids, counts, a reason); here
each action's keys become sentences a person reads, the ids become names (one query per kind),
and a key no describer knows is shown as a plain fact rather than dropped or dumped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service import page_text
from service.auth import repository
from service.auth.audit import AUDIT_LABELS, AuditAction
from service.masking import mask_phone
from service.models import AuditEntry
from service.page_text import N_
from service.vocab import ROLE_LABELS, USER_STATUS_LABELS

_ = page_text.gettext
SYSTEM = N_("系统（自动任务）")
DELETED = N_("（已删除）")


@dataclass(frozen=True)
class Person:
    """Someone an entry names: their name and masked phone, and their admin page."""

    user_id: int
    name: str
    phone_masked: str


@dataclass(frozen=True)
class AuditRow:
    at: datetime
    action: str
    action_label: str
    actor: Person | None
    actor_note: str  # who, when there is no account to name ("系统", "未注册的号码")
    target: Person | None
    ip: str | None
    facts: list[tuple[str, str]] = field(default_factory=list)  # (label, value), in words


@dataclass
class _Names:
    users: dict[int, tuple[str, str]]
    areas: dict[int, str]
    teams: dict[int, str]
    orders: dict[int, str]
    tokens: dict[int, str]

    def area(self, area_id) -> str:
        return self.areas.get(area_id, _(DELETED)) if area_id else ""

    def team(self, team_id) -> str:
        return self.teams.get(team_id, _(DELETED)) if team_id else ""


def _ids(value) -> list[int]:
    return [value] if isinstance(value, int) and not isinstance(value, bool) else []


def _referenced_ids(entries: Sequence[AuditEntry]) -> dict[str, list[int]]:
    """Every id the entries mention, by kind, so names are fetched in one query per kind."""
    ids: dict[str, list[int]] = {k: [] for k in ("user", "area", "team", "order", "token")}
    for entry in entries:
        ids["user"] += _ids(entry.actor_user_id) + _ids(entry.target_user_id)
        detail = entry.detail or {}
        for grant in [
            *detail.get("grants", []),
            *detail.get("before", []),
            *detail.get("after", []),
        ]:
            if isinstance(grant, dict):
                ids["area"] += _ids(grant.get("area_id"))
                ids["team"] += _ids(grant.get("team_id"))
        ids["area"] += _ids(detail.get("area_id"))
        ids["order"] += _ids(detail.get("order_id"))
        ids["token"] += _ids(detail.get("token_id"))
    return ids


def _grants_text(grants, names: _Names) -> str:
    """ "社区工作者（一号社区）、队长（一号志愿队）"; "—" when there is none."""
    parts = []
    for grant in grants if isinstance(grants, list) else []:
        if not isinstance(grant, dict):
            continue
        role = _(ROLE_LABELS.get(grant.get("role"), str(grant.get("role"))))
        scope = names.area(grant.get("area_id")) or names.team(grant.get("team_id"))
        parts.append(_("%(role)s（%(scope)s）") % {"role": role, "scope": scope} if scope else role)
    return _("、").join(parts) or "—"


def _status_text(value) -> str:
    return _(USER_STATUS_LABELS.get(value, str(value)))


Facts = list[tuple[str, str]]


def _grants_created(detail: dict, names: _Names) -> Facts:
    return [(_("角色"), _grants_text(detail.get("grants"), names))]


def _roles_changed(detail: dict, names: _Names) -> Facts:
    return [
        (_("原来的角色"), _grants_text(detail.get("before"), names)),
        (_("现在的角色"), _grants_text(detail.get("after"), names)),
    ]


def _user_updated(detail: dict, names: _Names) -> Facts:
    facts = []
    if detail.get("name"):
        facts.append((_("姓名"), _("已修改")))
    status = detail.get("status")
    if isinstance(status, dict):
        change = _("%(before)s → %(after)s") % {
            "before": _status_text(status.get("from")),
            "after": _status_text(status.get("to")),
        }
        facts.append((_("账号状态"), change))
    return facts


def _password_reset(detail: dict, names: _Names) -> Facts:
    how = _("生成了临时密码") if detail.get("generated") else _("管理员设定了新密码")
    return [(_("方式"), how)]


def _registered(detail: dict, names: _Names) -> Facts:
    area = names.area(detail.get("area_id"))
    return [(_("所在社区"), area)] if area else []


def _rejected(detail: dict, names: _Names) -> Facts:
    reason = detail.get("reason")
    return [(_("不通过的原因"), str(reason))] if reason else []


def _phone_revealed(detail: dict, names: _Names) -> Facts:
    order_id = detail.get("order_id")
    if not order_id:
        return []
    return [(_("相关活动"), names.orders.get(order_id, _(DELETED)))]


def _token(detail: dict, names: _Names) -> Facts:
    name = detail.get("name") or names.tokens.get(detail.get("token_id"))
    return [(_("令牌名称"), str(name))] if name else []


def _login_attempt(detail: dict, names: _Names) -> Facts:
    # An attempt on a number without an account keeps only a keyed hash of it.
    if detail.get("account"):
        return [(_("手机号"), _("未注册的号码（只保存了无法还原的摘要）"))]
    return []


def _phones_erased(detail: dict, names: _Names) -> Facts:
    facts = []
    if "demand_contacts" in detail:
        facts.append((_("清除的点单联系电话"), str(detail["demand_contacts"])))
    if "resident_accounts" in detail:
        facts.append((_("注销的居民账号"), str(detail["resident_accounts"])))
    if "retention_days" in detail:
        facts.append((_("保留期限"), _("%(days)s 天") % {"days": detail["retention_days"]}))
    return facts


DESCRIBERS: dict[str, Callable[[dict, _Names], Facts]] = {
    AuditAction.user_created: _grants_created,
    AuditAction.roles_changed: _roles_changed,
    AuditAction.user_updated: _user_updated,
    AuditAction.password_reset: _password_reset,
    AuditAction.volunteer_registered: _registered,
    AuditAction.volunteer_rejected: _rejected,
    AuditAction.phone_revealed: _phone_revealed,
    AuditAction.token_created: _token,
    AuditAction.token_revoked: _token,
    AuditAction.login_failed: _login_attempt,
    AuditAction.login_throttled: _login_attempt,
    AuditAction.phones_erased: _phones_erased,
}
# Keys a describer has already said in words (ids become names; none is shown raw).
_SAID = {
    "grants", "before", "after", "name", "status", "generated", "area_id", "volunteer_id",
    "reason", "order_id", "token_id", "account", "demand_contacts", "resident_accounts",
    "retention_days",
}  # fmt: skip


def _other_facts(detail: dict) -> Facts:
    """Keys no describer knows, as plain label/value facts (text and numbers only)."""
    facts = []
    for key, value in detail.items():
        if key in _SAID or key.endswith("_id") or isinstance(value, dict | list):
            continue
        facts.append((key, str(value)))
    return facts


def _person(user_id: int | None, names: _Names) -> Person | None:
    if user_id is None:
        return None
    name, phone = names.users.get(user_id, (_(DELETED), None))
    return Person(user_id=user_id, name=name, phone_masked=mask_phone(phone) or "")


async def describe_entries(
    session: AsyncSession, entries: Sequence[AuditEntry], *, locale: str
) -> list[AuditRow]:
    """The entries as rows of words in ``locale``: names for ids, sentences for details."""
    ids = _referenced_ids(entries)
    found = await repository.names_for_audit(
        session=session, user_ids=ids["user"], area_ids=ids["area"], team_ids=ids["team"],
        order_ids=ids["order"], token_ids=ids["token"],
    )  # fmt: skip
    names = _Names(**found)
    rows = []
    with page_text.use_locale(locale):
        for entry in entries:
            detail = entry.detail if isinstance(entry.detail, dict) else {}
            describe = DESCRIBERS.get(entry.action)
            facts = (describe(detail, names) if describe else []) + _other_facts(detail)
            note = ""
            if entry.actor_user_id is None:
                note = _(SYSTEM) if entry.action == AuditAction.phones_erased else "—"
            rows.append(
                AuditRow(
                    at=entry.at,
                    action=entry.action,
                    action_label=_(AUDIT_LABELS.get(entry.action, entry.action)),
                    actor=_person(entry.actor_user_id, names),
                    actor_note=note,
                    target=_person(entry.target_user_id, names),
                    ip=entry.ip,
                    facts=facts,
                )
            )
    return rows
