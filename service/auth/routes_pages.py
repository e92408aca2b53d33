"""Pages: login, logout, volunteer registration, my account, password and API tokens, phone reveal.

Every word reaches the page in the reader's language: templates through ``_()``, this module's
notices as ``N_``-marked sentences said with ``say``, refusals (catalogue messages) said again
with ``say`` too, form errors through ``form_errors(error, request)``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import ValidationError

from service.actor import Actor
from service.auth import accounts, personal_data, repository, service
from service.auth.access import AUTHENTICATED, PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.auth.schemas import (
    LoginRequest,
    PasswordChange,
    RegistrationConfirm,
    TokenCreate,
    VolunteerRegistration,
)
from service.auth.views import code_sent_message, me_public
from service.auth.web import (
    clear_session_cookie,
    form_errors,
    form_fields,
    login_from_request,
    redirect,
    safe_next,
    say,
    set_login_cookies,
)
from service.errors import AppError
from service.page_text import N_
from service.schemas_common import MAX_ID
from service.web.deps import ClockDep, SessionDep
from service.web.errors import retry_after_headers
from service.web.params import IdPath
from service.web.templating import render

router = APIRouter(include_in_schema=False)
Public = Annotated[Actor, requires(PUBLIC)]
Authenticated = Annotated[Actor, requires(AUTHENTICATED)]
LANDING = "/start"  # without a `next`, login lands on the role's own first page


@router.get("/login", name="login_form")
async def login_form(request: Request, actor: Public, next: str | None = None):
    """The login page."""
    if not actor.is_anonymous:
        return redirect(request, safe_next(next, LANDING))
    return render(request, "auth/login.html", {"next": safe_next(next, LANDING), "phone": ""})


@router.post("/login", name="login_submit")
async def login_submit(
    request: Request, actor: Public, session: SessionDep, clock: ClockDep, throttle: ThrottleDep
):
    """Check the credentials; a new session id every time, the old one revoked."""
    fields = form_fields(await request.form())
    next_url = safe_next(fields.get("next"), LANDING)
    context = {"next": next_url, "phone": fields.get("phone", "")[:13]}
    try:
        credentials = LoginRequest(
            phone=fields.get("phone", ""), password=fields.get("password", "")
        )
    except ValidationError as invalid:
        context["errors"] = form_errors(invalid, request)
        context["error"] = say(request, N_("请输入 11 位手机号和密码。"))
        return render(request, "auth/login.html", context, status_code=422)
    result = await login_from_request(
        request,
        session,
        actor=actor,
        now=clock.now(),
        throttle=throttle,
        phone=credentials.phone,
        password=credentials.password,
    )
    if isinstance(result, service.LoginRefused):
        # Rendered, not raised: the failure count and audit entry must be committed.
        context["error"] = say(request, result.error.detail)
        response = render(request, "auth/login.html", context, status_code=result.error.status_code)
        response.headers.update(retry_after_headers(result.error) or {})
        return response
    response = redirect(request, next_url)
    set_login_cookies(response, request.app.state.settings, result)
    return response


@router.post("/logout", name="logout")
async def logout(request: Request, actor: Public, session: SessionDep, ctx: ContextDep):
    """Revoke the session server-side, clear the cookie, go home."""
    await service.logout(session, ctx=ctx)
    response = redirect(request, str(request.url_for("home").path))
    clear_session_cookie(response, request.app.state.settings)
    return response


async def _communities(session) -> list[dict]:
    return await repository.communities_for_choice(session=session)


@router.get("/register", name="register_form")
async def register_form(request: Request, actor: Public, session: SessionDep):
    """Volunteer self-registration."""
    return render(request, "auth/register.html", await _register_context(request, session, {}, {}))


async def _register_context(request, session, form: dict, errors: dict) -> dict:
    return {
        "form": form,
        "errors": errors,
        "communities": await _communities(session),
        "min_password": request.app.state.settings.password_min_length,
    }


# Refusals of the registration form and the field each belongs next to.
_REGISTRATION_FIELDS = {
    "unknown_community": "home_community_id",
    "half_location": "home_community_id",
    "too_many_requests": "phone",
}


@router.post("/register", name="register_submit")
async def register_submit(
    request: Request, actor: Public, session: SessionDep, ctx: ContextDep, throttle: ThrottleDep
):
    """Step 1: check the form and text a code; errors are shown next to their fields."""
    fields = form_fields(await request.form())
    fields.pop("csrf_token", None)
    form = {
        key: fields.get(key, "")
        for key in ("name", "phone", "home_community_id", "radius_km", "bio")
    }
    try:
        data = VolunteerRegistration.model_validate(
            {**{k: v for k, v in fields.items() if v != "" or k == "bio"}}
        )
        await accounts.start_registration(
            session, ctx, data=data, ip=client_ip(request), throttle=throttle
        )
    except ValidationError as error:
        context = await _register_context(request, session, form, form_errors(error, request))
        return render(request, "auth/register.html", context, status_code=422)
    except AppError as error:
        field = _REGISTRATION_FIELDS.get(error.code, "password")
        context = await _register_context(
            request, session, form, {field: say(request, error.detail)}
        )
        response = render(request, "auth/register.html", context, status_code=error.status_code)
        response.headers.update(retry_after_headers(error) or {})
        return response
    return _code_page(request, data.phone, status_code=202)


def _code_page(request: Request, phone: str, *, status_code: int, error: str | None = None):
    sent = code_sent_message(request.app.state.settings, phone)
    context = {
        "phone": phone,
        "message": say(request, sent),
        "error": say(request, error) if error else None,
    }
    return render(request, "auth/register_code.html", context, status_code=status_code)


@router.post("/register/confirm", name="register_confirm")
async def register_confirm(
    request: Request, actor: Public, session: SessionDep, clock: ClockDep, throttle: ThrottleDep
):
    """Step 2: the texted code creates the pending account."""
    fields = form_fields(await request.form())
    try:
        data = RegistrationConfirm(phone=fields.get("phone", ""), code=fields.get("code", ""))
    except ValidationError as error:
        phone = fields.get("phone", "")
        errors = form_errors(error, request)
        if "phone" in errors:
            return redirect(request, str(request.url_for("register_form").path))
        return _code_page(request, phone, status_code=422, error=errors["code"])
    try:
        result = await accounts.confirm_registration(
            session,
            phone=data.phone,
            code=data.code,
            now=clock.now(),
            ip=client_ip(request),
            settings=request.app.state.settings,
            throttle=throttle,
        )
    except AppError as error:
        response = _code_page(
            request, data.phone, status_code=error.status_code, error=error.detail
        )
        response.headers.update(retry_after_headers(error) or {})
        return response
    if isinstance(result, AppError):  # rendered, not raised: the counted try must be committed
        return _code_page(request, data.phone, status_code=result.status_code, error=result.detail)
    user, _volunteer, _area = result
    return render(
        request, "auth/registered.html", {"name": user.name, "phone": user.phone}, status_code=201
    )


async def _me_context(request, session, actor, **extra) -> dict:
    return {
        "me": await me_public(session, actor),
        "min_password": request.app.state.settings.password_min_length,
        **extra,
    }


@router.get("/me", name="me")
async def me(request: Request, actor: Authenticated, session: SessionDep):
    """My account: name, my own full phone number, roles and scopes, password change."""
    return render(request, "auth/me.html", await _me_context(request, session, actor))


@router.post("/me/password", name="password_submit")
async def password_submit(
    request: Request, actor: Authenticated, session: SessionDep, ctx: ContextDep
):
    """Change my password (other sessions end); a refusal is shown next to its field."""
    fields = form_fields(await request.form())
    try:
        data = PasswordChange(
            current_password=fields.get("current_password", ""),
            new_password=fields.get("new_password", ""),
        )
        await service.change_password(
            session, ctx=ctx, current_password=data.current_password, new_password=data.new_password
        )
    except ValidationError as invalid:
        context = await _me_context(
            request, session, actor, errors=form_errors(invalid, request),
            error=say(request, N_("请填写当前密码和新密码。")),
        )  # fmt: skip
        return render(request, "auth/me.html", context, status_code=422)
    except AppError as error:
        field = "current_password" if error.code == "wrong_password" else "new_password"
        errors = {field: say(request, error.detail)}
        context = await _me_context(request, session, actor, errors=errors)
        return render(request, "auth/me.html", context, status_code=error.status_code)
    context = await _me_context(request, session, actor, message=say(request, N_("密码已修改。")))
    return render(request, "auth/me.html", context)


@router.post("/users/{user_id}/phone-reveal", name="phone_reveal")
async def phone_reveal(
    request: Request, user_id: IdPath, actor: Authenticated, session: SessionDep, ctx: ContextDep
):
    """An htmx fragment with the full number (policy-checked, audited) — e.g. on an order page:
    ``<button hx-post="/users/7/phone-reveal" hx-vals='{"order_id": 12}'>显示号码</button>``."""
    fields = form_fields(await request.form())
    raw_order = fields.get("order_id") or request.query_params.get("order_id")
    order_id = (
        int(raw_order) if raw_order and raw_order.isdigit() and int(raw_order) <= MAX_ID else None
    )
    phone = await personal_data.reveal_phone(session, ctx=ctx, user_id=user_id, order_id=order_id)
    return render(request, "auth/_phone.html", {"user_id": user_id, "phone": phone})


# ---------------------------------------------------------------- my API tokens

# How long a new token may live, in days (the form's choices; the API takes any 1–366).
TOKEN_LIFETIMES = {
    7: N_("7 天"),
    30: N_("30 天"),
    90: N_("90 天（推荐）"),
    180: N_("180 天"),
    365: N_("1 年"),
}
DEFAULT_LIFETIME = 90


async def _tokens_page(request, session, ctx, *, status_code=200, **extra):
    """The tokens page: my tokens (newest first) and the form for a new one."""
    context = {
        "tokens": await service.list_api_tokens(session, ctx=ctx),
        "now": ctx.now,
        "lifetimes": TOKEN_LIFETIMES,
        "form": {"name": "", "expires_in_days": str(DEFAULT_LIFETIME)},
        "errors": {},
        **extra,
    }
    return render(request, "auth/tokens.html", context, status_code=status_code)


@router.get("/me/tokens", name="me_tokens")
async def me_tokens(request: Request, actor: Authenticated, session: SessionDep, ctx: ContextDep):
    """My personal access tokens for the API (/docs → Authorize): list, create, revoke."""
    done = request.query_params.get("done")
    message = (
        say(request, N_("令牌已撤销，用它发出的请求将被拒绝。")) if done == "revoked" else None
    )
    return await _tokens_page(request, session, ctx, message=message)


@router.post("/me/tokens", name="me_token_create")
async def me_token_create(
    request: Request, actor: Authenticated, session: SessionDep, ctx: ContextDep
):
    """Create a token and show its secret this once (rendered, not redirected: the secret must
    not travel in a URL or be stored to be shown again)."""
    fields = form_fields(await request.form())
    form = {"name": fields.get("name", ""), "expires_in_days": fields.get("expires_in_days", "")}
    try:
        data = TokenCreate(name=form["name"], expires_in_days=form["expires_in_days"] or None)
    except ValidationError as invalid:
        return await _tokens_page(
            request, session, ctx, status_code=422, form=form,
            errors=form_errors(invalid, request),
        )  # fmt: skip
    token, secret = await service.create_api_token(
        session, ctx=ctx, name=data.name, expires_in_days=data.expires_in_days
    )
    return await _tokens_page(request, session, ctx, status_code=201, created=token, secret=secret)


@router.post("/me/tokens/{token_id}/revoke", name="me_token_revoke")
async def me_token_revoke(
    request: Request, token_id: IdPath, actor: Authenticated, session: SessionDep, ctx: ContextDep
):
    """Revoke one of my tokens (someone else's is "not found"); then back to the list."""
    await service.revoke_api_token(session, ctx=ctx, token_id=token_id)
    return redirect(request, str(request.url_for("me_tokens").path) + "?done=revoked")
