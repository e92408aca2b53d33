"""Accounts: admins create users, set scoped roles, reset passwords; volunteers self-register
and a coordinator over their home area approves them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import phone_codes, policy, repository
from service.auth.audit import AuditAction, record, record_action
from service.auth.passwords import hash_password
from service.auth.phone_codes import phone_limits
from service.auth.schemas import GrantIn, UserCreate, UserUpdate, VolunteerRegistration
from service.auth.service import check_password_strength
from service.auth.throttle import Limit, ThrottleStore, enforce_rate_limit
from service.context import ActionContext
from service.domain_events import PhoneTextReady, VolunteerApproved, publish
from service.errors import AppError, Conflict, Forbidden, InvalidInput, NotFound
from service.lifecycle.accounts import change_user_status, change_volunteer_status
from service.messages import text
from service.models import Area, User, Volunteer
from service.settings import Settings
from service.vocab import AreaLevel, Role, UserStatus, VolunteerStatus


async def _validated_grants(
    session: AsyncSession, grants: list[GrantIn]
) -> list[tuple[Role, int | None, int | None]]:
    """Each grant scoped the way its role needs (worker → community, coordinator → street/district)."""
    result = []
    for grant in grants:
        area = (
            await repository.area_by_id(session=session, area_id=grant.area_id)
            if grant.area_id
            else None
        )
        if grant.area_id and area is None:
            raise InvalidInput(text("refusal.account.unknown_area"), code="unknown_area")
        team_ok = bool(grant.team_id) and await repository.team_exists(
            session=session, team_id=grant.team_id
        )
        problem = policy.grant_scope_problem(grant.role, area.level if area else None, team_ok)
        if problem:
            raise InvalidInput(problem, code="bad_scope")
        area_id = grant.area_id if grant.role in policy.SCOPE_LEVELS else None
        team_id = grant.team_id if grant.role == Role.team_leader else None
        result.append((grant.role, area_id, team_id))
    return result


def _grants_detail(grants) -> list[dict]:
    return [{"role": str(role), "area_id": area, "team_id": team} for role, area, team in grants]


async def create_user(session: AsyncSession, *, ctx: ActionContext, data: UserCreate) -> User:
    """An active account with the given scoped roles."""
    if await repository.user_by_phone(session=session, phone=data.phone):
        raise Conflict(text("refusal.account.phone_taken"), code="phone_taken")
    check_password_strength(data.password, ctx.settings, phone=data.phone)
    grants = await _validated_grants(session, data.grants)
    user = User(
        phone=data.phone,
        name=data.name,
        password_hash=await hash_password(data.password),
        status=UserStatus.active,
        created_at=ctx.now,
    )
    session.add(user)
    await session.flush()
    await repository.replace_grants(session=session, user_id=user.id, grants=grants)
    await record_action(
        session, ctx, AuditAction.user_created, target_user_id=user.id,
        detail={"grants": _grants_detail(grants)},
    )  # fmt: skip
    return user


async def _user_or_404(session: AsyncSession, user_id: int) -> User:
    user = await repository.user_by_id(session=session, user_id=user_id)
    if user is None:
        raise NotFound(text("refusal.account.user_not_found"))
    return user


async def update_user(
    session: AsyncSession, *, ctx: ActionContext, user_id: int, data: UserUpdate
) -> User:
    """Rename or change status; disabling ends every session and token at once."""
    user = await _user_or_404(session, user_id)
    changes = {}
    if data.name is not None and data.name != user.name:
        user.name = data.name
        changes["name"] = True
    if data.status is not None and data.status != user.status:
        if user.id == ctx.actor.user_id and data.status != UserStatus.active:
            raise Conflict(text("refusal.account.self_disable"), code="self_disable")
        changes["status"] = {"from": user.status, "to": str(data.status)}
        await change_user_status(session, ctx, user_id=user.id, to=data.status)
        if data.status != UserStatus.active:
            await repository.revoke_sessions_of(session=session, user_id=user.id, now=ctx.now)
            await repository.revoke_tokens_of(session=session, user_id=user.id, now=ctx.now)
    if changes:
        await record_action(
            session, ctx, AuditAction.user_updated, target_user_id=user.id, detail=changes
        )
    return user


async def set_roles(
    session: AsyncSession, *, ctx: ActionContext, user_id: int, grants: list[GrantIn]
) -> User:
    """Replace a user's roles and scopes; the audit keeps before and after."""
    user = await _user_or_404(session, user_id)
    new = await _validated_grants(session, grants)
    before = await repository.grants_of(session=session, user_id=user.id)
    if user.id == ctx.actor.user_id and Role.admin not in {role for role, _, _ in new}:
        raise Conflict(text("refusal.account.self_demote"), code="self_demote")
    await repository.replace_grants(session=session, user_id=user.id, grants=new)
    await record_action(
        session, ctx, AuditAction.roles_changed, target_user_id=user.id,
        detail={
            "before": _grants_detail((g.role, g.area_id, g.team_id) for g in before),
            "after": _grants_detail(new),
        },
    )  # fmt: skip
    return user


