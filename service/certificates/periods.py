"""The period a certificate covers: this year so far, last year, or two dates (local, inclusive)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from service.certificates import refusals
from service.certificates.refusals import CertificateRefusal

EARLIEST = date(2000, 1, 1)
MAX_YEARS = 10
KINDS = ("this_year", "last_year", "custom")


@dataclass(frozen=True)
class Period:
    first: date
    last: date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def _day(value: str | None, field: str) -> date:
    try:
        return date.fromisoformat((value or "").strip())
    except ValueError:
        raise CertificateRefusal(refusals.DATE_MALFORMED, field=field) from None


def parse_period(kind: str | None, first: str | None, last: str | None, *, today: date) -> Period:
    """The period asked for, checked: it ends by today, starts no earlier than 2000, spans at
    most ten years. "This year" ends today, so its hours cannot grow after it is printed."""
    kind = (kind or "").strip()
    if kind == "this_year":
        return Period(date(today.year, 1, 1), today)
    if kind == "last_year":
        return Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31))
    if kind != "custom":
        raise CertificateRefusal(refusals.PERIOD_UNKNOWN, field="period")
    period = Period(_day(first, "first"), _day(last, "last"))
    if period.last < period.first:
        raise CertificateRefusal(refusals.PERIOD_BACKWARDS, field="last")
    if period.last > today:
        raise CertificateRefusal(refusals.PERIOD_FUTURE, field="last", today=today.isoformat())
    if period.first < EARLIEST:
        raise CertificateRefusal(
            refusals.PERIOD_TOO_EARLY, field="first", earliest=EARLIEST.isoformat()
        )
    if (period.last - period.first).days > MAX_YEARS * 366:
        raise CertificateRefusal(refusals.PERIOD_TOO_LONG, field="first", years=MAX_YEARS)
    return period
