"""JSON API for identity: login/logout, profile, personal access tokens, volunteer
registration and approval, and the audited phone reveal."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Response, status

from service.actor import Actor
from service.auth import accounts, personal_data, repository, service
from service.auth.access import AUTHENTICATED, PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.auth.schemas import (
    CodeSent,
    LoginRequest,
    MePublic,
    PasswordChange,
    PhoneRevealed,
    PhoneRevealRequest,
    RegistrationConfirm,
    RegistrationPublic,
    RegistrationRejection,
    SessionPublic,
    TokenCreate,
    TokenCreated,
    TokenPublic,
    VolunteerRegistration,
)
from service.auth.views import code_sent, me_public
from service.auth.web import clear_session_cookie, login_from_request, set_login_cookies
from service.errors import AppError
from service.masking import mask_phone
from service.vocab import Role
from service.web.deps import ClockDep, SessionDep
from service.web.errors import app_error_response
from service.web.params import IdPath

router = APIRouter(prefix="/api/v1", tags=["identity"])
Public = Annotated[Actor, requires(PUBLIC)]
Authenticated = Annotated[Actor, requires(AUTHENTICATED)]
Coordinator = Annotated[Actor, requires(Role.coordinator)]


@router.post("/auth/login", response_model=SessionPublic, name="api_login")
async def login(
    body: LoginRequest,
    request: Request,
    actor: Public,
    session: SessionDep,
    clock: ClockDep,
    throttle: ThrottleDep,
):
    """Log in with phone and password: sets the session cookie and returns the CSRF token."""
    result = await login_from_request(
        request,
        session,
        actor=actor,
        now=clock.now(),
        throttle=throttle,
        phone=body.phone,
        password=body.password,
    )
    if isinstance(result, service.LoginRefused):
        # Returned, not raised: the failure count and audit entry must be committed.
        return app_error_response(request, result.error)
    grants = await repository.grants_of(session=session, user_id=result.user.id)
    response = Response(
        SessionPublic(
            user_id=result.user.id,
            name=result.user.name,
            roles=sorted({grant.role for grant in grants}),
            csrf_token=result.csrf_token,
        ).model_dump_json(),
        media_type="application/json",
    )
    set_login_cookies(response, request.app.state.settings, result)
    return response


@router.post("/auth/logout", status_code=204, name="api_logout")
async def logout(
    request: Request, actor: Authenticated, session: SessionDep, ctx: ContextDep
) -> Response:
    """Revoke the current session server-side and clear the cookie."""
    await service.logout(session, ctx=ctx)
    response = Response(status_code=204)
    clear_session_cookie(response, request.app.state.settings)
    return response


@router.get("/auth/tokens", response_model=list[TokenPublic], name="api_tokens")
async def list_tokens(actor: Authenticated, session: SessionDep, ctx: ContextDep):
    """One's own personal access tokens (never their secrets)."""
    return [
        TokenPublic.model_validate(t, from_attributes=True)
        for t in await service.list_api_tokens(session, ctx=ctx)
    ]


@router.post("/auth/tokens", response_model=TokenCreated, status_code=201, name="api_token_new")
async def create_token(
    body: TokenCreate, actor: Authenticated, session: SessionDep, ctx: ContextDep
):
    """A bearer token for a machine client of /api/v1; the secret is shown only now."""
    token, raw = await service.create_api_token(
        session, ctx=ctx, name=body.name, expires_in_days=body.expires_in_days
    )
    return TokenCreated(
        **TokenPublic.model_validate(token, from_attributes=True).model_dump(), token=raw
    )


@router.delete("/auth/tokens/{token_id}", status_code=204, name="api_token_revoke")
async def revoke_token(
    token_id: IdPath, actor: Authenticated, session: SessionDep, ctx: ContextDep
) -> Response:
    """Revoke one of one's own tokens."""
    await service.revoke_api_token(session, ctx=ctx, token_id=token_id)
    return Response(status_code=204)


@router.get("/me", response_model=MePublic, name="api_me")
async def me(actor: Authenticated, session: SessionDep):
    """The actor's own account, roles and scopes."""
    return await me_public(session, actor)


