"""The security baseline every request passes: headers, input hygiene, CSRF.

Pure ASGI middlewares (no route can opt out by forgetting a dependency):

* ``RequestGuard`` — refuses NUL bytes in the path, query and body fields (422), bodies over
  ``max_body_bytes`` (413), JSON nested deeper than ``MAX_JSON_DEPTH`` (422, found by a scan of
  the raw bytes before anything parses or walks it), and unsafe requests without the right CSRF
  token (403).
* ``ProxyHeadersMiddleware`` (uvicorn's) — only with ``KEPU_TRUSTED_PROXIES``: the client
  address and scheme from ``X-Forwarded-For`` / ``X-Forwarded-Proto`` of those peers only.
* ``SecurityHeaders`` — CSP, frame-ancestors, nosniff, Referrer-Policy, HSTS over https,
  ``Cache-Control: no-store`` on everything that may carry personal data.

CSRF design (signed double-submit, no database read):

* A logged-in browser holds the session cookie; its token is ``HMAC(secret, session id)``
  (also stored as ``AuthSession.csrf_token``). htmx sends it as ``X-CSRF-Token`` from
  ``hx-headers`` on ``<body>``; plain forms send the hidden field ``csrf_token``.
* An anonymous browser gets a random pre-session cookie on its first page view; forms such as
  login, register and the demand form carry ``HMAC(secret, pre-session id)``. This protects the
  login form too (no "log the victim into my account" CSRF).
* Exempt: bearer-token requests (the session cookie is ignored when a bearer header is present),
  and cookie-less requests whose body is JSON (``application/json`` cannot be sent cross-site
  without a CORS preflight, which this app never grants) or empty — such requests carry no
  credentials a forger could borrow.
* Any unsafe request marked ``Sec-Fetch-Site: cross-site`` by the browser is refused outright.
"""

from __future__ import annotations

import hmac
import json
import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qsl, unquote_to_bytes, urlsplit, urlunsplit

from fastapi import FastAPI, Request
from sqlalchemy.exc import DataError
from starlette.datastructures import MutableHeaders, UploadFile
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from service.db import UNSAFE_METHODS
from service.messages import text
from service.settings import Settings
from service.tokens import csrf_token_for, new_secret
from service.web.errors import problem_response

SESSION_COOKIE = "kepu_session"
SECURE_SESSION_COOKIE = "__Host-kepu_session"  # the __Host- prefix needs Secure and Path=/


def session_cookie_name(settings: Settings) -> str:
    return SECURE_SESSION_COOKIE if settings.cookie_secure else SESSION_COOKIE


CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
CSRF_COOKIE = "kepu_csrf"
SECURE_CSRF_COOKIE = "__Host-kepu_csrf"
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; frame-ancestors 'none'; "
    "base-uri 'self'; form-action 'self'"
)


def csrf_cookie_name(settings: Settings) -> str:
    return SECURE_CSRF_COOKIE if settings.cookie_secure else CSRF_COOKIE


def csrf_binding(request: Request, settings: Settings) -> str | None:
    """The cookie value the request's CSRF token is bound to: session first, else pre-session."""
    return request.cookies.get(session_cookie_name(settings)) or request.cookies.get(
        csrf_cookie_name(settings)
    )


def _media_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _contains_nul(value: object) -> bool:
    pending = [value]  # a stack, not recursion: the depth of a body is the sender's choice
    while pending:
        item = pending.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# No form of ours nests deeper than a few levels; 1,000 levels (2 KB) used to crash the guard.
MAX_JSON_DEPTH = 32
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


