"""Error handlers: problem+json under /api, Chinese pages elsewhere; never a bare 500.

A refusal's detail and title that are catalogue messages (``service.messages.Message``) are said
again in the language the request's ``Accept-Language`` asks for (en or zh_CN) in problem+json
bodies; sentences built by concatenation have no key and stay Chinese, as do the pages.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from urllib.parse import urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import AppError, Conflict, InvalidInput, NotAuthenticated, Unavailable
from service.messages import DEFAULT_LOCALE, ZH_CN, Message, placeholders, text
from service.schemas_common import EARLIEST_YEAR, LATEST_YEAR
from service.web.templating import page_locale, render

log = logging.getLogger("kepu.errors")

PROBLEM_JSON = "application/problem+json"
# The title of each status, from the catalogue (said again in the reader's language).
HTTP_TITLE_KEYS = {
    400: "title.bad_request",
    401: "title.not_authenticated",
    403: "title.forbidden",
    404: "title.not_found",
    405: "title.method_not_allowed",
    409: "title.conflict",
    413: "title.payload_too_large",
    415: "title.unsupported_media_type",
    422: "title.invalid_input",
    429: "title.too_many_requests",
    500: "title.internal",
    503: "title.unavailable",
}
# Starlette's own errors carry the English status phrase ("Not Found"): a sentence instead.
HTTP_DETAIL_KEYS = {404: "refusal.http.not_found", 405: "refusal.http.method_not_allowed"}


def http_title(status: int) -> Message:
    return text(HTTP_TITLE_KEYS.get(status, "title.bad_request"))


def _in_path(item: dict) -> bool:
    return bool(item.get("loc")) and item["loc"][0] == "path"


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


# ---------------------------------------------------------------- validation errors in words

# pydantic's error types (and our input layer's own) → catalogue sentences; a constraint in the
# error's context fills the sentence ("长度不能超过 64 个字符"), so every reader gets the rule, in
# their language, instead of pydantic's English.
_SIMPLE_KEYS = {
    "missing": "refusal.validation.missing",
    "int_parsing": "refusal.validation.whole_number",
    "int_type": "refusal.validation.whole_number",
    "int_from_float": "refusal.validation.whole_number",
    "float_parsing": "refusal.validation.number",
    "float_type": "refusal.validation.number",
    "decimal_parsing": "refusal.validation.number",
    "finite_number": "refusal.validation.finite_number",
    "bool_parsing": "refusal.validation.yes_no",
    "bool_type": "refusal.validation.yes_no",
    "string_type": "refusal.validation.text",
    "string_pattern_mismatch": "refusal.validation.pattern",
    "phone": "refusal.validation.phone",
    "nul_byte": "refusal.validation.nul_byte",
    "datetime_parsing": "refusal.validation.datetime",
    "datetime_type": "refusal.validation.datetime",
    "datetime_from_date_parsing": "refusal.validation.datetime",
    "date_parsing": "refusal.validation.date",
    "date_type": "refusal.validation.date",
    "date_from_datetime_parsing": "refusal.validation.date",
    "date_from_datetime_inexact": "refusal.validation.date",
    "time_parsing": "refusal.validation.time",
    "time_type": "refusal.validation.time",
    "extra_forbidden": "refusal.validation.not_accepted",
    "json_invalid": "refusal.validation.json",
    "json_type": "refusal.validation.json",
    "model_type": "refusal.validation.object",
    "model_attributes_type": "refusal.validation.object",
    "dict_type": "refusal.validation.object",
    "list_type": "refusal.validation.list",
    "set_type": "refusal.validation.list",
    "tuple_type": "refusal.validation.list",
}
_LIMIT_KEYS = {
    "greater_than_equal": ("refusal.validation.at_least", "ge"),
    "greater_than": ("refusal.validation.more_than", "gt"),
    "less_than_equal": ("refusal.validation.at_most", "le"),
    "less_than": ("refusal.validation.less_than", "lt"),
}
# Sentences that schema validators raise as plain ``ValueError("…")`` text: recognised by their
# Chinese wording (any catalogue sentence without placeholders is), so they too are said again
# in the reader's language. A validator may also raise ``ValueError(text(key))`` directly.
VALIDATOR_SENTENCES = (
    "refusal.validation.end_after_start",
    "refusal.validation.preferred_end_after_start",
    "refusal.validation.coordinates_together",
    "refusal.validation.deadline_before_start",
)
_BY_CHINESE = {template: key for key, template in ZH_CN.items() if not placeholders(template)}
_QUOTED = re.compile(r"'([^']*)'")
_DIGITS = re.compile(r"\d+")
_LOCATION_SKIPPED = {"body"}


def _number(value: object) -> object:
    """1.0 → 1, so a limit reads "不能小于 1" rather than "不能小于 1.0"."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _sentence(raw: str) -> str:
    """A validator's own sentence: a catalogue message when its Chinese wording is one."""
    raw = raw.removeprefix("Value error, ").removeprefix("Assertion failed, ").strip()
    key = _BY_CHINESE.get(raw)
    return text(key) if key else raw


