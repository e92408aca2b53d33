"""One exception family for refusals; each carries its HTTP status and a Chinese message.

Routes and services raise these; the handlers in ``service.web.errors`` turn them into an
RFC 9457 problem JSON body under /api (in the request's language where the detail and title are
catalogue messages) and a Chinese error page elsewhere.
"""

from __future__ import annotations

from typing import Any

from service.messages import text


class AppError(Exception):
    """A refusal a person can understand; changes nothing (the unit of work rolls back)."""

    status_code = 400
    code = "bad_request"
    title = text("title.bad_request")

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class NotAuthenticated(AppError):
    status_code = 401
    code = "not_authenticated"
    title = text("title.not_authenticated")


class Forbidden(AppError):
    status_code = 403
    code = "forbidden"
    title = text("title.forbidden")


class NotFound(AppError):
    status_code = 404
    code = "not_found"
    title = text("title.not_found")


class Conflict(AppError):
    """An action that the object's current state does not allow (e.g. accepting a full order)."""

    status_code = 409
    code = "conflict"
    title = text("title.conflict")


class InvalidInput(AppError):
    status_code = 422
    code = "invalid_input"
    title = text("title.invalid_input")


class TooManyRequests(AppError):
    status_code = 429
    code = "too_many_requests"
    title = text("title.too_many_requests")

    def __init__(self, detail: str, *, retry_after: int, **extra: Any) -> None:
        super().__init__(detail, retry_after=retry_after, **extra)
        self.retry_after = retry_after


class Unavailable(AppError):
    """The database is busy (lock timeout) or unreachable; safe to retry."""

    status_code = 503
    code = "unavailable"
    title = text("title.unavailable")
