"""The period of a certificate: the three choices, and every bad one refused with its field."""

from __future__ import annotations

from datetime import date

import pytest

from service.certificates import refusals
from service.certificates.periods import Period, parse_period
from service.certificates.refusals import CertificateRefusal

TODAY = date(2026, 11, 23)


def test_this_year_ends_today_and_last_year_is_whole():
    assert parse_period("this_year", None, None, today=TODAY) == Period(date(2026, 1, 1), TODAY)
    assert parse_period("last_year", "x", "y", today=TODAY) == Period(
        date(2025, 1, 1), date(2025, 12, 31)
    )
    assert parse_period("custom", " 2026-02-01 ", "2026-02-28", today=TODAY) == Period(
        date(2026, 2, 1), date(2026, 2, 28)
    )


@pytest.mark.parametrize(
    ("kind", "first", "last", "message", "field"),
    [
        ("", None, None, refusals.PERIOD_UNKNOWN, "period"),
        ("decade", None, None, refusals.PERIOD_UNKNOWN, "period"),
        ("custom", "", "2026-01-01", refusals.DATE_MALFORMED, "first"),
        ("custom", "2026-13-01", "2026-01-01", refusals.DATE_MALFORMED, "first"),
        ("custom", "2026-01-01", "2026/02/01", refusals.DATE_MALFORMED, "last"),
        ("custom", "2026-01-01", "2026-01-01\x00", refusals.DATE_MALFORMED, "last"),
        ("custom", "2026-03-01", "2026-02-01", refusals.PERIOD_BACKWARDS, "last"),
        ("custom", "2026-01-01", "2026-11-24", refusals.PERIOD_FUTURE, "last"),
        ("custom", "1999-12-31", "2000-01-02", refusals.PERIOD_TOO_EARLY, "first"),
        ("custom", "2005-01-01", "2026-01-01", refusals.PERIOD_TOO_LONG, "first"),
    ],
)
def test_a_bad_period_is_refused_next_to_its_field(kind, first, last, message, field):
    with pytest.raises(CertificateRefusal) as refused:
        parse_period(kind, first, last, today=TODAY)
    assert refused.value.message == message
    assert refused.value.field == field
    assert refused.value.status_code == 422
