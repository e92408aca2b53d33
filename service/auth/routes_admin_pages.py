"""Administration pages: users and their scoped roles, the audit; volunteer approvals.

Every word reaches the page in the reader's language: the templates' own text through ``_()``,
this module's notices as ``N_``-marked sentences said with ``say``, refusals (catalogue
messages) with ``in_page_locale`` (inside ``say``), form errors through ``form_errors``.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError

from service.actor import Actor
from service.auth import accounts, audit, repository
from service.auth.access import requires
from service.auth.audit_views import describe_entries
from service.auth.dependencies import ContextDep
from service.auth.schemas import (
    GrantIn,
    PasswordReset,
    RegistrationRejection,
    UserCreate,
    UserUpdate,
)
from service.auth.views import users_public
from service.auth.web import form_errors, form_fields, redirect, say
from service.errors import AppError, InvalidInput, NotFound
from service.lifecycle.accounts import USER
from service.messages import text
from service.page_text import N_
from service.schemas_common import MAX_ID, Text
from service.vocab import ROLE_LABELS, USER_STATUS_LABELS, Role, UserStatus
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import page_locale, render

router = APIRouter(prefix="/admin", include_in_schema=False)
Admin = Annotated[Actor, requires(Role.admin)]
Coordinator = Annotated[Actor, requires(Role.coordinator)]
PAGE_SIZE = 50
GRANT_ROWS = 12  # the most role rows a form may carry
AREA_LEVEL_LABELS = {"district": N_("区县"), "street": N_("街道"), "community": N_("社区")}


def _labels() -> dict:
    """Label tables in Chinese source text; the templates say them with ``_()``."""
    return {
        "role_labels": {str(k): v for k, v in ROLE_LABELS.items()},
        "status_labels": {str(k): v for k, v in USER_STATUS_LABELS.items()},
        "level_labels": AREA_LEVEL_LABELS,
    }


def _grants_from_form(fields: dict[str, str]) -> list[GrantIn]:
    """Rows role_i / area_i / team_i; a row without a role is ignored."""
    grants = []
    for i in range(GRANT_ROWS):
        role = fields.get(f"role_{i}")
        if not role:
            continue
        area, team = fields.get(f"area_{i}") or None, fields.get(f"team_{i}") or None
        try:
            grants.append(GrantIn(role=role, area_id=area, team_id=team))
        except ValidationError:
            raise InvalidInput(text("refusal.grant.bad_row", row=i + 1), code="bad_grant") from None
    return grants


@router.get("/users", name="admin_users")
async def users(
    request: Request,
    actor: Admin,
    session: SessionDep,
    name: Annotated[Text(64) | None, Query()] = None,
    phone_tail: Annotated[str | None, Query(pattern=r"^(\d{4})?$")] = None,
    role: Annotated[Role | None, Query()] = None,
    status: Annotated[UserStatus | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """All users, filterable; phones masked."""
    found, total = await repository.list_users(
        session=session,
        name=name or None,
        phone_tail=phone_tail or None,
        role=role,
        status=status,
        limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE,
    )
    filters = {"name": name, "phone_tail": phone_tail, "role": role, "status": status}
    query = {k: v for k, v in filters.items() if v}
    base = str(request.url_for("admin_users").path)

    def page_url(number: int) -> str:
        return f"{base}?{urlencode({**query, 'page': number})}"

    return render(
        request,
        "admin/users.html",
        {
            "actor": actor,
            "users": await users_public(session, found),
            "total": total,
            "filters": filters,
            "prev_url": page_url(page - 1) if page > 1 else None,
            "next_url": page_url(page + 1) if page * PAGE_SIZE < total else None,
            **_labels(),
        },
    )


async def _choices(session) -> dict:
    return {
        "areas": await repository.areas_for_choice(session=session),
        "teams": await repository.teams_for_choice(session=session),
    }


@router.get("/users/new", name="admin_user_new")
async def user_new(request: Request, actor: Admin, session: SessionDep):
    context = {"actor": actor, "form": {}, "errors": {}, **await _choices(session), **_labels()}
    return render(request, "admin/user_new.html", context)


# Refusals of the new-user form that belong next to one field.
_FIELD_OF_REFUSAL = {"phone_taken": "phone", "weak": "password"}


@router.post("/users", name="admin_user_create")
async def user_create(request: Request, actor: Admin, session: SessionDep, ctx: ContextDep):
    """Create a user from the form, then show them; refusals next to the field they concern."""
    fields = form_fields(await request.form())
    form = {key: fields.get(key, "") for key in ("name", "phone")}
    form["grants"] = [
        {"role": fields.get(f"role_{i}"), "area_id": fields.get(f"area_{i}"),
         "team_id": fields.get(f"team_{i}")}
        for i in range(3)
    ]  # fmt: skip
    errors: dict[str, str] = {}
    status_code = 422
    try:
        data = UserCreate(
            phone=fields.get("phone", ""),
            name=fields.get("name", ""),
            password=fields.get("password", ""),
            grants=_grants_from_form(fields),
        )
        user = await accounts.create_user(session, ctx=ctx, data=data)
    except ValidationError as invalid:
        errors = form_errors(invalid, request)
    except AppError as refused:
        status_code = refused.status_code
        errors = {_FIELD_OF_REFUSAL.get(refused.code, "grants"): say(request, refused.detail)}
    else:
        return redirect(request, str(request.url_for("admin_user", user_id=user.id).path))
    context = {
        "actor": actor, "form": form, "errors": errors,
        "error": say(request, N_("请修改标出的内容后再提交。")),
        **await _choices(session), **_labels(),
    }  # fmt: skip
    return render(request, "admin/user_new.html", context, status_code=status_code)


async def _detail(request, session, actor, user_id: int, *, status_code=200, **extra):
    user = await repository.user_by_id(session=session, user_id=user_id)
    if user is None:
        raise NotFound(text("refusal.account.user_not_found"))
    entries = await audit.recent_entries(session, user_id=user_id, limit=20)
    context = {
        "actor": actor,
        "user": (await users_public(session, [user]))[0],
        "entries": await describe_entries(session, entries, locale=page_locale(request)),
        **await _choices(session),
        **_labels(),
        # Only the statuses the account machine allows from here (待审核 is set by registration).
        "status_choices": {
            str(status): label
            for status, label in USER_STATUS_LABELS.items()
            if status == user.status or USER.is_legal(user.status, status)
        },
        **extra,
    }
    return render(request, "admin/user_detail.html", context, status_code=status_code)


async def _change_then_detail(
    request, session, actor, user_id: int, change, *, part: str, done: str, invalid: str | None
):
    """Run ``change`` and show the user again: with ``done`` (and what ``change`` returned for
    the page), or with why it was refused, shown in the ``part`` of the page whose form was
    sent. An unknown user stays a 404."""
    try:
        extra = await change() or {}
    except ValidationError:
        if invalid is None:
            raise
        return await _detail(
            request, session, actor, user_id, status_code=422,
            error=say(request, invalid), error_part=part,
        )  # fmt: skip
    except AppError as refused:
        if refused.status_code == 404:
            raise
        return await _detail(
            request, session, actor, user_id, status_code=refused.status_code,
            error=say(request, refused.detail), error_part=part,
        )  # fmt: skip
    return await _detail(
        request, session, actor, user_id, message=say(request, done), message_part=part, **extra
    )


@router.get("/users/{user_id}", name="admin_user")
async def user_detail(request: Request, user_id: IdPath, actor: Admin, session: SessionDep):
    """One user: roles and scopes, status, password reset, their audit trail."""
    return await _detail(request, session, actor, user_id)


@router.post("/users/{user_id}/roles", name="admin_user_roles")
async def user_roles(
    request: Request, user_id: IdPath, actor: Admin, session: SessionDep, ctx: ContextDep
):
    fields = form_fields(await request.form())

    async def change():
        grants = _grants_from_form(fields)
        await accounts.set_roles(session, ctx=ctx, user_id=user_id, grants=grants)

    return await _change_then_detail(
        request, session, actor, user_id, change,
        part="roles", done=N_("角色已更新。"), invalid=None,
    )  # fmt: skip


@router.post("/users/{user_id}/status", name="admin_user_status")
async def user_status(
    request: Request, user_id: IdPath, actor: Admin, session: SessionDep, ctx: ContextDep
):
    fields = form_fields(await request.form())

    async def change():
        data = UserUpdate(status=fields.get("status") or None)
        await accounts.update_user(session, ctx=ctx, user_id=user_id, data=data)

    return await _change_then_detail(
        request, session, actor, user_id, change,
        part="status", done=N_("状态已更新。"), invalid=N_("请选择一个有效的状态。"),
    )  # fmt: skip


@router.post("/users/{user_id}/reset-password", name="admin_user_reset")
async def user_reset(
    request: Request, user_id: IdPath, actor: Admin, session: SessionDep, ctx: ContextDep
):
    fields = form_fields(await request.form())

    async def change():
        data = PasswordReset(new_password=fields.get("new_password") or None)
        temporary = await accounts.reset_password(
            session, ctx=ctx, user_id=user_id, new_password=data.new_password
        )
        return {"temporary_password": temporary}

    return await _change_then_detail(
        request, session, actor, user_id, change,
        part="reset", done=N_("密码已重置，该用户需重新登录。"),
        invalid=N_("新密码不符合要求，请换一个。"),
    )  # fmt: skip


@router.get("/audit", name="admin_audit")
async def audit_page(
    request: Request,
    actor: Admin,
    session: SessionDep,
    action: Annotated[audit.AuditAction | None, Query()] = None,
):
    """The access audit, newest first, in words: who did what to whom."""
    entries = await audit.recent_entries(session, action=action, limit=200)
    return render(
        request,
        "admin/audit.html",
        {
            "actor": actor,
            "entries": await describe_entries(session, entries, locale=page_locale(request)),
            "action": action,
            "action_labels": {str(k): v for k, v in audit.AUDIT_LABELS.items()},
        },
    )


# ---------------------------------------------------------------- volunteer approvals

_DONE = {
    "approved": N_("已通过 %(name)s 的注册：账号已开通，本人会收到通知，可以登录接单。"),
    "rejected": N_("已将 %(name)s 的注册标记为不通过，原因已通过短信告知本人。"),
}


async def _registrations_page(request, session, actor, ctx, *, status_code=200, **extra):
    pending = await accounts.pending_registrations(session, ctx=ctx)
    context = {"actor": actor, "pending": pending, **extra}
    return render(request, "admin/registrations.html", context, status_code=status_code)


@router.get("/registrations", name="admin_registrations")
async def registrations(
    request: Request,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
    done: Literal["approved", "rejected"] | None = None,
    volunteer: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
):
    """Self-registered volunteers waiting for approval in the coordinator's areas; after a
    decision, what just happened (named only when the volunteer is in the actor's areas)."""
    message = None
    if done and volunteer:
        name = await accounts.reviewed_registration_name(session, ctx=ctx, volunteer_id=volunteer)
        message = say(request, _DONE[done], name=name) if name else None
    return await _registrations_page(request, session, actor, ctx, message=message)


def _after_decision(request: Request, done: str, volunteer_id: int):
    url = str(request.url_for("admin_registrations").path)
    return redirect(request, f"{url}?{urlencode({'done': done, 'volunteer': volunteer_id})}")


@router.post("/registrations/{volunteer_id}/approve", name="admin_registration_approve")
async def registration_approve(
    request: Request, volunteer_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """One click: the volunteer is activated and told; the list says so."""
    try:
        await accounts.approve_volunteer(session, ctx=ctx, volunteer_id=volunteer_id)
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        return await _registrations_page(
            request, session, actor, ctx, status_code=refused.status_code,
            error=say(request, refused.detail),
        )  # fmt: skip
    return _after_decision(request, "approved", volunteer_id)


async def _reject_page(request, session, ctx, volunteer_id: int, *, status_code=200, **extra):
    registration = await accounts.registration_for_review(
        session, ctx=ctx, volunteer_id=volunteer_id
    )
    context = {"actor": ctx.actor, "registration": registration, "reason": "", "errors": {}}
    context.update(extra)
    return render(request, "admin/registration_reject.html", context, status_code=status_code)


@router.get("/registrations/{volunteer_id}/reject", name="admin_registration_reject_form")
async def registration_reject_form(
    request: Request, volunteer_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """The confirmation step of declining: who it is, and the reason the applicant will read."""
    return await _reject_page(request, session, ctx, volunteer_id)


@router.post("/registrations/{volunteer_id}/reject", name="admin_registration_reject")
async def registration_reject(
    request: Request, volunteer_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
):
    """Decline with a reason (required): audited, and texted to the applicant."""
    fields = form_fields(await request.form())
    reason = fields.get("reason", "")
    try:
        data = RegistrationRejection(reason=reason)
    except ValidationError as invalid:
        return await _reject_page(
            request, session, ctx, volunteer_id, status_code=422,
            reason=reason, errors=form_errors(invalid, request),
        )  # fmt: skip
    try:
        await accounts.reject_volunteer(
            session, ctx=ctx, volunteer_id=volunteer_id, reason=data.reason
        )
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        return await _registrations_page(
            request, session, actor, ctx, status_code=refused.status_code,
            error=say(request, refused.detail),
        )  # fmt: skip
    return _after_decision(request, "rejected", volunteer_id)