def _json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside string literals nest deeper than ``limit`` (no parsing)."""
    depth = 0
    for bracket in _BRACKET.finditer(_JSON_STRING.sub(b"", body)):
        if bracket.group() in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


class _Refusal(Exception):
    def __init__(self, status: int, title: str, detail: str, code: str) -> None:
        super().__init__(detail)
        self.status, self.title, self.detail, self.code = status, title, detail, code


NUL_REFUSAL = ("输入有误", "输入不能包含空字符（NUL）。", "nul_byte")


class RequestGuard:
    """Refuse NUL bytes, oversized bodies and unsafe requests without a valid CSRF token."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        state = scope.setdefault("state", {})
        binding = csrf_binding(request, self.settings)
        new_pre_session = None
        if binding is None and scope["method"] not in UNSAFE_METHODS and _wants_pre_session(scope):
            new_pre_session = binding = new_secret()
        if binding:
            state["csrf_token"] = csrf_token_for(self.settings.secret_key, binding)
        try:
            _refuse_nul_in_url(scope)
            if scope["method"] in UNSAFE_METHODS:
                body = await _read_body(receive, self.settings.max_body_bytes)
                fields = await _form_fields(scope, _replay(body, receive), body)
                # Parsing a multipart form consumed the first replay.
                receive = _replay(body, receive)
                if fields is None and _json_too_deep(body):
                    detail = text("refusal.input.json_too_deep", limit=MAX_JSON_DEPTH)
                    raise _Refusal(422, "输入有误", detail, "json_too_deep")
                _refuse_nul_in_body(request, body, fields)
                self._check_csrf(request, binding, body, fields, state.get("csrf_token"))
        except _Refusal as refusal:
            response = problem_response(
                Request(scope, receive),
                status=refusal.status,
                title=refusal.title,
                detail=refusal.detail,
                code=refusal.code,
            )
            await response(scope, receive, send)
            return
        if new_pre_session:
            send = _setting_cookie(send, self._pre_session_cookie(new_pre_session))
        await self.app(scope, receive, send)

    def _check_csrf(self, request, binding, body: bytes, fields: dict | None, expected) -> None:
        if request.headers.get("authorization", "").lower().startswith("bearer "):
            return  # machine client: no ambient credential for a forger to borrow
        if request.headers.get("sec-fetch-site") == "cross-site":
            raise _Refusal(403, "没有权限", "拒绝跨站提交的请求。", "csrf_cross_site")
        if binding is None:
            media_type = _media_type(request.headers)
            if _is_json(media_type) or (not media_type and not body):
                return  # no cookie at all: nothing to forge with
            raise _Refusal(
                403, "没有权限", "页面已过期或缺少安全令牌，请刷新页面后重试。", "csrf_missing"
            )
        supplied = request.headers.get(CSRF_HEADER) or (fields or {}).get(CSRF_FIELD)
        if not isinstance(supplied, str) or not supplied:
            raise _Refusal(
                403, "没有权限", "缺少安全令牌（CSRF），请刷新页面后重试。", "csrf_missing"
            )
        if not hmac.compare_digest(supplied.encode(), expected.encode()):
            raise _Refusal(
                403, "没有权限", "安全令牌（CSRF）无效，请刷新页面后重试。", "csrf_invalid"
            )

    def _pre_session_cookie(self, value: str) -> str:
        cookie = SimpleCookie()
        name = csrf_cookie_name(self.settings)
        cookie[name] = value
        cookie[name]["path"] = "/"
        cookie[name]["httponly"] = True
        cookie[name]["samesite"] = "Lax"
        if self.settings.cookie_secure:
            cookie[name]["secure"] = True
        return cookie.output(header="").strip()


def _wants_pre_session(scope: Scope) -> bool:
    # Pages need it for their forms; static files and the JSON API do not.
    return not scope["path"].startswith(("/static/", "/api/"))


def _refuse_nul_in_url(scope: Scope) -> None:
    query = scope.get("query_string", b"")
    if "\x00" in scope["path"] or b"\x00" in unquote_to_bytes(query.replace(b"+", b" ")):
        raise _Refusal(422, *NUL_REFUSAL)


