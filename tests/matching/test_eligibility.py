"""Each hard rule produces its own reason code; an eligible pair produces none."""

from datetime import timedelta

import pytest

from matching.eligibility import (
    BLACKOUT_DATE,
    COMMITMENT_CONFLICT,
    INACTIVE,
    NO_SHARED_SKILL,
    ORDER_STARTED,
    OUTSIDE_AVAILABILITY,
    TOO_FAR,
    check_eligibility,
    is_eligible,
)
from matching.params import MatchParams
from matching.types import AvailabilityWindow, Commitment
from tests.matching.factories import CENTER, MONDAY_10_LOCAL, NOW, offset_km, order, volunteer


def test_a_matching_pair_is_eligible():
    assert check_eligibility(volunteer(), order(), now=NOW) == []
    assert is_eligible(volunteer(), order(), now=NOW)


def test_one_shared_skill_is_enough():
    assert check_eligibility(volunteer(skills={2}), order(skills={1, 2}), now=NOW) == []


def test_no_shared_skill():
    assert check_eligibility(volunteer(skills={2}), order(skills={1}), now=NOW) == [NO_SHARED_SKILL]


def test_inactive_volunteer():
    assert check_eligibility(volunteer(active=False), order(), now=NOW) == [INACTIVE]


def test_order_that_already_started():
    assert check_eligibility(volunteer(), order(), now=MONDAY_10_LOCAL) == [ORDER_STARTED]
    assert check_eligibility(volunteer(), order(), now=None) == []


@pytest.mark.parametrize(
    ("radius", "max_distance", "km", "eligible"),
    [
        (10, 10, 9.5, True),
        (5, 10, 6.0, False),  # beyond the volunteer's radius
        (10, 5, 6.0, False),  # beyond the order's maximum distance
        (5, 10, 4.5, True),
    ],
)
def test_distance_limit_is_the_smaller_of_both_radii(radius, max_distance, km, eligible):
    lat, lng = offset_km(*CENTER, north_km=km)
    reasons = check_eligibility(
        volunteer(lat=lat, lng=lng, radius_km=radius), order(max_distance_km=max_distance), now=NOW
    )
    assert (reasons == []) is eligible
    assert (reasons == [TOO_FAR]) is not eligible


def test_extra_km_relaxes_both_limits():
    lat, lng = offset_km(*CENTER, north_km=7)
    v, o = volunteer(lat=lat, lng=lng, radius_km=5), order(max_distance_km=6)
    assert check_eligibility(v, o, now=NOW) == [TOO_FAR]
    assert check_eligibility(v, o, now=NOW, extra_km=1.5) == [TOO_FAR]
    assert check_eligibility(v, o, now=NOW, extra_km=2.5) == []


def test_custom_distance_function_decides():
    far_by_road = lambda *_: 50.0  # noqa: E731
    assert check_eligibility(volunteer(), order(), now=NOW, distance=far_by_road) == [TOO_FAR]


def test_order_window_outside_weekly_availability():
    mornings = (AvailabilityWindow(0, 8 * 60, 11 * 60),)  # Monday 08-11, order is 10-12
    assert check_eligibility(volunteer(availability=mornings), order(), now=NOW) == [
        OUTSIDE_AVAILABILITY
    ]
    assert check_eligibility(volunteer(availability=mornings), order(hours=1), now=NOW) == []


def test_availability_is_read_in_local_time():
    # 10:00 Beijing is 02:00 UTC: a window at 02:00-04:00 must not match.
    utc_like = (AvailabilityWindow(0, 2 * 60, 4 * 60),)
    assert OUTSIDE_AVAILABILITY in check_eligibility(
        volunteer(availability=utc_like), order(hours=1)
    )
    assert (
        check_eligibility(
            volunteer(availability=utc_like), order(hours=1), MatchParams(utc_offset=timedelta(0))
        )
        == []
    )


def test_blackout_date_uses_the_local_date():
    local_day = (MONDAY_10_LOCAL + timedelta(hours=8)).date()
    assert check_eligibility(volunteer(blackout_dates={local_day}), order(), now=NOW) == [
        BLACKOUT_DATE
    ]
    other_day = local_day + timedelta(days=1)
    assert check_eligibility(volunteer(blackout_dates={other_day}), order(), now=NOW) == []


@pytest.mark.parametrize(
    ("gap_minutes", "conflict"), [(-60, True), (0, True), (29, True), (30, False), (90, False)]
)
def test_commitment_conflict_includes_the_travel_buffer(gap_minutes, conflict):
    # Commitment ends gap_minutes before the order starts.
    end = MONDAY_10_LOCAL - timedelta(minutes=gap_minutes)
    c = Commitment(7, end - timedelta(hours=1), end)
    reasons = check_eligibility(volunteer(commitments=(c,)), order(), now=NOW)
    assert (COMMITMENT_CONFLICT in reasons) is conflict


def test_commitment_to_the_same_order_is_not_a_conflict():
    c = Commitment(100, MONDAY_10_LOCAL, MONDAY_10_LOCAL + timedelta(hours=2))
    assert check_eligibility(volunteer(commitments=(c,)), order(id=100), now=NOW) == []
    assert check_eligibility(volunteer(commitments=(c,)), order(id=101), now=NOW) == [
        COMMITMENT_CONFLICT
    ]


def test_every_broken_rule_is_reported():
    v = volunteer(active=False, skills={9}, radius_km=0.001, lat=CENTER[0] + 1)
    assert check_eligibility(v, order(), now=MONDAY_10_LOCAL) == [
        ORDER_STARTED,
        INACTIVE,
        NO_SHARED_SKILL,
        TOO_FAR,
    ]
