"""PIPL retention: erase phone numbers of residents inactive for ``phone_retention_days``.

Only the contact fields go; the demands themselves (community, topic, group, time, status,
upvotes) stay, so every statistic computed from them is unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth import repository
from service.auth.audit import AuditAction, record
from service.context import ActionContext
from service.lifecycle.accounts import change_user_status
from service.settings import Settings
from service.vocab import UserStatus

ERASURE_REASON = "长期未活跃，按个人信息保护要求注销"


@dataclass(frozen=True)
class ErasureReport:
    demand_contacts: int
    resident_accounts: int
    expired_phone_codes: int = 0  # one-time codes past expiry (they hold a pending form)


def erased_identity(user_id: int) -> dict[str, str | None]:
    """What an erased account keeps: no phone, no name, no password.

    The phone column is the login key (NOT NULL, unique): it gets a value that can never be a
    mobile number, so the account can neither log in nor identify anyone.
    """
    return {"phone": f"x{user_id:010d}"[-11:], "name": "已注销用户", "password_hash": None}


async def erase_stale_phones(
    session: AsyncSession, *, now: datetime, settings: Settings, dry_run: bool = False
) -> ErasureReport:
    """Erase stale contact phones (and names) on demands, and retire stale resident accounts."""
    cutoff = now - timedelta(days=settings.phone_retention_days)
    phones = await repository.stale_demand_phones(session=session, cutoff=cutoff)
    user_ids = await repository.stale_resident_user_ids(session=session, cutoff=cutoff)
    if dry_run:
        count = await repository.count_demands_with_phones(session=session, phones=phones)
        return ErasureReport(count, len(user_ids))
    erased = await repository.erase_demand_phones(session=session, phones=phones)
    # Background work: the event log records these changes as made by the system.
    ctx = ActionContext(actor=Actor(), now=now, settings=settings)
    for user_id in user_ids:
        await change_user_status(
            session,
            ctx,
            user_id=user_id,
            to=UserStatus.disabled,
            reason=ERASURE_REASON,
            values=erased_identity(user_id),
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
    # An unconfirmed registration's code keeps the form (name, hashed password) until it is
    # replaced; past its expiry nobody can use it, so it is deleted here rather than kept.
    async with await open_session(sessionmaker, write=True) as session:
        expired = await repository.delete_expired_phone_codes(session=session, now=now)
        await session.commit()
    return replace(report, expired_phone_codes=expired)
