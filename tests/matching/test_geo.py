"""Coordinates and distances: reference pairs, identity outside China, geopy agreement."""

import math

import numpy as np
import pytest
from geopy.distance import geodesic
from hypothesis import given, settings
from hypothesis import strategies as st

from matching import geo, geo_arrays

# Published pairs. eviltransform (googollee) test suite: (wgs lat, lng, gcj lat, lng).
EVILTRANSFORM_WGS_GCJ = [
    (31.1774276, 121.5272106, 31.17530398364597, 121.531541859215),  # Shanghai
    (22.543847, 113.912316, 22.540796131694766, 113.9171764808363),  # Shenzhen
    (39.911954, 116.377817, 39.91334545536069, 116.38404722455657),  # Beijing
]
# coordtransform (wandergis) README, input (lng 116.404, lat 39.915); results as (lat, lng).
COORDTRANSFORM_IN = (39.915, 116.404)
COORDTRANSFORM_BD09_TO_GCJ02 = (39.90865673957631, 116.39762729119315)
COORDTRANSFORM_GCJ02_TO_BD09 = (39.92133699351021, 116.41036949371029)
COORDTRANSFORM_WGS84_TO_GCJ02 = (39.91640428150164, 116.41024449916938)
# Its gcj02towgs84 is the one-step approximation (metres off); ours inverts exactly.
COORDTRANSFORM_GCJ02_TO_WGS84_APPROX = (39.91359571849836, 116.39775550083061)
# eviltransform's BD-09 -> WGS-84 pair (bd lat, lng, wgs lat, lng), from a Baidu sample.
EVILTRANSFORM_BD_WGS = [(29.199786, 120.019809, 29.196131605295484, 120.00877901149691)]


def metres(a, b):
    return geo.geodesic_km(a[0], a[1], b[0], b[1]) * 1000


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_WGS_GCJ)
def test_wgs84_to_gcj02_matches_eviltransform_pairs(wlat, wlng, glat, glng):
    lat, lng = geo.wgs84_to_gcj02(wlat, wlng)
    assert lat == pytest.approx(glat, abs=1e-9)
    assert lng == pytest.approx(glng, abs=1e-9)


@pytest.mark.parametrize(("wlat", "wlng", "glat", "glng"), EVILTRANSFORM_WGS_GCJ)
def test_gcj02_to_wgs84_recovers_the_gps_point_within_a_centimetre(wlat, wlng, glat, glng):
    assert metres(geo.gcj02_to_wgs84(glat, glng), (wlat, wlng)) < 0.01


def test_coordtransform_readme_pairs():
    assert geo.bd09_to_gcj02(*COORDTRANSFORM_IN) == pytest.approx(
        COORDTRANSFORM_BD09_TO_GCJ02, abs=1e-9
    )
    assert geo.gcj02_to_bd09(*COORDTRANSFORM_IN) == pytest.approx(
        COORDTRANSFORM_GCJ02_TO_BD09, abs=1e-9
    )
    assert geo.wgs84_to_gcj02(*COORDTRANSFORM_IN) == pytest.approx(
        COORDTRANSFORM_WGS84_TO_GCJ02, abs=1e-9
    )
    exact = geo.gcj02_to_wgs84(*COORDTRANSFORM_IN)
    assert metres(exact, COORDTRANSFORM_GCJ02_TO_WGS84_APPROX) < 5
    assert metres(geo.wgs84_to_gcj02(*exact), COORDTRANSFORM_IN) < 0.01


@pytest.mark.parametrize(("blat", "blng", "wlat", "wlng"), EVILTRANSFORM_BD_WGS)
def test_bd09_to_wgs84_is_within_the_formula_accuracy_of_the_published_pair(blat, blng, wlat, wlng):
    # The BD-09 formula itself approximates Baidu's service to about 10 m.
    assert metres(geo.bd09_to_wgs84(blat, blng), (wlat, wlng)) < 15


