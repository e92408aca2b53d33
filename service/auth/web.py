"""HTTP helpers shared by the identity routes: the session cookie, redirects, form errors."""

from __future__ import annotations

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from service.auth.dependencies import session_cookie_name
from service.errors import AppError
from service.settings import Settings
from service.web.errors import problem_response


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


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        session_cookie_name(settings),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )


def safe_next(url: str | None, default: str = "/") -> str:
    """Only same-site paths: never an open redirect to another host."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return default
    return url


def redirect(request: Request, url: str) -> Response:
    """``HX-Redirect`` for htmx (a full page load), 303 See Other otherwise."""
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": url})
    return RedirectResponse(url, status_code=303)


def error_response(request: Request, error: AppError) -> Response:
    """The problem response an AppError would produce, returned instead of raised (so the
    unit of work commits what the refusal recorded, e.g. a failed login)."""
    headers = {"Retry-After": str(error.retry_after)} if hasattr(error, "retry_after") else None
    return problem_response(
        request,
        status=error.status_code,
        title=error.title,
        detail=error.detail,
        code=error.code,
        headers=headers,
        **error.extra,
    )


def form_errors(error: ValidationError) -> dict[str, str]:
    """Field name → Chinese-first message, for re-rendering a form next to its inputs."""
    messages: dict[str, str] = {}
    for item in error.errors():
        field = str(item["loc"][0]) if item.get("loc") else "_"
        message = item.get("msg", "无效")
        if item.get("type") == "missing":
            message = "必填"
        elif item.get("type") == "extra_forbidden":
            continue
        messages.setdefault(field, message)
    return messages
