"""Error handlers: problem+json under /api, Chinese pages elsewhere; never a bare 500.

A refusal's detail and title that are catalogue messages (``service.messages.Message``) are said
again in the language the request's ``Accept-Language`` asks for (en or zh_CN) in problem+json
bodies; sentences built by concatenation have no key and stay Chinese, as do the pages.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import AppError, Conflict, InvalidInput, NotAuthenticated, Unavailable
from service.messages import DEFAULT_LOCALE, Message
from service.web.templating import page_locale, render

log = logging.getLogger("kepu.errors")

PROBLEM_JSON = "application/problem+json"
HTTP_TITLES = {
    400: "请求有误",
    401: "请先登录",
    403: "没有权限",
    404: "未找到",
    405: "不支持的请求方法",
    409: "操作无法完成",
    413: "请求内容过大",
    415: "不支持的内容类型",
    422: "输入有误",
    429: "操作过于频繁",
    500: "服务器内部错误",
    503: "服务繁忙",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "json" in request.headers.get("accept", "")


def problem_response(
    request: Request,
    *,
    status: int,
    title: str,
    detail: str,
    code: str,
    headers: dict | None = None,
    **extra,
) -> Response:
    """An RFC 9457 problem body for the API, or the Chinese error page for browsers."""
    if wants_json(request):
        body = {
            "type": f"about:blank#{code}" if code else "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "instance": request.url.path,
            **extra,
        }
        return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)
    response = render(
        request,
        "error.html",
        {"status": status, "title": title, "detail": detail, "extra": extra},
        status_code=status,
    )
    if headers:
        response.headers.update(headers)
    return response


# PostgreSQL SQLSTATEs after which a retry can succeed: lock_not_available (lock_timeout),
# query_canceled (statement_timeout), deadlock_detected, serialization_failure.
RETRYABLE_SQLSTATES = frozenset({"55P03", "57014", "40P01", "40001"})
# SQLite result codes: SQLITE_BUSY ("database is locked" after busy_timeout), SQLITE_LOCKED.
RETRYABLE_SQLITE_CODES = frozenset({5, 6})


def _sqlstate(error: DBAPIError) -> str | None:
    """The SQLSTATE, whether the driver error carries it or the asyncpg error it wraps does."""
    for candidate in (error.orig, getattr(error.orig, "__cause__", None)):
        code = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


def is_retryable_database_error(error: DBAPIError) -> bool:
    """True for waits that gave up and broken connections, keyed on codes, not message text.

    SQLAlchemy wraps asyncpg's errors (LockNotAvailableError, DeadlockDetectedError, …) in a
    plain ``DBAPIError`` whose ``orig`` carries the SQLSTATE; SQLite's busy error arrives as an
    ``OperationalError`` whose ``orig`` carries the result code.
    """
    if error.connection_invalidated:
        return True
    sqlstate = _sqlstate(error)
    if sqlstate is not None:
        # Class 08: connection exceptions (the server went away mid-request).
        return sqlstate in RETRYABLE_SQLSTATES or sqlstate.startswith("08")
    sqlite_code = getattr(error.orig, "sqlite_errorcode", None)
    if sqlite_code is not None:
        return sqlite_code & 0xFF in RETRYABLE_SQLITE_CODES
    # No code at all (e.g. the connection could not be opened): an OperationalError is the
    # driver saying the database is unavailable, which a retry may fix.
    return isinstance(error, OperationalError)


def _describe_validation(error: dict) -> str:
    location = ".".join(str(part) for part in error.get("loc", ()) if part != "body")
    return f"{location}: {error.get('msg', '无效')}" if location else error.get("msg", "无效")


def _is_page_visit(request: Request) -> bool:
    return request.method == "GET" and not wants_json(request)


def _to_login(request: Request) -> Response:
    """A person opening a page that needs a login is sent to the login form, then back."""
    path = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    target = f"/login?{urlencode({'next': path})}"
    if request.headers.get("HX-Request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def retry_after_headers(error: AppError) -> dict[str, str] | None:
    """``Retry-After`` for a refusal that says when to try again (too many attempts)."""
    retry_after = getattr(error, "retry_after", None)
    return {"Retry-After": str(retry_after)} if retry_after is not None else None


def request_locale(request: Request) -> str:
    """The reader's language: the page switch (cookie), their account, then Accept-Language."""
    return page_locale(request)


def _in_locale(value: str, locale: str) -> str:
    """A catalogue message in ``locale``; any other text as it is (it has no key)."""
    if locale != DEFAULT_LOCALE and isinstance(value, Message):
        return value.in_locale(locale)
    return value


def app_error_response(request: Request, error: AppError) -> Response:
    """The problem body (API) or error page (browser) for a refused action.

    Routes may return it instead of raising, so the unit of work still commits what the
    refusal recorded (e.g. a failed login's count and audit entry). Body and page speak the
    reader's language.
    """
    locale = request_locale(request)
    return problem_response(
        request,
        status=error.status_code,
        title=_in_locale(error.title, locale),
        detail=_in_locale(error.detail, locale),
        code=error.code,
        headers=retry_after_headers(error),
        **error.extra,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(AppError)
    async def _app_error(request: Request, error: AppError):
        if isinstance(error, NotAuthenticated) and _is_page_visit(request):
            return _to_login(request)
        return app_error_response(request, error)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, error: RequestValidationError):
        errors = [
            {"loc": [str(p) for p in item.get("loc", ())], "msg": str(item.get("msg", ""))}
            for item in error.errors()
        ]
        detail = "；".join(_describe_validation(item) for item in errors[:5])
        return problem_response(
            request,
            status=422,
            title=InvalidInput.title,
            detail=detail or "输入有误",
            code=InvalidInput.code,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        title = HTTP_TITLES.get(error.status_code, "请求有误")
        detail = error.detail if isinstance(error.detail, str) else title
        return problem_response(
            request,
            status=error.status_code,
            title=title,
            detail=detail,
            code=f"http_{error.status_code}",
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(request: Request, error: IntegrityError):
        # A database rule (unique, check, foreign key) caught what validation did not: refuse.
        log.warning("integrity error on %s: %s", request.url.path, str(error.orig)[:200])
        return problem_response(
            request,
            status=409,
            title=Conflict.title,
            detail="数据与现有记录冲突，未做任何修改。",
            code="integrity_conflict",
        )

    @app.exception_handler(DBAPIError)
    async def _database_error(request: Request, error: DBAPIError):
        # OperationalError is a DBAPIError too, so every driver error lands here.
        if is_retryable_database_error(error):
            # Lock timeouts, deadlocks, lost connections: the transaction was rolled back,
            # nothing was changed, and the same request may succeed a moment later.
            log.warning("database busy on %s: %s", request.url.path, str(error.orig)[:200])
            return problem_response(
                request,
                status=503,
                title=Unavailable.title,
                detail="数据库繁忙，请稍后重试。",
                code="database_busy",
                headers={"Retry-After": "1"},
            )
        log.exception("database error on %s", request.url.path)
        return problem_response(
            request, status=500, title=HTTP_TITLES[500], detail="服务器内部错误。", code="internal"
        )
