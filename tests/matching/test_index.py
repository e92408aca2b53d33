"""VolunteerIndex: same answers as the one-pair rules, updatable, geopy-exact at the boundary."""

from dataclasses import replace

import numpy as np
import pytest
from geographiclib.geodesic import Geodesic
from geopy.distance import geodesic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import scoring
from matching.eligibility import check_eligibility
from matching.geo_arrays import haversine_km
from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.ranking import count_candidates_with_relaxation, rank_candidates
from tests.matching.factories import CENTER, NOW, order, volunteer
from tests.matching.strategies import orders, volunteers

P = MatchParams()


def reference_score(v, o, params=P):
    """Score of one pair straight from the formulas (spherical distance drives proximity)."""
    matched = len(v.skills & o.required_skills)
    return float(
        scoring.total_score(
            scoring.skill_value(matched, len(o.required_skills)),
            scoring.proximity_value(haversine_km(v.lat, v.lng, o.lat, o.lng), params),
            scoring.fairness_value(v.recent_hours, params),
            scoring.reliability_value(
                v.completed,
                v.no_shows,
                np.nan if v.rating_avg is None else v.rating_avg,
                v.rating_count,
                params,
            ),
            scoring.locality_value(
                o.community_id is not None and v.community_id == o.community_id,
                o.street_id is not None and v.street_id == o.street_id,
                params,
            ),
            params,
        )
    )


@given(volunteers(max_size=12), orders(max_size=1), st.integers(1, 12), st.integers(1, 4))
@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_top_k_equals_filtering_with_the_one_pair_rules(vs, os, k, tiers):
    o = os[0]
    index = VolunteerIndex.build(vs, P, tiers=tiers)
    got = index.top_k(o, k, now=NOW)
    eligible = [v for v in vs if not check_eligibility(v, o, P, NOW)]
    expected = sorted(eligible, key=lambda v: (-reference_score(v, o), v.id))[:k]
    assert [c.volunteer_id for c in got] == [v.id for v in expected]
    for c, v in zip(got, expected, strict=True):
        assert c.score == pytest.approx(reference_score(v, o), abs=1e-6)
        assert c.distance_km == geodesic((v.lat, v.lng), (o.lat, o.lng)).km