def _length_message(kind: str, ctx: dict, msg: str) -> Message:
    if kind == "too_short":
        if "min_len" in ctx:  # our Text type
            return text("refusal.validation.string_too_short", min_length=ctx["min_len"])
        return text("refusal.validation.too_few_items", min_length=ctx.get("min_length", 1))
    if "max_len" in ctx:  # our Text type
        return text("refusal.validation.string_too_long", max_length=ctx["max_len"])
    if "field_type" in ctx and "max_length" in ctx:  # a list
        return text("refusal.validation.too_many_items", max_length=ctx["max_length"])
    digits = _DIGITS.search(msg)  # the password's own limit, stated in its message
    return text("refusal.validation.string_too_long", max_length=digits.group() if digits else "")


def validation_message(item: dict) -> str:
    """One pydantic error in words: a catalogue ``Message`` (said again in any locale) with the
    field's constraint filled in; a validator's own sentence with no key stays as written."""
    kind, ctx, msg = item.get("type", ""), item.get("ctx") or {}, str(item.get("msg", ""))
    if kind in _SIMPLE_KEYS:
        return text(_SIMPLE_KEYS[kind])
    if kind in _LIMIT_KEYS:
        key, name = _LIMIT_KEYS[kind]
        return text(key, limit=_number(ctx.get(name, "")))
    if kind == "string_too_short":
        return text("refusal.validation.string_too_short", min_length=ctx.get("min_length", ""))
    if kind == "string_too_long":
        return text("refusal.validation.string_too_long", max_length=ctx.get("max_length", ""))
    if kind in ("too_short", "too_long"):
        return _length_message(kind, ctx, msg)
    if kind in ("enum", "literal_error"):
        expected = str(ctx.get("expected", ""))
        choices = " / ".join(_QUOTED.findall(expected)) or expected
        return text("refusal.validation.choice", choices=choices)
    if kind == "multiple_of":
        return text("refusal.validation.multiple_of", multiple=_number(ctx.get("multiple_of")))
    if kind == "code":
        return text("refusal.validation.code_digits", length=ctx.get("length", ""))
    if kind == "datetime_out_of_range":
        return text(
            "refusal.input.datetime_out_of_range", earliest=EARLIEST_YEAR, latest=LATEST_YEAR
        )
    error = ctx.get("error")
    if isinstance(error, Exception) and error.args and isinstance(error.args[0], Message):
        return error.args[0]
    return _sentence(msg) or text("refusal.validation.invalid")


def validation_field(item: dict) -> str:
    """Where the error is: ``name``, ``grants.0.role`` (``body`` left out)."""
    return ".".join(str(part) for part in item.get("loc", ()) if part not in _LOCATION_SKIPPED)


def describe_validation(items: list[dict], locale: str) -> str:
    """The first few errors as one sentence for a problem body's ``detail``."""
    parts = []
    for item in items[:5]:
        message = _in_locale(validation_message(item), locale)
        field = validation_field(item)
        parts.append(
            _in_locale(text("refusal.validation.field", field=field, message=message), locale)
            if field
            else message
        )
    joiner = "; " if locale == "en" else "；"
    return joiner.join(parts) or _in_locale(text("refusal.validation.invalid"), locale)


def validation_errors(items: list[dict], locale: str) -> list[dict]:
    """The problem body's ``errors``: where, what kind, and the sentence in ``locale``."""
    return [
        {
            "loc": [str(part) for part in item.get("loc", ())],
            "type": str(item.get("type", "")),
            "msg": _in_locale(validation_message(item), locale),
        }
        for item in items
    ]


def _is_status_phrase(status: int, detail: str) -> bool:
    try:
        return detail == HTTPStatus(status).phrase
    except ValueError:
        return False


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
        locale = request_locale(request)
        items = list(error.errors())
        if not wants_json(request) and items and all(_in_path(item) for item in items):
            # /desk/orders/abc is an address that does not exist, not a form to correct.
            return problem_response(
                request,
                status=404,
                title=_in_locale(http_title(404), locale),
                detail=_in_locale(text(HTTP_DETAIL_KEYS[404]), locale),
                code="http_404",
            )
        return problem_response(
            request,
            status=422,
            title=_in_locale(InvalidInput.title, locale),
            detail=describe_validation(items, locale),
            code=InvalidInput.code,
            errors=validation_errors(items, locale),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, error: StarletteHTTPException):
        locale = request_locale(request)
        detail = error.detail if isinstance(error.detail, str) else ""
        if not detail or _is_status_phrase(error.status_code, detail):
            detail = text(HTTP_DETAIL_KEYS.get(error.status_code, "refusal.http.other"))
        return problem_response(
            request,
            status=error.status_code,
            title=_in_locale(http_title(error.status_code), locale),
            detail=_in_locale(detail, locale),
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
            title=_in_locale(Conflict.title, request_locale(request)),
            detail=_in_locale(text("refusal.database.conflict"), request_locale(request)),
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
                title=_in_locale(Unavailable.title, request_locale(request)),
                detail=_in_locale(text("refusal.database.busy"), request_locale(request)),
                code="database_busy",
                headers={"Retry-After": "1"},
            )
        log.exception("database error on %s", request.url.path)
        locale = request_locale(request)
        return problem_response(
            request,
            status=500,
            title=_in_locale(http_title(500), locale),
            detail=_in_locale(text("refusal.database.internal"), locale),
            code="internal",
        )
