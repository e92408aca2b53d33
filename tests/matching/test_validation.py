"""The core refuses input it cannot decide on, at its boundary, with a message naming the field."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from matching.batch import assign_batch, assign_greedy, build_candidate_graph
from matching.batch.graph import CandidateGraph
from matching.params import MatchParams
from matching.table import VolunteerTable
from matching.types import TeamSnapshot
from tests.matching.factories import NOW, order, volunteer

P = MatchParams()
BAD_LAT = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.just(-math.inf),
    st.floats(min_value=90.0, exclude_min=True, allow_infinity=False),
    st.floats(max_value=-90.0, exclude_max=True, allow_infinity=False),
)
BAD_LNG = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.floats(min_value=180.0, exclude_min=True, allow_infinity=False),
    st.floats(max_value=-180.0, exclude_max=True, allow_infinity=False),
)
BAD_KM = st.one_of(
    st.just(math.nan),
    st.just(math.inf),
    st.floats(max_value=0.0, exclude_max=True, allow_infinity=True, allow_nan=False),
)
GOOD_LAT = st.floats(-90.0, 90.0)
GOOD_LNG = st.floats(-180.0, 180.0)
GOOD_KM = st.floats(0.0, 1e6)


def _columns(n=3, **over):
    cols = dict(
        ids=np.arange(1, n + 1),
        lat=np.full(n, 37.5),
        lng=np.full(n, 121.4),
        radius_km=np.full(n, 5.0),
        skills=(np.arange(n), np.ones(n)),
        windows=(np.arange(n), np.zeros(n), np.zeros(n), np.full(n, 1440)),
    )
    cols.update(over)
    return cols


@given(BAD_LAT)
def test_order_with_bad_lat_is_refused_naming_field_and_id(lat):
    with pytest.raises(ValueError, match=r"order 7: lat must be"):
        order(7, lat=lat)


@given(BAD_LNG)
def test_order_with_bad_lng_is_refused(lng):
    with pytest.raises(ValueError, match=r"order 7: lng must be"):
        order(7, lng=lng)


@given(BAD_KM)
def test_order_with_bad_max_distance_is_refused(km):
    with pytest.raises(ValueError, match=r"order 7: max_distance_km must be"):
        order(7, max_distance_km=km)


@given(BAD_LAT, BAD_LNG, BAD_KM)
def test_volunteer_with_bad_position_or_radius_is_refused(lat, lng, km):
    with pytest.raises(ValueError, match=r"volunteer 3: lat must be"):
        volunteer(3, lat=lat)
    with pytest.raises(ValueError, match=r"volunteer 3: lng must be"):
        volunteer(3, lng=lng)
    with pytest.raises(ValueError, match=r"volunteer 3: radius_km must be"):
        volunteer(3, radius_km=km)


@given(GOOD_LAT, GOOD_LNG, GOOD_KM)
def test_every_finite_in_range_value_is_accepted(lat, lng, km):
    order(1, lat=lat, lng=lng, max_distance_km=km)
    volunteer(1, lat=lat, lng=lng, radius_km=km)
    VolunteerTable.from_columns(**_columns(1, lat=[lat], lng=[lng], radius_km=[km]))


def test_text_and_none_are_refused_too():
    with pytest.raises(ValueError, match="lat must be"):
        volunteer(1, lat=None)
    with pytest.raises(ValueError, match="radius_km must be"):
        volunteer(1, radius_km="far")


def test_team_with_bad_base_or_radius_is_refused():
    with pytest.raises(ValueError, match=r"team 4: lng must be"):
        TeamSnapshot(4, 37.5, 200.0, ())
    with pytest.raises(ValueError, match=r"team 4: radius_km must be"):
        TeamSnapshot(4, 37.5, 121.4, (), radius_km=math.nan)


@given(
    st.sampled_from(["lat", "lng", "radius_km"]),
    st.integers(0, 4),
    st.data(),
)
def test_table_columns_refuse_the_first_bad_row_by_volunteer_id(name, row, data):
    bad = {"lat": BAD_LAT, "lng": BAD_LNG, "radius_km": BAD_KM}[name]
    cols = _columns(5)
    col = cols[name].astype(float)
    col[row] = data.draw(bad)
    cols[name] = col
    with pytest.raises(ValueError, match=rf"volunteer {row + 1}: {name} must be"):
        VolunteerTable.from_columns(**cols)


def test_table_from_snapshots_goes_through_the_same_checks():
    ok = VolunteerTable.from_snapshots([volunteer(1), volunteer(2)])
    assert ok.n == 2


def test_columns_of_the_wrong_length_are_refused():
    with pytest.raises(ValueError, match=r"lat has shape"):
        VolunteerTable.from_columns(**_columns(3, lat=np.full(2, 37.5)))


@given(st.integers(1, 5), st.integers(0, 4))
def test_duplicate_order_ids_are_refused_by_every_batch_entry(n, dup):
    os = [order(10 + i, slots=2) for i in range(n)]
    os.append(order(10 + dup % n, slots=2))
    vs = [volunteer(i) for i in range(1, 4)]
    for call in (assign_batch, assign_greedy, build_candidate_graph):
        with pytest.raises(ValueError, match=rf"order {10 + dup % n}: the same order id"):
            call(os, vs, P, NOW)
    with pytest.raises(ValueError, match="same order id"):
        CandidateGraph.from_edges(os, [], P)


def test_nan_radius_can_no_longer_make_a_far_pair_eligible():
    # Before: NaN compared false everywhere, so check_eligibility said "eligible" at any distance.
    with pytest.raises(ValueError):
        volunteer(1, lat=10.0, radius_km=math.nan)
