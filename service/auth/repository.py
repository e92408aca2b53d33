"""Queries for identity: users, grants, sessions, tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from service.actor import Actor, RoleGrant
from service.auth import policy
from service.models import (
    ApiToken,
    Area,
    AuditEntry,
    AuthSession,
    Demand,
    LoginFailure,
    Offer,
    Order,
    PhoneCode,
    RoleAssignment,
    Team,
    User,
    Volunteer,
)
from service.vocab import Role, UserStatus


async def grants_of(*, session: AsyncSession, user_id: int) -> tuple[RoleGrant, ...]:
    statement = (
        sa.select(RoleAssignment.role, RoleAssignment.area_id, Area.path, RoleAssignment.team_id)
        .outerjoin(Area, Area.id == RoleAssignment.area_id)
        .where(RoleAssignment.user_id == user_id)
        .order_by(RoleAssignment.id)
    )
    rows = await session.execute(statement)
    return tuple(
        RoleGrant(role=Role(role), area_id=area_id, area_path=path, team_id=team_id)
        for role, area_id, path, team_id in rows
    )


async def volunteer_id_of(*, session: AsyncSession, user_id: int) -> int | None:
    return await session.scalar(sa.select(Volunteer.id).where(Volunteer.user_id == user_id))


async def user_by_session_hash(
    *, session: AsyncSession, token_hash: str
) -> tuple[User, AuthSession] | None:
    statement = (
        sa.select(User, AuthSession)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == token_hash, AuthSession.revoked_at.is_(None))
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None


async def user_by_token_hash(
    *, session: AsyncSession, token_hash: str, now: datetime | None = None
) -> tuple[User, ApiToken] | None:
    """The owner of a live token: not revoked and, when ``now`` is given, not expired."""
    statement = (
        sa.select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == token_hash, ApiToken.revoked_at.is_(None))
    )
    if now is not None:
        statement = statement.where(
            sa.or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now)
        )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row else None


# ---------------------------------------------------------------- accounts


async def user_by_phone(*, session: AsyncSession, phone: str) -> User | None:
    return await session.scalar(sa.select(User).where(User.phone == phone))


async def set_display_preferences(*, session: AsyncSession, user_id: int, **values) -> None:
    """Save a person's page language and/or 大字 display (``locale=``, ``large_text=``)."""
    await session.execute(sa.update(User).where(User.id == user_id).values(**values))


async def user_by_id(*, session: AsyncSession, user_id: int) -> User | None:
    return await session.get(User, user_id)


