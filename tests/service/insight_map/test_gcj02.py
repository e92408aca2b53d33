"""WGS-84 → GCJ-02 against published reference pairs (eviltransform's test points, computed by
the same polynomial independently of this code), and no shift outside China."""

from __future__ import annotations

import math

import pytest

from service.insight_map.gcj02 import out_of_china, wgs84_to_gcj02

REFERENCE = [
    # WGS-84 lat, lng → GCJ-02 lat, lng
    ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),  # Shanghai
    ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),  # Shenzhen
    ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),  # Beijing
]


@pytest.mark.parametrize(("wgs", "gcj"), REFERENCE, ids=["shanghai", "shenzhen", "beijing"])
def test_known_pairs(wgs, gcj):
    lat, lng = wgs84_to_gcj02(*wgs)
    assert lat == pytest.approx(gcj[0], abs=1e-6)
    assert lng == pytest.approx(gcj[1], abs=1e-6)


def test_the_shift_in_zhifu_is_a_few_hundred_metres():
    lat, lng = wgs84_to_gcj02(37.5400, 121.4000)
    metres = math.hypot(
        (lat - 37.54) * 111_320, (lng - 121.4) * 111_320 * math.cos(math.radians(37.54))
    )
    assert 300 < metres < 800  # GCJ-02 moves points in China by roughly 100–700 m


@pytest.mark.parametrize(
    "point", [(35.6812, 139.7671), (48.8566, 2.3522), (-33.8688, 151.2093), (1.3521, 103.8198 - 40)]
)
def test_outside_china_nothing_moves(point):
    assert out_of_china(*point)
    assert wgs84_to_gcj02(*point) == point


def test_inside_china_is_inside():
    assert not out_of_china(37.54, 121.4)