async def reset_password(
    session: AsyncSession, *, ctx: ActionContext, user_id: int, new_password: str | None
) -> str | None:
    """Set a new password (or generate a temporary one, returned once); sessions end."""
    user = await _user_or_404(session, user_id)
    temporary = None
    if new_password is None:
        temporary = new_password = secrets.token_urlsafe(9)
    check_password_strength(new_password, ctx.settings, phone=user.phone)
    user.password_hash = await hash_password(new_password)
    await repository.revoke_sessions_of(session=session, user_id=user.id, now=ctx.now)
    await repository.revoke_tokens_of(session=session, user_id=user.id, now=ctx.now)
    await record_action(
        session, ctx, AuditAction.password_reset, target_user_id=user.id,
        detail={"generated": temporary is not None},
    )  # fmt: skip
    return temporary


# ---------------------------------------------------------------- volunteer self-registration


REGISTER = "register"


async def start_registration(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    data: VolunteerRegistration,
    ip: str | None,
    throttle: ThrottleStore,
) -> None:
    """Step 1: check the form, then text a code to the number, or tell its owner instead.

    Every refusal comes before the number is looked up and none depends on it being known, and
    both ways pay the same password hash: the caller answers alike whether or not it is known
    (no phone oracle). An attempt to register someone's number changes nothing of theirs.
    """
    if (data.home_lat is None) != (data.home_lng is None):
        raise InvalidInput(text("refusal.registration.half_location"), code="half_location")
    area = await repository.area_by_id(session=session, area_id=data.home_community_id)
    if area is None or area.level != AreaLevel.community:
        raise InvalidInput(text("refusal.registration.unknown_community"), code="unknown_community")
    settings = ctx.settings
    check_password_strength(data.password, settings, phone=data.phone)
    await enforce_rate_limit(
        throttle, phone_limits(settings, scope=REGISTER, target=data.phone, ip=ip), now=ctx.now
    )
    password_hash = await hash_password(data.password)
    if await repository.user_by_phone(session=session, phone=data.phone):
        message = PhoneTextReady(
            phone=data.phone, kind="registration_attempt",
            title=text("notification.phone_code.taken.title"),
            body=text("notification.phone_code.taken.body"),
        )  # fmt: skip
    else:
        code = await phone_codes.issue(
            session, settings=settings, now=ctx.now, purpose=REGISTER, phone=data.phone,
            payload={**data.model_dump(exclude={"password"}), "password_hash": password_hash},
        )  # fmt: skip
        message = PhoneTextReady(
            phone=data.phone, kind="phone_code",
            title=text("notification.phone_code.register.title", code=code),
            body=text("notification.phone_code.body", minutes=settings.phone_code_minutes),
        )  # fmt: skip
    await publish(session, ctx, message)


async def confirm_registration(
    session: AsyncSession,
    *,
    phone: str,
    code: str,
    now: datetime,
    ip: str | None,
    settings: Settings,
    throttle: ThrottleStore,
) -> tuple[User, Volunteer, Area] | AppError:
    """Step 2: the texted code creates the pending account and volunteer profile.

    A wrong code is returned, not raised: its counted try must be committed.
    """
    if ip:
        await enforce_rate_limit(
            throttle, [Limit(f"{REGISTER}-ip:{ip[:64]}", settings.phone_ip_max_attempts)], now=now
        )
    form = await phone_codes.confirm(
        session, settings=settings, now=now, purpose=REGISTER, phone=phone, code=code
    )
    if form is None:
        return InvalidInput(text("refusal.phone_code.wrong"), code="wrong_code", field="code")
    # Only the holder of the number gets here, so saying it is taken reveals nothing new.
    if await repository.user_by_phone(session=session, phone=phone):
        raise Conflict(text("refusal.account.phone_taken"), code="phone_taken")
    area = await repository.area_by_id(session=session, area_id=form["home_community_id"])
    if area is None or area.level != AreaLevel.community:
        raise InvalidInput(text("refusal.registration.unknown_community"), code="unknown_community")
    return await _create_pending_volunteer(session, form=form, area=area, now=now, ip=ip)


