"""Issuing, finding, revoking and verifying 志愿服务记录证明.

A certificate is issued by the volunteer themself or by a coordinator over the volunteer's
home area (admin: anywhere). Issuing the same volunteer and period again returns the same
certificate while the records behind it are unchanged; once they change (hours corrected, a
record added), a new certificate with a new serial supersedes the old one, and the old one's
verification page says so.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from service.certificates import refusals
from service.certificates import repository as repo
from service.certificates.periods import Period
from service.certificates.refusals import CertificateRefusal
from service.context import ActionContext
from service.localtime import to_local
from service.models import Certificate

SERIAL_PREFIX = "KP"
TOKEN_BYTES = 12  # 96 random bits in the verification address: not guessable, short enough for a QR
BULK_LIMIT = 500  # certificates per ZIP: each PDF takes 0.3 s (idle) to 1 s (busy 2 cores) to draw


def today(ctx: ActionContext) -> date:
    return to_local(ctx.now, ctx.settings.timezone).date()


def utc_bounds(period: Period, zone: str) -> tuple[datetime, datetime]:
    """[start, end) in UTC of the local days of ``period``."""
    tz = ZoneInfo(zone)
    start = datetime.combine(period.first, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(period.last + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def serial_for(year: int, certificate_id: int) -> str:
    return f"{SERIAL_PREFIX}-{year}-{certificate_id:06d}"


def _fingerprint(lines: list[repo.ServiceLine]) -> str:
    text = ";".join(f"{line.order_id}:{line.hours:.2f}" for line in lines)
    return hashlib.sha256(text.encode()).hexdigest()


def _coordinated_paths(ctx: ActionContext) -> tuple[str, ...] | None:
    """The area subtrees the actor issues for; None: everywhere (admin)."""
    return None if ctx.actor.is_admin else ctx.actor.coordinated_paths()


async def _identity_in_scope(
    session: AsyncSession, ctx: ActionContext, volunteer_id: int
) -> repo.VolunteerIdentity:
    identity = await repo.volunteer_identity(session=session, volunteer_id=volunteer_id)
    if identity is None or not (
        ctx.actor.volunteer_id == volunteer_id or ctx.actor.oversees(identity.home_area_path)
    ):
        raise CertificateRefusal(refusals.VOLUNTEER_OUT_OF_SCOPE, status_code=404)
    return identity


async def issue(
    session: AsyncSession, ctx: ActionContext, *, volunteer_id: int, period: Period
) -> Certificate:
    """The current certificate of this volunteer and period, issued now if there is none or
    the records behind it changed since."""
    identity = await _identity_in_scope(session, ctx, volunteer_id)
    zone = ctx.settings.timezone
    start, end = utc_bounds(period, zone)
    lines = await repo.service_lines(
        session=session, volunteer_id=volunteer_id, start=start, end=end
    )
    if not lines:
        raise CertificateRefusal(refusals.NO_SERVICE, field="period")
    fingerprint = _fingerprint(lines)
    await repo.lock_volunteer(session=session, volunteer_id=volunteer_id)
    current = await repo.current_certificate(
        session=session, volunteer_id=volunteer_id, first=period.first, last=period.last
    )
    if current is not None and current.fingerprint == fingerprint:
        return current
    if current is not None:
        # First out of the way of the one-current-per-period index, then linked to the new one.
        current.superseded_at = ctx.now
        await repo.flush(session=session)
    issued_on = today(ctx)
    certificate = await repo.add_certificate(
        session=session,
        certificate=Certificate(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            volunteer_id=volunteer_id,
            period_from=period.first,
            period_to=period.last,
            volunteer_name=identity.name,
            total_hours=round(sum(line.hours for line in lines), 2),
            activity_count=len(lines),
            lines=[
                {
                    "day": to_local(line.started_at, zone).date().isoformat(),
                    "title": line.title,
                    "community": line.community,
                    "hours": round(line.hours, 2),
                }
                for line in lines
            ],
            fingerprint=fingerprint,
            issuer=ctx.settings.certificate_issuer,
            issued_on=issued_on,
            issued_at=ctx.now,
            issued_by_user_id=ctx.actor.user_id,
        ),
    )
    certificate.serial = serial_for(issued_on.year, certificate.id)
    if current is not None:
        current.superseded_by_id = certificate.id
    await repo.flush(session=session)
    return certificate


@dataclass(frozen=True)
class AreaPage:
    period: Period
    rows: list[repo.ServedVolunteer]
    serials: dict[int, str]
    total: int
    page: int
    pages: int


PAGE_SIZE = 50


async def area_page(
    session: AsyncSession, ctx: ActionContext, *, period: Period, page: int
) -> AreaPage:
    """The coordinator's volunteers with hours in the period, and their current serials."""
    start, end = utc_bounds(period, ctx.settings.timezone)
    paths = _coordinated_paths(ctx)
    total = await repo.count_served(session=session, paths=paths, start=start, end=end)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(page, pages)
    rows = await repo.served_volunteers(
        session=session, paths=paths, start=start, end=end,
        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE,
    )  # fmt: skip
    serials = await repo.current_serials(
        session=session,
        volunteer_ids=[row.volunteer_id for row in rows],
        first=period.first,
        last=period.last,
    )
    return AreaPage(period, rows, serials, total, page, pages)