async def area_by_id(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def team_exists(*, session: AsyncSession, team_id: int) -> bool:
    return bool(await session.scalar(sa.select(sa.func.count()).where(Team.id == team_id)))


async def list_users(
    *,
    session: AsyncSession,
    name: str | None = None,
    phone_tail: str | None = None,
    role: Role | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[User], int]:
    """A page of users, newest first, with the total matching count."""
    statement = sa.select(User)
    if name:
        statement = statement.where(User.name.contains(name, autoescape=True))
    if phone_tail:
        statement = statement.where(User.phone.endswith(phone_tail, autoescape=True))
    if role:
        statement = statement.where(
            User.id.in_(sa.select(RoleAssignment.user_id).where(RoleAssignment.role == role))
        )
    if status:
        statement = statement.where(User.status == status)
    total = await session.scalar(sa.select(sa.func.count()).select_from(statement.subquery()))
    rows = await session.scalars(statement.order_by(User.id.desc()).limit(limit).offset(offset))
    return list(rows), total or 0


async def grant_rows_of(*, session: AsyncSession, user_ids: list[int]) -> dict[int, list[dict]]:
    """Each user's grants with area and team names, for display (one query for all users)."""
    if not user_ids:
        return {}
    statement = (
        sa.select(
            RoleAssignment.user_id,
            RoleAssignment.role,
            RoleAssignment.area_id,
            Area.name.label("area_name"),
            RoleAssignment.team_id,
            Team.name.label("team_name"),
        )
        .outerjoin(Area, Area.id == RoleAssignment.area_id)
        .outerjoin(Team, Team.id == RoleAssignment.team_id)
        .where(RoleAssignment.user_id.in_(user_ids))
        .order_by(RoleAssignment.id)
    )
    result: dict[int, list[dict]] = {user_id: [] for user_id in user_ids}
    for row in await session.execute(statement):
        mapping = dict(row._mapping)
        result[mapping.pop("user_id")].append(mapping)
    return result


async def replace_grants(
    *, session: AsyncSession, user_id: int, grants: list[tuple[Role, int | None, int | None]]
) -> None:
    await session.execute(sa.delete(RoleAssignment).where(RoleAssignment.user_id == user_id))
    for role, area_id, team_id in dict.fromkeys(grants):  # duplicates collapse, order kept
        session.add(RoleAssignment(user_id=user_id, role=role, area_id=area_id, team_id=team_id))
    await session.flush()


async def revoke_sessions_of(
    *, session: AsyncSession, user_id: int, now, keep_session_id: int | None = None
) -> None:
    statement = sa.update(AuthSession).where(
        AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        statement = statement.where(AuthSession.id != keep_session_id)
    await session.execute(statement.values(revoked_at=now))


async def revoke_tokens_of(*, session: AsyncSession, user_id: int, now) -> None:
    await session.execute(
        sa.update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_session(*, session: AsyncSession, session_id: int, now) -> None:
    await session.execute(
        sa.update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def tokens_of(*, session: AsyncSession, user_id: int) -> list[ApiToken]:
    rows = await session.scalars(
        sa.select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id.desc())
    )
    return list(rows)


# ---------------------------------------------------------------- volunteer registrations


async def pending_registrations(*, session: AsyncSession, actor: Actor) -> list[dict]:
    """Pending volunteers in the actor's areas, with their names and home areas."""
    columns = sa.select(
        Volunteer.id.label("volunteer_id"), Volunteer.home_area_id, Volunteer.created_at
    )
    statement = (
        policy.scope_volunteers_query(actor, columns)
        .add_columns(
            User.name, User.phone, Area.name.label("home_area_name"), User.id.label("user_id")
        )
        .join(User, User.id == Volunteer.user_id)
        .join(Area, Area.id == Volunteer.home_area_id)
        .where(Volunteer.status == "pending", User.status == "pending")
        .order_by(Volunteer.created_at, Volunteer.id)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


async def volunteer_with_area(
    *, session: AsyncSession, volunteer_id: int
) -> tuple[Volunteer, User, Area] | None:
    statement = (
        sa.select(Volunteer, User, Area)
        .join(User, User.id == Volunteer.user_id)
        .join(Area, Area.id == Volunteer.home_area_id)
        .where(Volunteer.id == volunteer_id)
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1], row[2]) if row else None


async def order_contact_facts(
    *, session: AsyncSession, order_id: int, subject_user_id: int, engaged_statuses
) -> tuple[int, bool] | None:
    """(community_id, subject accepted?) for an order, or None when it does not exist."""
    order = await session.get(Order, order_id)
    if order is None:
        return None
    accepted = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Offer)
        .join(Volunteer, Volunteer.id == Offer.volunteer_id)
        .where(
            Offer.order_id == order_id,
            Volunteer.user_id == subject_user_id,
            Offer.status.in_(engaged_statuses),
        )
    )
    return order.community_id, bool(accepted)


# ---------------------------------------------------------------- retention (PIPL)

ERASE_BATCH = 500  # bounded IN lists


async def stale_demand_phones(*, session: AsyncSession, cutoff) -> list[str]:
    """Contact phones whose most recent demand is older than the cutoff."""
    last_activity = sa.func.max(sa.func.coalesce(Demand.updated_at, Demand.created_at))
    statement = (
        sa.select(Demand.contact_phone)
        .where(Demand.contact_phone.is_not(None))
        .group_by(Demand.contact_phone)
        .having(last_activity < cutoff)
    )
    return list(await session.scalars(statement))


async def stale_resident_user_ids(*, session: AsyncSession, cutoff) -> list[int]:
    """Resident-only accounts (no staff or volunteer role) not active since the cutoff."""
    other_roles = sa.select(RoleAssignment.user_id).where(RoleAssignment.role != Role.resident)
    residents = sa.select(RoleAssignment.user_id).where(RoleAssignment.role == Role.resident)
    statement = sa.select(User.id).where(
        User.id.in_(residents),
        User.id.not_in(other_roles),
        User.id.not_in(sa.select(Volunteer.user_id)),
        sa.func.coalesce(User.last_active_at, User.created_at) < cutoff,
        User.status != UserStatus.disabled,
    )
    return list(await session.scalars(statement))


async def count_demands_with_phones(*, session: AsyncSession, phones: list[str]) -> int:
    count = 0
    for start in range(0, len(phones), ERASE_BATCH):
        chunk = phones[start : start + ERASE_BATCH]
        count += await session.scalar(
            sa.select(sa.func.count()).where(Demand.contact_phone.in_(chunk))
        ) or 0  # fmt: skip
    return count


async def erase_demand_phones(*, session: AsyncSession, phones: list[str]) -> int:
    """Blank the contact phone and name on every demand with one of ``phones``; rows changed."""
    erased = 0
    for start in range(0, len(phones), ERASE_BATCH):
        result = await session.execute(
            sa.update(Demand)
            .where(Demand.contact_phone.in_(phones[start : start + ERASE_BATCH]))
            .values(contact_phone=None, contact_name="")
        )
        erased += result.rowcount or 0
    return erased


# ---------------------------------------------------------------- choices for forms


async def communities_for_choice(*, session: AsyncSession) -> list[dict]:
    """Communities with their street's name, in tree order."""
    parent = aliased(Area)
    statement = (
        sa.select(Area.id, Area.name, parent.name.label("parent_name"))
        .outerjoin(parent, parent.id == Area.parent_id)
        .where(Area.level == "community")
        .order_by(Area.path)
    )
    return [dict(row._mapping) for row in await session.execute(statement)]


LEVEL_LABELS = {"district": "区县", "street": "街道", "community": "社区"}


async def areas_for_choice(*, session: AsyncSession) -> list[dict]:
    """Every area, labelled with its level, in tree order (for scoping a role)."""
    rows = await session.execute(
        sa.select(Area.id, Area.name, Area.level, Area.path).order_by(Area.path)
    )
    return [
        {
            "id": row.id,
            "label": f"{LEVEL_LABELS.get(row.level, row.level)} · {row.name}",
            "level": row.level,
            "name": row.name,
        }
        for row in rows
    ]


async def teams_for_choice(*, session: AsyncSession) -> list[dict]:
    rows = await session.execute(sa.select(Team.id, Team.name).order_by(Team.name))
    return [dict(row._mapping) for row in rows]


async def user_ids_of_volunteers(
    *, session: AsyncSession, volunteer_ids: Sequence[int]
) -> dict[int, int]:
    if not volunteer_ids:
        return {}
    rows = await session.execute(
        sa.select(Volunteer.id, Volunteer.user_id).where(Volunteer.id.in_(list(volunteer_ids)))
    )
    return {row.id: row.user_id for row in rows}


async def audit_entries(
    *, session: AsyncSession, action: str | None, user_id: int | None, limit: int, offset: int
) -> list[AuditEntry]:
    """Newest first; ``user_id`` matches the actor or the target."""
    statement = sa.select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if action:
        statement = statement.where(AuditEntry.action == action)
    if user_id:
        statement = statement.where(
            sa.or_(AuditEntry.actor_user_id == user_id, AuditEntry.target_user_id == user_id)
        )
    return list(await session.scalars(statement.limit(limit).offset(offset)))


async def latest_audit_entry(
    *, session: AsyncSession, target_user_id: int, actions: Sequence[str]
) -> AuditEntry | None:
    """The newest entry about ``target_user_id`` whose action is one of ``actions``."""
    statement = (
        sa.select(AuditEntry)
        .where(AuditEntry.target_user_id == target_user_id, AuditEntry.action.in_(list(actions)))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
        .limit(1)
    )
    return await session.scalar(statement)


async def token_by_id(*, session: AsyncSession, token_id: int) -> ApiToken | None:
    return await session.get(ApiToken, token_id)


async def mark_session_used(
    *, session: AsyncSession, auth_session_id: int, user_id: int, now: datetime
) -> None:
    """The session was used now (its idle timeout slides) and so was its user."""
    await session.execute(
        sa.update(AuthSession).where(AuthSession.id == auth_session_id).values(last_seen_at=now)
    )
    await session.execute(sa.update(User).where(User.id == user_id).values(last_active_at=now))


async def mark_token_used(
    *, session: AsyncSession, token_id: int, user_id: int, now: datetime
) -> None:
    """A personal access token was used now, and so was its user."""
    await session.execute(
        sa.update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
    )
    await session.execute(sa.update(User).where(User.id == user_id).values(last_active_at=now))


# ---------------------------------------------------------------- login throttle (database store)


async def lock_throttle_keys(*, session: AsyncSession, lock_ids: list[int]) -> None:
    """PostgreSQL: a transaction-scoped advisory lock per key (SQLite's BEGIN IMMEDIATE suffices)."""
    if session.bind.dialect.name != "postgresql":
        return
    for lock_id in lock_ids:
        await session.execute(sa.select(sa.func.pg_advisory_xact_lock(lock_id)))


async def delete_failures_before(
    *, session: AsyncSession, keys: list[str], cutoff: datetime
) -> None:
    await session.execute(
        sa.delete(LoginFailure).where(LoginFailure.key.in_(keys), LoginFailure.at <= cutoff)
    )


async def failure_times(*, session: AsyncSession, key: str, after: datetime) -> list[datetime]:
    """When ``key`` failed since ``after``, oldest first."""
    return list(
        await session.scalars(
            sa.select(LoginFailure.at)
            .where(LoginFailure.key == key, LoginFailure.at > after)
            .order_by(LoginFailure.at)
        )
    )


async def add_failures(*, session: AsyncSession, keys: list[str], at: datetime) -> list[int]:
    rows = [LoginFailure(key=key, at=at) for key in keys]
    session.add_all(rows)
    await session.flush()
    return [row.id for row in rows]


async def delete_failures(
    *, session: AsyncSession, row_ids: list[int], keys: tuple[str, ...] = ()
) -> None:
    """Give reserved slots back; ``keys`` also clears those keys' whole history."""
    await session.execute(sa.delete(LoginFailure).where(LoginFailure.id.in_(row_ids)))
    if keys:
        await session.execute(sa.delete(LoginFailure).where(LoginFailure.key.in_(keys)))


async def replace_phone_code(*, session: AsyncSession, code: PhoneCode, now: datetime) -> None:
    """Store ``code`` as the only live one for its purpose and number; expired codes go too."""
    await session.execute(
        sa.delete(PhoneCode).where(
            sa.or_(
                PhoneCode.expires_at <= now,
                sa.and_(PhoneCode.purpose == code.purpose, PhoneCode.phone_key == code.phone_key),
            )
        )
    )
    session.add(code)
    await session.flush()


async def delete_expired_phone_codes(*, session: AsyncSession, now: datetime) -> int:
    """Delete every one-time code past its expiry; how many went."""
    result = await session.execute(sa.delete(PhoneCode).where(PhoneCode.expires_at <= now))
    return result.rowcount or 0


async def live_phone_code(
    *, session: AsyncSession, purpose: str, phone_key: str, now: datetime
) -> PhoneCode | None:
    """The unexpired code for this purpose and number, locked (tries are counted on it)."""
    return await session.scalar(
        sa.select(PhoneCode)
        .where(
            PhoneCode.purpose == purpose,
            PhoneCode.phone_key == phone_key,
            PhoneCode.expires_at > now,
        )
        .order_by(PhoneCode.id.desc())
        .limit(1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


async def delete_phone_code(*, session: AsyncSession, code_id: int) -> None:
    await session.execute(sa.delete(PhoneCode).where(PhoneCode.id == code_id))


# ---------------------------------------------------------------- names for the audit page


async def names_for_audit(
    *,
    session: AsyncSession,
    user_ids: Sequence[int],
    area_ids: Sequence[int],
    team_ids: Sequence[int],
    order_ids: Sequence[int],
    token_ids: Sequence[int],
) -> dict[str, dict[int, object]]:
    """What the ids an audit page mentions stand for: users (name, phone), areas, teams and
    orders by name or title, tokens by their given name. One query per kind that is asked for."""

    async def by_id(columns, id_column, ids) -> dict[int, object]:
        if not ids:
            return {}
        rows = await session.execute(sa.select(id_column, *columns).where(id_column.in_(ids)))
        return {row[0]: row[1:] if len(columns) > 1 else row[1] for row in rows}

    return {
        "users": await by_id((User.name, User.phone), User.id, sorted(set(user_ids))),
        "areas": await by_id((Area.name,), Area.id, sorted(set(area_ids))),
        "teams": await by_id((Team.name,), Team.id, sorted(set(team_ids))),
        "orders": await by_id((Order.title,), Order.id, sorted(set(order_ids))),
        "tokens": await by_id((ApiToken.name,), ApiToken.id, sorted(set(token_ids))),
    }