@router.put("/me/password", status_code=204, name="api_password")
async def change_password(
    body: PasswordChange, actor: Authenticated, session: SessionDep, ctx: ContextDep
) -> Response:
    """Change one's password; other sessions and all tokens are revoked."""
    await service.change_password(
        session, ctx=ctx, current_password=body.current_password, new_password=body.new_password
    )
    return Response(status_code=204)


@router.post("/users/{user_id}/phone-reveal", response_model=PhoneRevealed, name="api_reveal")
async def reveal_phone(
    user_id: IdPath,
    body: PhoneRevealRequest,
    actor: Authenticated,
    session: SessionDep,
    ctx: ContextDep,
):
    """A full phone number, for its owner or the worker of an order they accepted; audited."""
    phone = await personal_data.reveal_phone(
        session, ctx=ctx, user_id=user_id, order_id=body.order_id
    )
    return PhoneRevealed(user_id=user_id, phone=phone)


def _registration(row: dict) -> RegistrationPublic:
    return RegistrationPublic(
        volunteer_id=row["volunteer_id"],
        user_id=row["user_id"],
        name=row["name"],
        phone_masked=mask_phone(row["phone"]),
        home_area_id=row["home_area_id"],
        home_area_name=row["home_area_name"],
        status="pending",
        created_at=row["created_at"],
    )


@router.post(
    "/volunteers/register",
    response_model=CodeSent,
    status_code=status.HTTP_202_ACCEPTED,
    name="api_register",
)
async def register(
    body: VolunteerRegistration,
    request: Request,
    actor: Public,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
):
    """Self-registration, step 1: a code is texted to the number (its owner, if it already has
    an account, is told instead). The answer is the same either way."""
    await accounts.start_registration(
        session, ctx, data=body, ip=client_ip(request), throttle=throttle
    )
    return code_sent(ctx.settings, body.phone)


@router.post(
    "/volunteers/register/confirm",
    response_model=RegistrationPublic,
    status_code=status.HTTP_201_CREATED,
    name="api_register_confirm",
)
async def confirm_registration(
    body: RegistrationConfirm,
    request: Request,
    actor: Public,
    session: SessionDep,
    clock: ClockDep,
    throttle: ThrottleDep,
):
    """Self-registration, step 2: the texted code creates the account, which then waits for a
    coordinator of the home area."""
    result = await accounts.confirm_registration(
        session,
        phone=body.phone,
        code=body.code,
        now=clock.now(),
        ip=client_ip(request),
        settings=request.app.state.settings,
        throttle=throttle,
    )
    if isinstance(result, AppError):
        # Returned, not raised: the wrong try counted on the code must be committed.
        return app_error_response(request, result)
    user, volunteer, area = result
    return _registration(
        {
            "volunteer_id": volunteer.id,
            "user_id": user.id,
            "name": user.name,
            "phone": user.phone,
            "home_area_id": area.id,
            "home_area_name": area.name,
            "created_at": volunteer.created_at,
        }
    )


@router.get("/volunteers/pending", response_model=list[RegistrationPublic], name="api_pending")
async def pending(actor: Coordinator, session: SessionDep, ctx: ContextDep):
    """Registrations awaiting approval in the coordinator's areas."""
    return [_registration(row) for row in await accounts.pending_registrations(session, ctx=ctx)]


@router.post("/volunteers/{volunteer_id}/approve", status_code=204, name="api_approve")
async def approve(
    volunteer_id: IdPath, actor: Coordinator, session: SessionDep, ctx: ContextDep
) -> Response:
    """Approve a self-registered volunteer of one's own area."""
    await accounts.approve_volunteer(session, ctx=ctx, volunteer_id=volunteer_id)
    return Response(status_code=204)


@router.post("/volunteers/{volunteer_id}/reject", status_code=204, name="api_reject")
async def reject(
    volunteer_id: IdPath,
    body: RegistrationRejection,
    actor: Coordinator,
    session: SessionDep,
    ctx: ContextDep,
) -> Response:
    """Decline a self-registration of one's own area, with the reason the applicant is told."""
    await accounts.reject_volunteer(session, ctx=ctx, volunteer_id=volunteer_id, reason=body.reason)
    return Response(status_code=204)