@given(volunteers(max_size=10), orders(max_size=1), st.data())
@settings(max_examples=60, deadline=None)
def test_updates_give_the_same_answers_as_a_fresh_build(vs, os, data):
    o = os[0]
    index = VolunteerIndex.build(vs[: len(vs) // 2], P)
    live = {v.id: v for v in vs[: len(vs) // 2]}
    for v in vs[len(vs) // 2 :]:
        index.add(v)
        live[v.id] = v
    for vid in data.draw(st.lists(st.sampled_from(sorted(live)), unique=True, max_size=3)):
        if data.draw(st.booleans()):
            index.remove(vid)
            del live[vid]
        else:
            moved = replace(live[vid], lat=CENTER[0], lng=CENTER[1], recent_hours=0.0)
            index.update(moved)
            live[vid] = moved
    fresh = VolunteerIndex.build(list(live.values()), P)
    assert index.top_k(o, 20, now=NOW) == fresh.top_k(o, 20, now=NOW)
    assert len(index) == len(live)


def test_add_update_remove_do_not_rebuild_until_the_delta_is_full():
    index = VolunteerIndex.build([volunteer(i) for i in range(1, 50)], P, max_delta=3)
    layout = index._entry_key
    index.add(volunteer(100))
    index.update(volunteer(5, recent_hours=99))
    index.remove(7)
    assert index._entry_key is layout  # untouched: changes live in the delta and tombstones
    assert index.delta_size == 2
    assert 7 not in index and 100 in index
    ids = [c.volunteer_id for c in index.top_k(order(), 100, now=NOW)]
    assert 7 not in ids and 100 in ids and ids[-1] == 5  # 5 now has the most recent hours
    for i in range(101, 103):  # the delta passes max_delta=3: compaction
        index.add(volunteer(i))
    assert index._entry_key is not layout and index.delta_size == 0  # compacted
    assert ids == [
        c.volunteer_id for c in index.top_k(order(), 100, now=NOW) if c.volunteer_id < 101
    ]


def test_add_existing_and_remove_missing_are_refused():
    index = VolunteerIndex.build([volunteer(1)], P)
    with pytest.raises(KeyError):
        index.add(volunteer(1))
    with pytest.raises(KeyError):
        index.remove(2)
    with pytest.raises(KeyError):
        index.update(volunteer(3))


def test_duplicate_ids_are_refused_at_build():
    with pytest.raises(ValueError):
        VolunteerIndex.build([volunteer(1), volunteer(1)], P)


@pytest.mark.parametrize("azimuth", [0.0, 45.0, 90.0, 180.0, 270.0, 333.0])
@pytest.mark.parametrize("limit_km", [0.5, 3.0, 10.0, 50.0])
def test_radius_boundary_decision_equals_geopy(azimuth, limit_km):
    # Volunteers 1 mm inside and 1 mm outside the limit, measured by the geodesic.
    inside = Geodesic.WGS84.Direct(*CENTER, azimuth, limit_km * 1000 - 0.001)
    outside = Geodesic.WGS84.Direct(*CENTER, azimuth, limit_km * 1000 + 0.001)
    vs = [
        volunteer(1, lat=inside["lat2"], lng=inside["lon2"], radius_km=limit_km),
        volunteer(2, lat=outside["lat2"], lng=outside["lon2"], radius_km=limit_km),
    ]
    o = order(max_distance_km=100)
    assert [c.volunteer_id for c in VolunteerIndex.build(vs, P).top_k(o, now=NOW)] == [1]
    assert [v.id for v in vs if not check_eligibility(v, o, P, NOW)] == [1]


def test_tiers_change_speed_not_answers():
    rng = np.random.default_rng(3)
    vs = [
        volunteer(
            i,
            lat=CENTER[0] + rng.normal(0, 0.03),
            lng=CENTER[1] + rng.normal(0, 0.03),
            recent_hours=float(rng.integers(0, 40)),
            completed=int(rng.integers(0, 20)),
            no_shows=int(rng.integers(0, 3)),
            skills={int(rng.integers(1, 4))},
        )
        for i in range(1, 2000)
    ]
    one = VolunteerIndex.build(vs, P, tiers=1)
    many = VolunteerIndex.build(vs, P, tiers=8)
    for skills in ({1}, {1, 2}, {3}):
        o = order(skills=skills)
        assert one.top_k(o, 20, now=NOW) == many.top_k(o, 20, now=NOW)
        weights = MatchParams(weights=replace(P.weights, fairness=0.6))
        assert one.top_k(o, 20, weights, NOW) == many.top_k(o, 20, weights, NOW)


def test_custom_distance_function_decides_and_is_reported():
    vs = [volunteer(1), volunteer(2)]
    got = VolunteerIndex.build(vs, P).top_k(order(), now=NOW, distance=lambda *_: 4.0)
    assert [(c.volunteer_id, c.distance_km) for c in got] == [(1, 4.0), (2, 4.0)]
    too_far = VolunteerIndex.build(vs, P).top_k(order(), now=NOW, distance=lambda *_: 11.0)
    assert too_far == []


def test_k_zero_and_unknown_skill_give_nothing():
    index = VolunteerIndex.build([volunteer(1)], P)
    assert index.top_k(order(), 0, now=NOW) == []
    assert index.top_k(order(skills={42}), 5, now=NOW) == []


def test_rank_candidates_is_the_index_answer():
    vs = [volunteer(i, recent_hours=i) for i in range(1, 30)]
    assert rank_candidates(order(), vs, 5, now=NOW) == VolunteerIndex.build(vs, P).top_k(
        order(), 5, now=NOW
    )


def test_relaxation_counts_candidates_within_radius_plus_5_km():
    from tests.matching.factories import offset_km

    vs = [
        volunteer(i, lat=offset_km(*CENTER, north_km=km)[0], radius_km=10)
        for i, km in enumerate([1, 4, 9.9, 10.5, 12, 14.9, 15.2, 30], start=1)
    ]
    s = count_candidates_with_relaxation(order(max_distance_km=10), vs, now=NOW, extra_km=5)
    assert (s.eligible_now, s.eligible_relaxed, s.gained) == (3, 6, 3)
    assert s.newly_eligible_ids == (4, 5, 6)


def test_nationwide_index_handles_far_apart_cities():
    cities = [(39.9, 116.4), (31.2, 121.5), (22.5, 114.1), (43.8, 87.6), (18.25, 109.5)]
    vs = [volunteer(i, lat=lat + 0.01, lng=lng) for i, (lat, lng) in enumerate(cities, start=1)]
    index = VolunteerIndex.build(vs, P)
    for i, (lat, lng) in enumerate(cities, start=1):
        assert [c.volunteer_id for c in index.top_k(order(lat=lat, lng=lng), now=NOW)] == [i]