def test_bd09_round_trip_is_within_the_published_inverse_accuracy():
    # The published BD-09 -> GCJ-02 formula inverts the forward one to about 10 cm.
    wgs = (37.5396, 121.3911)  # 烟台 芝罘区
    assert metres(geo.bd09_to_wgs84(*geo.wgs84_to_bd09(*wgs)), wgs) < 0.2


@pytest.mark.parametrize(
    "point", [(48.8566, 2.3522), (35.6762, 139.6503), (-33.87, 151.21), (55.75, 37.62)]
)
def test_every_conversion_is_identity_outside_china(point):
    assert geo.out_of_china(*point)
    for fn in (
        geo.wgs84_to_gcj02,
        geo.gcj02_to_wgs84,
        geo.gcj02_to_bd09,
        geo.bd09_to_gcj02,
        geo.bd09_to_wgs84,
        geo.wgs84_to_bd09,
    ):
        assert fn(*point) == point


def test_conversion_shifts_points_inside_china_by_hundreds_of_metres():
    yantai = (37.5, 121.4)
    assert not geo.out_of_china(*yantai)
    assert 100 < metres(geo.wgs84_to_gcj02(*yantai), yantai) < 1000


def test_to_wgs84_dispatches_by_system_name():
    p = geo.wgs84_to_gcj02(37.5, 121.4)
    assert geo.to_wgs84(*p, "GCJ02") == geo.gcj02_to_wgs84(*p)
    with pytest.raises(ValueError):
        geo.to_wgs84(*p, "mercator")


def test_wgs84_constants_are_geopys():
    from geopy.distance import ELLIPSOIDS

    a_km, _, f = ELLIPSOIDS["WGS-84"]
    assert (a_km, f) == (geo.WGS84_A_KM, geo.WGS84_F)


@given(st.floats(18, 53), st.floats(74, 134), st.floats(-2, 2), st.floats(-2, 2))
@settings(max_examples=200, deadline=None)
def test_geodesic_km_equals_geopy_exactly(lat, lng, dlat, dlng):
    lat2, lng2 = min(max(lat + dlat, -90), 90), lng + dlng
    assert geo.geodesic_km(lat, lng, lat2, lng2) == geodesic((lat, lng), (lat2, lng2)).km


@given(st.floats(-80, 80), st.floats(-180, 180), st.floats(0, 360), st.floats(0.001, 3000))
@settings(max_examples=300, deadline=None)
def test_spherical_distance_is_within_the_borderline_band_of_the_geodesic(lat, lng, azimuth, km):
    # The band in MatchParams (0.65 % + 2 m) must cover the sphere-vs-ellipsoid error.
    from geographiclib.geodesic import Geodesic

    dest = Geodesic.WGS84.Direct(lat, lng, azimuth, km * 1000)
    spherical = float(geo_arrays.haversine_km(lat, lng, dest["lat2"], dest["lon2"]))
    assert abs(spherical - km) <= 0.006 * km + 1e-6


def test_haversine_is_vectorized_and_agrees_with_the_unit_vector_chord():
    lat = np.array([37.5, 37.6, 38.0])
    lng = np.array([121.4, 121.5, 120.0])
    d = geo_arrays.haversine_km(37.5, 121.4, lat, lng)
    u = geo_arrays.unit_vectors(lat, lng)
    u0 = geo_arrays.unit_vectors(37.5, 121.4)
    chord = np.linalg.norm(u - u0, axis=1)
    assert d.shape == (3,)
    assert d[0] == 0
    arc_km = 2 * geo.EARTH_RADIUS_KM * np.arcsin(chord / 2)
    np.testing.assert_allclose(arc_km, d, rtol=1e-9, atol=1e-9)


def test_one_degree_of_latitude_is_about_111_km():
    assert math.isclose(geo.geodesic_km(37, 121, 38, 121), 111.0, rel_tol=0.01)
