"""The certificate pages: a volunteer downloads their own 志愿服务记录证明 (phone first); a
coordinator issues them for the volunteers of their areas, one by one or as a ZIP; anyone
holding the paper checks it at the public verification address its QR code carries.

Issuing is a POST that answers with a redirect to the PDF, so a reload never issues twice
(and issuing twice returns the same certificate anyway while the records are unchanged).
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from service import page_text
from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.certificates import periods, refusals, service
from service.certificates.fonts import FontMissing
from service.certificates.pdf import certificate_pdf
from service.certificates.refusals import FONT_MISSING, CertificateRefusal
from service.masking import mask_phone
from service.models import Certificate
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.templating import page_locale, render

router = APIRouter(include_in_schema=False)
VolunteerActor = Annotated[Actor, requires(Role.volunteer)]
Coordinator = Annotated[Actor, requires(Role.coordinator)]
Holder = Annotated[Actor, requires(Role.volunteer, Role.coordinator)]
Anyone = Annotated[Actor, requires(PUBLIC)]
PageNumber = Annotated[int, Query(ge=1, le=10_000)]
# Checked before any query: a malformed serial or token is simply not found (and a NUL byte
# never reaches PostgreSQL).
SERIAL_SHAPE = re.compile(r"KP-\d{4}-\d{6,10}")
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,32}")
PERIOD_FIELDS = ("period", "first", "last")
NO_STORE = {"Cache-Control": "no-store"}


def _said(request: Request, refusal: CertificateRefusal) -> str:
    with page_text.use_locale(page_locale(request)):
        return page_text.gettext(refusal.message) % refusal.params


def _period_values(source) -> dict[str, str]:
    return {name: (source.get(name) or "").strip() for name in PERIOD_FIELDS}


def _verify_url(request: Request, certificate: Certificate) -> str:
    """Absolute, from the configured public origin only (never the request's Host header)."""
    path = request.url_for(
        "public_certificate_verify", serial=certificate.serial, token=certificate.token
    ).path
    return request.app.state.settings.origin + path


def _detached(certificate: Certificate) -> Certificate:
    """A copy outside the session, safe to read in a thread after the unit of work commits."""
    return Certificate(**certificate.model_dump())


def _filename(certificate: Certificate) -> str:
    return f"志愿服务记录证明-{certificate.serial}.pdf"


def _entry_name(certificate: Certificate) -> str:
    """The PDF's name inside the ZIP: the serial and the name, never a path or a control."""
    name = re.sub(r"[\\/:*?\"<>|\x00-\x1f\x7f]|^\.+", "_", certificate.volunteer_name)
    return f"{certificate.serial}-{name}.pdf"


def _disposition(name: str) -> str:
    ascii_name = re.sub(r"[^A-Za-z0-9.-]", "", name) or "certificate"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"


async def _pdf(request: Request, certificate: Certificate) -> bytes:
    url = _verify_url(request, certificate)
    try:
        return await run_in_threadpool(certificate_pdf, _detached(certificate), url)
    except FontMissing:
        raise CertificateRefusal(FONT_MISSING, status_code=503) from None


# ---------------------------------------------------------------- the volunteer's own


async def _volunteer_page(request, session, ctx, values, errors, status_code=200):
    context = {
        "certificates": await service.mine(session, ctx),
        "form": {"period": "this_year", **{k: v for k, v in values.items() if v}},
        "errors": errors,
        "today": service.today(ctx).isoformat(),
    }
    return render(request, "certificates/mine.html", context, status_code=status_code)


@router.get("/v/certificates", name="volunteer_certificates")
async def volunteer_certificates(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """志愿服务记录证明: choose a period, download the PDF; the ones issued before."""
    return await _volunteer_page(request, session, ctx, {}, {})


@router.post("/v/certificates", name="volunteer_certificate_issue")
async def volunteer_certificate_issue(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """Issue (or find) my certificate for the period; then its PDF."""
    values = _period_values(form_fields(await request.form()))
    try:
        period = periods.parse_period(
            values["period"], values["first"], values["last"], today=service.today(ctx)
        )
        if ctx.actor.volunteer_id is None:
            await service.mine(session, ctx)  # refuses: not a volunteer
        certificate = await service.issue(
            session, ctx, volunteer_id=ctx.actor.volunteer_id, period=period
        )
    except CertificateRefusal as refused:
        errors = {refused.field or "period": _said(request, refused)}
        return await _volunteer_page(request, session, ctx, values, errors, refused.status_code)
    return redirect(request, request.url_for("certificate_pdf", serial=certificate.serial).path)


@router.get("/certificates/{serial}.pdf", name="certificate_pdf")
async def certificate_pdf_download(
    request: Request, serial: str, session: SessionDep, ctx: ContextDep, actor: Holder
):
    """The PDF, to its volunteer or a coordinator over them."""
    if not SERIAL_SHAPE.fullmatch(serial):
        raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
    certificate = await service.for_download(session, ctx, serial=serial)
    body = await _pdf(request, certificate)
    headers = {"Content-Disposition": _disposition(_filename(certificate)), **NO_STORE}
    return Response(body, media_type="application/pdf", headers=headers)


# ---------------------------------------------------------------- the coordinator's desk


async def _desk_page(request, session, ctx, values, errors, page=1, status_code=200):
    listing = None
    if not errors and values.get("period"):
        try:
            period = periods.parse_period(
                values["period"], values["first"], values["last"], today=service.today(ctx)
            )
            listing = await service.area_page(session, ctx, period=period, page=page)
        except CertificateRefusal as refused:
            errors = {refused.field or "period": _said(request, refused)}
            status_code = refused.status_code
    query = {k: v for k, v in values.items() if v}
    context = {
        "form": {"period": "last_year", **query},
        "errors": errors,
        "listing": listing,
        "query": urlencode(query),
        "today": service.today(ctx).isoformat(),
        "mask_phone": mask_phone,
        "bulk_limit": service.BULK_LIMIT,
    }
    return render(request, "certificates/desk.html", context, status_code=status_code)


@router.get("/desk/certificates", name="desk_certificates")
async def desk_certificates(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Coordinator,
    page: PageNumber = 1,
):
    """The period form; the volunteers of my areas with hours in it, each with their certificate."""
    values = _period_values(request.query_params)
    return await _desk_page(request, session, ctx, values, {}, page=page)


@router.post("/desk/certificates/issue", name="desk_certificate_issue")
async def desk_certificate_issue(
    request: Request, session: SessionDep, ctx: ContextDep, actor: Coordinator
):
    """Issue (or find) one volunteer's certificate for the period; then its PDF."""
    fields = form_fields(await request.form())
    values = _period_values(fields)
    try:
        volunteer_id = int(fields.get("volunteer", ""))
    except ValueError:
        volunteer_id = 0
    try:
        period = periods.parse_period(
            values["period"], values["first"], values["last"], today=service.today(ctx)
        )
        certificate = await service.issue(session, ctx, volunteer_id=volunteer_id, period=period)
    except CertificateRefusal as refused:
        errors = {refused.field or "period": _said(request, refused)}
        return await _desk_page(
            request, session, ctx, values, errors, status_code=refused.status_code
        )
    return redirect(request, request.url_for("certificate_pdf", serial=certificate.serial).path)


def _zip_stream(documents: list[tuple[str, Certificate, str]]) -> Iterator[bytes]:
    """The ZIP written as it goes: each PDF drawn (in the thread pool Starlette runs this
    generator in) and sent before the next, so memory holds one PDF at a time."""

    class Sink:
        def __init__(self) -> None:
            self.parts: list[bytes] = []

        def write(self, data: bytes) -> int:
            self.parts.append(bytes(data))
            return len(data)

        def flush(self) -> None:
            """zipfile flushes after each entry; nothing is held back: ``take`` empties it."""

        def take(self) -> bytes:
            data, self.parts = b"".join(self.parts), []
            return data

    sink = Sink()
    with zipfile.ZipFile(sink, mode="w", compression=zipfile.ZIP_STORED) as archive:
        for name, certificate, url in documents:
            archive.writestr(name, certificate_pdf(certificate, url))
            yield sink.take()
    yield sink.take()


@router.post("/desk/certificates/export", name="desk_certificates_export")
async def desk_certificates_export(
    request: Request, session: SessionDep, ctx: ContextDep, actor: Coordinator
):
    """批量出具: a certificate for every volunteer of my areas with hours in the period; then
    the ZIP of them. Issuing (a write) and downloading (a read, streamed) are two requests."""
    values = _period_values(form_fields(await request.form()))
    try:
        period = periods.parse_period(
            values["period"], values["first"], values["last"], today=service.today(ctx)
        )
        await service.issue_for_area(session, ctx, period=period)
    except CertificateRefusal as refused:
        errors = {refused.field or "period": _said(request, refused)}
        return await _desk_page(
            request, session, ctx, values, errors, status_code=refused.status_code
        )
    query = urlencode({"period": "custom", "first": period.first, "last": period.last})
    return redirect(request, request.url_for("desk_certificates_zip").path + f"?{query}")


@router.get("/desk/certificates/export.zip", name="desk_certificates_zip")
async def desk_certificates_zip(
    request: Request, session: SessionDep, ctx: ContextDep, actor: Coordinator
):
    """The period's current certificates of my areas, one PDF each, as a streamed ZIP."""
    values = _period_values(request.query_params)
    try:
        period = periods.parse_period(
            values["period"], values["first"], values["last"], today=service.today(ctx)
        )
        certificates = await service.issued_for_area(session, ctx, period=period)
    except CertificateRefusal as refused:
        errors = {refused.field or "period": _said(request, refused)}
        return await _desk_page(
            request, session, ctx, values, errors, status_code=refused.status_code
        )
    documents = [(_entry_name(c), _detached(c), _verify_url(request, c)) for c in certificates]
    name = f"志愿服务记录证明-{period.first.isoformat()}-{period.last.isoformat()}.zip"
    headers = {"Content-Disposition": _disposition(name), **NO_STORE}
    return StreamingResponse(_zip_stream(documents), media_type="application/zip", headers=headers)


@router.post("/desk/certificates/{serial}/revoke", name="desk_certificate_revoke")
async def desk_certificate_revoke(
    request: Request, serial: str, session: SessionDep, ctx: ContextDep, actor: Coordinator
):
    """作废 a certificate; back to the list it was revoked from."""
    if not SERIAL_SHAPE.fullmatch(serial):
        raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
    await service.revoke(session, ctx, serial=serial)
    values = _period_values(form_fields(await request.form()))
    query = urlencode({k: v for k, v in values.items() if v})
    return redirect(request, request.url_for("desk_certificates").path + f"?{query}")


# ---------------------------------------------------------------- public verification


@router.get("/verify/{serial}/{token}", name="public_certificate_verify")
async def public_certificate_verify(
    request: Request, serial: str, token: str, session: SessionDep, actor: Anyone
):
    """核验: the certificate's own fields and whether it is valid — nothing else."""
    headers = {"X-Robots-Tag": "noindex, nofollow", **NO_STORE}
    try:
        if not (SERIAL_SHAPE.fullmatch(serial) and TOKEN_SHAPE.fullmatch(token)):
            raise CertificateRefusal(refusals.CERTIFICATE_NOT_FOUND, status_code=404)
        verification = await service.verify(session, serial=serial, token=token)
    except CertificateRefusal:
        response = render(request, "public/verify_not_found.html", {}, status_code=404)
        response.headers.update(headers)
        return response
    response = render(request, "public/verify.html", {"v": verification})
    response.headers.update(headers)
    return response