async def issue_for_area(
    session: AsyncSession, ctx: ActionContext, *, period: Period, limit: int = BULK_LIMIT
) -> list[Certificate]:
    """Certificates for every volunteer of the coordinator's areas with hours in the period."""
    start, end = utc_bounds(period, ctx.settings.timezone)
    paths = _coordinated_paths(ctx)
    count = await repo.count_served(session=session, paths=paths, start=start, end=end)
    if count == 0:
        raise CertificateRefusal(refusals.NOBODY_SERVED, field="period")
    if count > limit:
        raise CertificateRefusal(refusals.TOO_MANY, field="period", limit=limit, count=count)
    rows = await repo.served_volunteers(session=session, paths=paths, start=start, end=end)
    return [await issue(session, ctx, volunteer_id=row.volunteer_id, period=period) for row in rows]


async def issued_for_area(
    session: AsyncSession, ctx: ActionContext, *, period: Period
) -> list[Certificate]:
    """The current certificates of the period for the coordinator's volunteers (the ZIP)."""
    certificates = await repo.current_certificates(
        session=session, paths=_coordinated_paths(ctx), first=period.first, last=period.last
    )
    if not certificates:
        raise CertificateRefusal(refusals.NOTHING_ISSUED, field="period")
    if len(certificates) > BULK_LIMIT:
        raise CertificateRefusal(
            refusals.TOO_MANY, field="period", limit=BULK_LIMIT, count=len(certificates)
        )
    return certificates


async def for_download(session: AsyncSession, ctx: ActionContext, *, serial: str) -> Certificate:
    """A certificate its volunteer, or a coordinator over them, may download."""
    certificate = await repo.certificate_by_serial(session=session, serial=serial)
    if certificate is None:
        raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
    await _identity_in_scope(session, ctx, certificate.volunteer_id)
    return certificate


async def mine(session: AsyncSession, ctx: ActionContext) -> list[Certificate]:
    if ctx.actor.volunteer_id is None:
        raise CertificateRefusal(refusals.NOT_A_VOLUNTEER, status_code=403)
    return await repo.certificates_of(session=session, volunteer_id=ctx.actor.volunteer_id)


async def revoke(session: AsyncSession, ctx: ActionContext, *, serial: str) -> Certificate:
    """作废: the verification page says so from now on (a coordinator over the volunteer)."""
    certificate = await repo.certificate_by_serial(session=session, serial=serial)
    path = (
        await repo.home_area_path(session=session, volunteer_id=certificate.volunteer_id)
        if certificate
        else None
    )
    if certificate is None or path is None or not ctx.actor.oversees(path):
        raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
    if certificate.revoked_at is not None:
        raise CertificateRefusal(refusals.ALREADY_REVOKED, status_code=409)
    certificate.revoked_at = ctx.now
    certificate.revoked_by_user_id = ctx.actor.user_id
    await repo.flush(session=session)
    return certificate


@dataclass(frozen=True)
class Verification:
    """What the public page shows: the certificate's own fields and its state, nothing else."""

    serial: str
    name: str
    period_from: date
    period_to: date
    total_hours: float
    activity_count: int
    issuer: str
    issued_on: date
    state: str  # "valid", "superseded", "revoked"
    superseded_by: str | None


async def verify(session: AsyncSession, *, serial: str, token: str) -> Verification:
    """The certificate behind a QR code; 404 unless both the serial and the token match."""
    certificate = await repo.certificate_by_serial(session=session, serial=serial)
    if certificate is None or not hmac.compare_digest(certificate.token.encode(), token.encode()):
        raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
    if certificate.revoked_at is not None:
        state = "revoked"
    elif certificate.superseded_at is not None:
        state = "superseded"
    else:
        state = "valid"
    return Verification(
        serial=certificate.serial,
        name=certificate.volunteer_name,
        period_from=certificate.period_from,
        period_to=certificate.period_to,
        total_hours=certificate.total_hours,
        activity_count=certificate.activity_count,
        issuer=certificate.issuer,
        issued_on=certificate.issued_on,
        state=state,
        superseded_by=await repo.serial_of(
            session=session, certificate_id=certificate.superseded_by_id
        )
        if state == "superseded"
        else None,
    )
