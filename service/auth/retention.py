"""PIPL retention: erase phone numbers of residents inactive for ``phone_retention_days``.

Only the contact fields go; the demands themselves (community, topic, group, time, status,
upvotes) stay, so every statistic computed from them is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.auth.audit import AuditAction, record
from service.models import Demand, RoleAssignment, User, Volunteer
from service.settings import Settings
from service.vocab import Role, UserStatus


@dataclass(frozen=True)
class ErasureReport:
    demand_contacts: int
    resident_accounts: int


def _stale_demand_phones(cutoff: datetime) -> sa.Select:
    """Phone numbers whose most recent demand is older than the cutoff."""
    last_activity = sa.func.max(sa.func.coalesce(Demand.updated_at, Demand.created_at))
    return (
        sa.select(Demand.contact_phone)
        .where(Demand.contact_phone.is_not(None))
        .group_by(Demand.contact_phone)
        .having(last_activity < cutoff)
    )


def _stale_resident_users(cutoff: datetime) -> sa.Select:
    """Resident-only accounts (no staff or volunteer role) not active since the cutoff."""
    other_roles = sa.select(RoleAssignment.user_id).where(RoleAssignment.role != Role.resident)
    return sa.select(User.id).where(
        User.id.in_(sa.select(RoleAssignment.user_id).where(RoleAssignment.role == Role.resident)),
        User.id.not_in(other_roles),
        User.id.not_in(sa.select(Volunteer.user_id)),
        sa.func.coalesce(User.last_active_at, User.created_at) < cutoff,
        User.status != UserStatus.disabled,
    )


async def erase_stale_phones(
    session: AsyncSession, *, now: datetime, settings: Settings, dry_run: bool = False
) -> ErasureReport:
    """Erase stale contact phones (and names) on demands, and retire stale resident accounts."""
    cutoff = now - timedelta(days=settings.phone_retention_days)
    phones = list(await session.scalars(_stale_demand_phones(cutoff)))
    user_ids = list(await session.scalars(_stale_resident_users(cutoff)))
    if dry_run:
        count = await session.scalar(
            sa.select(sa.func.count()).where(Demand.contact_phone.in_(phones))
        ) if phones else 0  # fmt: skip
        return ErasureReport(count or 0, len(user_ids))
    erased = 0
    for start in range(0, len(phones), 500):  # bounded IN lists
        result = await session.execute(
            sa.update(Demand)
            .where(Demand.contact_phone.in_(phones[start : start + 500]))
            .values(contact_phone=None, contact_name="")
        )
        erased += result.rowcount or 0
    for user_id in user_ids:
        # The phone column is the login key (NOT NULL, unique): replace it by a value that can
        # never be a mobile number, so the account can neither log in nor identify anyone.
        await session.execute(
            sa.update(User)
            .where(User.id == user_id)
            .values(
                phone=f"x{user_id:010d}"[-11:],
                name="已注销用户",
                password_hash=None,
                status=UserStatus.disabled,
            )
        )
    await record(
        session, action=AuditAction.phones_erased, now=now,
        detail={"demand_contacts": erased, "resident_accounts": len(user_ids),
                "retention_days": settings.phone_retention_days},
    )  # fmt: skip
    return ErasureReport(erased, len(user_ids))


async def erase_stale_phones_sweep(
    sessionmaker, settings: Settings, now: datetime
) -> ErasureReport:
    """The worker's retention pass: commits (and audits) only when something was erased."""
    from service.db import open_session

    async with await open_session(sessionmaker, write=True) as session:
        report = await erase_stale_phones(session, now=now, settings=settings)
        if report.demand_contacts or report.resident_accounts:
            await session.commit()
        else:
            await session.rollback()  # nothing to erase: no audit row every sweep
        return report