def _refuse_nul_in_body(request: Request, body: bytes, fields: dict | None) -> None:
    if fields is not None:
        if any(_contains_nul(key) or _contains_nul(value) for key, value in fields.items()):
            raise _Refusal(422, *NUL_REFUSAL)
        return
    if _is_json(_media_type(request.headers)) and body:
        try:
            parsed = json.loads(body)
        except ValueError:
            return  # malformed JSON is FastAPI's 422 to give
        if _contains_nul(parsed):
            raise _Refusal(422, *NUL_REFUSAL)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise _Refusal(413, "请求内容过大", "提交的内容过大。", "body_too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body already read, once; then the client's own messages. A streamed response
    listens for the disconnect: inventing one would end every stream answering a POST."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


async def _form_fields(scope: Scope, receive: Receive, body: bytes) -> dict | None:
    """Text fields of a form body (files skipped), or None when the body is not a form."""
    media_type = _media_type(Request(scope).headers)
    if media_type == "application/x-www-form-urlencoded":
        text = body.decode("utf-8", "replace")
        return dict(parse_qsl(text, keep_blank_values=True))
    if media_type == "multipart/form-data":
        try:
            async with Request(scope, receive).form() as form:
                return {k: v for k, v in form.multi_items() if not isinstance(v, UploadFile)}
        except Exception:
            return {}  # malformed multipart: the route's own parsing will answer 400/422
    return None


def _setting_cookie(send: Send, cookie_header: str) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            headers.append("set-cookie", cookie_header)
        await send(message)

    return wrapped


class SecurityHeaders:
    """Add the browser-side protections to every response."""

    def __init__(
        self, app: ASGIApp, *, settings: Settings, img_sources: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.settings = settings
        # Configured map tiles are the only images a page may load from elsewhere.
        self.policy = CONTENT_SECURITY_POLICY.replace(
            "img-src 'self' data:", " ".join(("img-src 'self' data:", *img_sources))
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        https = scope.get("scheme") == "https" or self.settings.cookie_secure
        static = scope["path"].startswith("/static/")
        credentialed = "authorization" in request.headers or bool(
            request.cookies.get(session_cookie_name(self.settings))
        )
        force_no_store = credentialed or scope["path"].startswith("/api/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = self.policy
                headers["X-Content-Type-Options"] = "nosniff"
                headers["X-Frame-Options"] = "DENY"
                headers["Referrer-Policy"] = "same-origin"
                headers["Cross-Origin-Opener-Policy"] = "same-origin"
                headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(self)"
                if https and self.settings.hsts_seconds:
                    headers["Strict-Transport-Security"] = (
                        f"max-age={self.settings.hsts_seconds}; includeSubDomains"
                    )
                if not static and (force_no_store or "cache-control" not in headers):
                    headers["Cache-Control"] = "no-store"
                location = headers.get("location")
                if location:
                    headers["Location"] = _location_without_host_header(location, request)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _location_without_host_header(location: str, request: Request) -> str:
    """A redirect the framework built from the request's Host header (e.g. Starlette's
    trailing-slash redirect) becomes a path on this site: the Host header is the client's to
    choose, so it must never pick where a redirect goes."""
    parts = urlsplit(location)
    if not parts.netloc or parts.netloc.lower() != request.headers.get("host", "").lower():
        return location
    return urlunsplit(("", "", "/" + (parts.path or "/").lstrip("/"), parts.query, ""))


def install_security(
    app: FastAPI, settings: Settings, *, img_sources: tuple[str, ...] = ()
) -> None:
    """Register the guard, the headers and the database-input safety net on ``app``;
    ``img_sources``: other origins pages may load images from (the configured map tiles)."""
    app.add_middleware(RequestGuard, settings=settings)
    # Headers on refusals too.
    app.add_middleware(SecurityHeaders, settings=settings, img_sources=img_sources)
    if settings.trusted_proxy_list:
        # Outermost: every layer sees the real client address and scheme. Only the configured
        # proxies are believed (KEPU_TRUSTED_PROXIES, default none); uvicorn's own handling,
        # which trusts 127.0.0.1 by default, is switched off in `kepu serve`.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxy_list)

    @app.exception_handler(DataError)
    async def _data_error(request: Request, error: DataError):
        # A value the database cannot hold (too long, out of range) that validation missed:
        # still the client's input, so 422 — never a 500.
        return problem_response(
            request,
            status=422,
            title="输入有误",
            detail="输入超出允许的范围（长度或数值过大）。",
            code="input_out_of_range",
        )

    @app.exception_handler(OverflowError)
    async def _overflow(request: Request, error: OverflowError):
        # SQLite's driver raises this for integers beyond 64 bits.
        return problem_response(
            request, status=422, title="输入有误", detail="数值超出允许的范围。", code="overflow"
        )