async def _create_pending_volunteer(
    session: AsyncSession, *, form: dict, area: Area, now: datetime, ip: str | None
) -> tuple[User, Volunteer, Area]:
    """A pending account and volunteer profile; nothing is usable before approval."""
    user = User(
        phone=form["phone"],
        name=form["name"],
        password_hash=form["password_hash"],
        status=UserStatus.pending,
        created_at=now,
    )
    session.add(user)
    await session.flush()
    await repository.replace_grants(
        session=session, user_id=user.id, grants=[(Role.volunteer, None, None)]
    )
    volunteer = Volunteer(
        user_id=user.id,
        home_area_id=area.id,
        # Without an exact home the community centroid stands in (distances stay meaningful).
        home_lat=form["home_lat"] if form["home_lat"] is not None else area.lat,
        home_lng=form["home_lng"] if form["home_lng"] is not None else area.lng,
        radius_km=form["radius_km"],
        bio=form["bio"],
        status=VolunteerStatus.pending,
        created_at=now,
    )
    session.add(volunteer)
    await session.flush()
    await record(
        session, action=AuditAction.volunteer_registered, now=now, actor_user_id=user.id,
        target_user_id=user.id, ip=ip, detail={"volunteer_id": volunteer.id, "area_id": area.id},
    )  # fmt: skip
    return user, volunteer, area


async def pending_registrations(session: AsyncSession, *, ctx: ActionContext) -> list[dict]:
    """Self-registered volunteers waiting for approval, in the actor's areas."""
    return await repository.pending_registrations(session=session, actor=ctx.actor)


async def _registration_in_scope(session: AsyncSession, ctx: ActionContext, volunteer_id: int):
    found = await repository.volunteer_with_area(session=session, volunteer_id=volunteer_id)
    if found is None:
        raise NotFound(text("refusal.registration.volunteer_not_found"))
    volunteer, user, area = found
    if not policy.can_approve_volunteer(ctx.actor, area.path):
        raise Forbidden(text("refusal.registration.not_in_scope"))
    if volunteer.status != VolunteerStatus.pending or user.status != UserStatus.pending:
        raise Conflict(text("refusal.registration.not_pending"), code="not_pending")
    return volunteer, user


async def registration_for_review(
    session: AsyncSession, *, ctx: ActionContext, volunteer_id: int
) -> dict:
    """One pending registration of the actor's areas, as the review page shows it."""
    volunteer, user = await _registration_in_scope(session, ctx, volunteer_id)
    area = await repository.area_by_id(session=session, area_id=volunteer.home_area_id)
    return {
        "volunteer_id": volunteer.id,
        "user_id": user.id,
        "name": user.name,
        "phone": user.phone,
        "home_area_name": area.name if area else "",
        "created_at": volunteer.created_at,
        "bio": volunteer.bio,
    }


async def reviewed_registration_name(
    session: AsyncSession, *, ctx: ActionContext, volunteer_id: int
) -> str | None:
    """The name of a volunteer whose registration the actor may review (to say what was just
    done to it), or None outside the actor's areas."""
    found = await repository.volunteer_with_area(session=session, volunteer_id=volunteer_id)
    if found is None or not policy.can_approve_volunteer(ctx.actor, found[2].path):
        return None
    return found[1].name


async def approve_volunteer(
    session: AsyncSession, *, ctx: ActionContext, volunteer_id: int
) -> Volunteer:
    """Activate a self-registered volunteer and tell them."""
    volunteer, user = await _registration_in_scope(session, ctx, volunteer_id)
    await change_volunteer_status(
        session, ctx, volunteer_id=volunteer.id, to=VolunteerStatus.active
    )
    await change_user_status(session, ctx, user_id=user.id, to=UserStatus.active)
    await record_action(
        session, ctx, AuditAction.volunteer_approved, target_user_id=user.id,
        detail={"volunteer_id": volunteer.id},
    )  # fmt: skip
    await publish(session, ctx, VolunteerApproved(volunteer_id=volunteer.id, user_id=user.id))
    return volunteer


async def reject_volunteer(
    session: AsyncSession, *, ctx: ActionContext, volunteer_id: int, reason: str
) -> Volunteer:
    """Decline a registration with a reason: the account stays disabled (the record keeps the
    history), the audit keeps the reason, and the applicant is told it by text message (and
    again when they try to log in)."""
    volunteer, user = await _registration_in_scope(session, ctx, volunteer_id)
    # The sentences it is put into end with their own full stop.
    reason = reason.strip().rstrip("。.！!") or reason.strip()
    await change_user_status(
        session,
        ctx,
        user_id=user.id,
        to=UserStatus.disabled,
        reason=f"志愿者注册未通过审核：{reason}"[:500],
    )
    await record_action(
        session, ctx, AuditAction.volunteer_rejected, target_user_id=user.id,
        detail={"volunteer_id": volunteer.id, "reason": reason},
    )  # fmt: skip
    await publish(
        session, ctx,
        PhoneTextReady(
            phone=user.phone, kind="registration_rejected",
            title=text("notification.registration_rejected.title"),
            body=text("notification.registration_rejected.body", reason=reason),
        ),
    )  # fmt: skip
    return volunteer
