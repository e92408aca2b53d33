"""Hypothesis strategies for small, realistic matching instances near the centre."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from hypothesis import strategies as st

from matching.types import AvailabilityWindow, Commitment, Credential, InsuranceCoverage
from tests.matching.factories import CENTER, MONDAY_10_LOCAL, order, volunteer

SKILLS = (1, 2, 3)


@st.composite
def availability(draw):
    """Either all week, or a few windows around Monday morning (so some orders fall outside)."""
    if draw(st.booleans()):
        return tuple(AvailabilityWindow(d, 0, 1440) for d in range(7))
    windows = []
    for _ in range(draw(st.integers(1, 3))):
        start = draw(st.integers(8, 14)) * 60
        windows.append(AvailabilityWindow(0, start, start + draw(st.integers(1, 6)) * 60))
    return tuple(windows)


@st.composite
def volunteers(draw, min_size=1, max_size=5):
    """Distinct-id volunteers within ~9 km of the centre with varied skills and histories."""
    n = draw(st.integers(min_size, max_size))
    out = []
    for i in range(1, n + 1):
        commitments = ()
        if draw(st.integers(0, 4)) == 0:
            start = MONDAY_10_LOCAL + timedelta(minutes=30 * draw(st.integers(-4, 10)))
            commitments = (Commitment(900 + i, start, start + timedelta(hours=1)),)
        out.append(
            volunteer(
                i,
                lat=CENTER[0] + draw(st.floats(-0.08, 0.08)),
                lng=CENTER[1] + draw(st.floats(-0.08, 0.08)),
                radius_km=draw(st.sampled_from([3.0, 6.0, 12.0])),
                skills=draw(st.frozensets(st.sampled_from(SKILLS), min_size=1, max_size=2)),
                availability=draw(availability()),
                commitments=commitments,
                active=draw(st.integers(0, 9)) > 0,
                community_id=draw(st.sampled_from([None, 1, 2])),
                street_id=draw(st.sampled_from([None, 10])),
                recent_hours=draw(st.sampled_from([0.0, 2.0, 8.0, 20.0])),
                activities_this_month=draw(st.integers(0, 5)),
                completed=draw(st.integers(0, 10)),
                no_shows=draw(st.integers(0, 2)),
                rating_avg=draw(st.sampled_from([None, 3.5, 5.0])),
                rating_count=draw(st.integers(0, 4)),
            )
        )
    return out


@st.composite
def orders(draw, min_size=1, max_size=4, chain=False):
    """Orders on Monday on a 30-minute grid, so windows overlap in varied ways.

    ``chain=True`` starts one-hour orders about an hour apart: with the 30-minute buffer each
    overlaps its neighbours only, the interval structure a single flow cannot handle exactly.
    """
    n = draw(st.integers(min_size, max_size))
    if chain:
        starts = [60 * j + 30 * draw(st.integers(0, 1)) for j in range(n)]
        return [
            order(
                100 + j,
                lat=CENTER[0] + draw(st.floats(-0.03, 0.03)),
                lng=CENTER[1] + draw(st.floats(-0.03, 0.03)),
                start=MONDAY_10_LOCAL + timedelta(minutes=starts[j]),
                hours=1.0,
                skills=draw(st.frozensets(st.sampled_from(SKILLS), min_size=1, max_size=2)),
                slots=draw(st.integers(1, 2)),
                cover_all_skills=draw(st.booleans()),
            )
            for j in range(n)
        ]
    return [
        order(
            100 + j,
            lat=CENTER[0] + draw(st.floats(-0.05, 0.05)),
            lng=CENTER[1] + draw(st.floats(-0.05, 0.05)),
            start=MONDAY_10_LOCAL + timedelta(minutes=30 * draw(st.integers(0, 10))),
            hours=draw(st.sampled_from([0.5, 1.0, 1.5])),
            skills=draw(st.frozensets(st.sampled_from(SKILLS), min_size=1, max_size=2)),
            slots=draw(st.integers(1, 3)),
            max_distance_km=draw(st.sampled_from([4.0, 8.0, 15.0])),
            community_id=draw(st.sampled_from([None, 1])),
            street_id=draw(st.sampled_from([None, 10])),
            cover_all_skills=draw(st.booleans()),
        )
        for j in range(n)
    ]


# Qualifications: two credential kinds, dates within a few days of the orders' local Monday.
KINDS = ("red_cross_first_aider", "safety_training")
OFFSETS_H = (8.0, 0.0, -5.0, 5.5, 14.0, -12.0)  # Beijing first; others move the local midnight


def _day(draw, spread: int = 2):
    return MONDAY_10_LOCAL.date() + timedelta(days=draw(st.integers(-spread, spread)))


@st.composite
def qualifications(draw):
    """(credentials, insurance) of one volunteer: none, or expiring / starting around the orders
    (several periods with gaps and overlaps, and a kind held twice with different expiries)."""
    credentials = tuple(
        Credential(draw(st.sampled_from(KINDS)), _day(draw)) for _ in range(draw(st.integers(0, 3)))
    )
    insurance = []
    for _ in range(draw(st.integers(0, 3))):
        start = _day(draw, 3)
        insurance.append(InsuranceCoverage(start, start + timedelta(days=draw(st.integers(0, 2)))))
    return credentials, tuple(insurance)


@st.composite
def qualified_volunteers(draw, min_size=1, max_size=5):
    """``volunteers`` holding random certificates and insurance periods."""
    out = []
    for v in draw(volunteers(min_size, max_size)):
        credentials, insurance = draw(qualifications())
        out.append(dataclasses.replace(v, credentials=credentials, insurance=insurance))
    return out


@st.composite
def qualified_orders(draw, min_size=1, max_size=4):
    """Orders that may require credentials and insurance, starting on a 10-minute grid around
    local midnight for many offsets (so they end or begin on either side of it)."""
    out = []
    for o in draw(orders(min_size, max_size)):
        start = MONDAY_10_LOCAL + timedelta(minutes=10 * draw(st.integers(-150, 150)))
        out.append(
            dataclasses.replace(
                o,
                start=start,
                end=start + timedelta(minutes=10 * draw(st.integers(1, 42))),
                required_credentials=draw(st.frozensets(st.sampled_from(KINDS), max_size=2)),
                requires_insurance=draw(st.booleans()),
            )
        )
    return out


def utc_offsets():
    """A configured local time zone, as a fixed offset."""
    return st.sampled_from(OFFSETS_H).map(lambda h: timedelta(hours=h))
