"""HTTP helpers shared by the identity routes: logging in, the session cookie, redirects, forms."""

from __future__ import annotations

import re
from datetime import datetime

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service import page_text
from service.actor import Actor
from service.auth import service
from service.auth.dependencies import client_ip
from service.auth.throttle import ThrottleStore
from service.messages import Message
from service.settings import Settings
from service.web.errors import validation_message
from service.web.security import session_cookie_name
from service.web.templating import in_page_locale, page_locale


def set_session_cookie(response: Response, settings: Settings, raw: str) -> None:
    """HttpOnly, SameSite=Lax; Secure with the ``__Host-`` prefix when served over https."""
    response.set_cookie(
        session_cookie_name(settings),
        raw,
        max_age=settings.session_absolute_hours * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


DEVICE_COOKIE = "kepu_device"
SECURE_DEVICE_COOKIE = "__Host-kepu_device"


def device_cookie_name(settings: Settings) -> str:
    return SECURE_DEVICE_COOKIE if settings.cookie_secure else DEVICE_COOKIE


def set_login_cookies(response: Response, settings: Settings, result: service.LoginSuccess) -> None:
    """The new session, and the long-lived known-device cookie that lets this browser's right
    password through while the account is locked for everyone else (kept across logouts)."""
    set_session_cookie(response, settings, result.session_token)
    response.set_cookie(
        device_cookie_name(settings),
        result.device_token,
        max_age=settings.device_cookie_days * 24 * 3600,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


# A same-site absolute path of URL-safe characters only: no scheme, no host, no "//", no
# backslash, and no tab, line break or non-Latin character (browsers drop tabs and line breaks
# from URLs, so "/\t/evil.example" would become "//evil.example"; a non-Latin character cannot be
# sent in a header at all). Anything else falls back to the home page.
_SAFE_NEXT = re.compile(r"/[A-Za-z0-9/_\-.~?=&%+]{0,2000}")


def safe_next(url: str | None, default: str = "/") -> str:
    """``url`` when it is a safe same-site path, else ``default``: never an open redirect."""
    if not url or not _SAFE_NEXT.fullmatch(url) or "//" in url:
        return default
    return url


def redirect(request: Request, url: str) -> Response:
    """``HX-Redirect`` for htmx (a full page load), 303 See Other otherwise."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


async def login_from_request(
    request: Request,
    session: AsyncSession,
    *,
    actor: Actor,
    now: datetime,
    throttle: ThrottleStore,
    phone: str,
    password: str,
) -> service.LoginSuccess | service.LoginRefused:
    """``service.login`` with what the request knows: client address, settings, the session
    it replaces, the known-device cookie. The API and the login page both log in through here."""
    settings: Settings = request.app.state.settings
    return await service.login(
        session,
        phone=phone,
        password=password,
        ip=client_ip(request),
        now=now,
        settings=settings,
        throttle=throttle,
        previous_session_id=actor.session_id,
        device_token=request.cookies.get(device_cookie_name(settings)),
    )


def form_fields(form) -> dict[str, str]:
    """The text fields of a submitted form (uploads left out)."""
    return {key: value for key, value in form.items() if isinstance(value, str)}


def form_errors(error: ValidationError, request: Request | None = None) -> dict[str, str]:
    """Field name → what is wrong with it, for re-rendering a form next to its inputs.

    Each message is a catalogue sentence with the field's constraint ("长度不能超过 64 个字符");
    with ``request`` it is said in the reader's language (the page switch, the account, then
    ``Accept-Language``), without it in Chinese (still a ``Message`` that can be said again).
    Unknown fields a form did not ask for are left out; the first error of a field wins.
    """
    messages: dict[str, str] = {}
    for item in error.errors():
        if item.get("type") == "extra_forbidden":
            continue
        field = str(item["loc"][0]) if item.get("loc") else "_"
        message = validation_message(item)
        messages.setdefault(field, in_page_locale(request, message) if request else message)
    return messages


def say(request: Request, words: str, /, **params: object) -> str:
    """A page's own words in the reader's language: an ``N_``-marked Chinese source sentence
    (with ``%(name)s`` placeholders filled from ``params``), or a catalogue refusal (``Message``)
    said again in the page's locale."""
    if isinstance(words, Message):
        return in_page_locale(request, words)
    with page_text.use_locale(page_locale(request)):
        translated = page_text.gettext(words)
    return translated % params if params else translated
