"""The map's pure parts: outlines around community points, the filters people type, the tile
sources from settings, and the JSON's datum (shifted only for AMap)."""

from __future__ import annotations

from datetime import date

import pytest

from matching.geo import wgs84_to_gcj02
from service.insight_map.filters import MAX_DAYS, MapFilter, MapInputError, parse_filter, presets
from service.insight_map.outlines import convex_hull, outline
from service.insight_map.service import CommunityRow, MapView, OrderPoint, payload
from service.insight_map.tiles import tile_source
from tests.factories import make_settings

TODAY = date(2026, 11, 23)


def inside(point, ring) -> bool:
    """Point in a counter-clockwise convex polygon (on the edge counts)."""
    n = len(ring)
    for i in range(n):
        (a0, a1), (b0, b1) = ring[i], ring[(i + 1) % n]
        if (b0 - a0) * (point[1] - a1) - (b1 - a1) * (point[0] - a0) < -1e-12:
            return False
    return True


def test_the_hull_drops_inner_points_and_keeps_corners():
    square = [(0, 0), (0, 2), (2, 2), (2, 0)]
    assert sorted(convex_hull([*square, (1, 1), (0.5, 1.5)])) == sorted(square)


def test_outlines_hold_their_points_even_for_one_or_two():
    for points in (
        [(37.5, 121.4)],
        [(37.5, 121.4), (37.52, 121.43)],
        [(37.5, 121.4), (37.52, 121.43), (37.49, 121.45)],
    ):
        ring = outline(points)
        assert len(ring) >= 4
        assert all(inside(p, ring) for p in points)


def test_an_empty_filter_is_this_month_and_every_group():
    assert parse_filter(first="", last="", group="", today=TODAY) == MapFilter(
        date(2026, 11, 1), date(2026, 11, 30), None
    )


def test_a_full_year_is_allowed_one_day_more_is_not():
    parse_filter(first="2024-01-01", last="2024-12-31", group="done", today=TODAY)  # 366 days
    with pytest.raises(MapInputError) as refused:
        parse_filter(first="2025-01-01", last="2026-01-02", group="", today=TODAY)
    assert refused.value.field == "to" and str(MAX_DAYS) in refused.value.message


def test_presets_are_valid_filters():
    for _, first, last in presets(TODAY):
        parse_filter(first=first.isoformat(), last=last.isoformat(), group="", today=TODAY)
    assert presets(date(2026, 1, 15))[1][1:] == (date(2025, 12, 1), date(2025, 12, 31))


def test_tiles_are_none_unless_configured():
    assert tile_source(make_settings("sqlite+aiosqlite://")).offline
    osm = tile_source(make_settings("sqlite+aiosqlite://", map_tiles="osm"))
    assert not osm.offline and not osm.gcj02 and "openstreetmap" in osm.layers[0].url
    keyless = tile_source(make_settings("sqlite+aiosqlite://", map_tiles="tianditu"))
    assert keyless.offline and keyless.missing_key
    tianditu = tile_source(
        make_settings("sqlite+aiosqlite://", map_tiles="tianditu", map_tiles_key="k123")
    )
    assert not tianditu.gcj02 and all("tk=k123" in layer.url for layer in tianditu.layers)
    amap = tile_source(make_settings("sqlite+aiosqlite://", map_tiles="amap"))
    assert amap.gcj02 and "autonavi" in amap.layers[0].url


def _view(tiles) -> MapView:
    community = CommunityRow(id=7, name="朝阳街社区", street="向阳街道", lat=37.5343, lng=121.3998)
    community.orders["open"] = 1
    community.volunteers = 4
    order = OrderPoint(
        id=3, title="反诈讲座", when="2026-11-25 10:00", community_id=7, community="朝阳街社区", group="open",
        lat=37.5351, lng=121.4012, accepted=0, slots=2, url_allowed=False,
    )  # fmt: skip
    return MapView(
        filters=MapFilter(TODAY, TODAY, None), tiles=tiles, detailed=True,
        communities=[community], orders=[order],
        outlines=[("street", "向阳街道", [(37.5, 121.3), (37.6, 121.3), (37.6, 121.4)])],
        totals={"open": 1, "unfilled": 0, "done": 0}, volunteers=4,
    )  # fmt: skip


def test_amap_points_are_shifted_to_gcj02_and_others_are_not():
    wgs = payload(_view(tile_source(make_settings("sqlite+aiosqlite://"))), str)
    amap = payload(_view(tile_source(make_settings("sqlite+aiosqlite://", map_tiles="amap"))), str)
    assert wgs["communities"][0][2:4] == [37.5343, 121.3998]
    assert wgs["orders"][0][2:4] == [37.5351, 121.4012]
    shifted = [round(v, 5) for v in wgs84_to_gcj02(37.5343, 121.3998)]
    assert amap["communities"][0][2:4] == shifted
    assert amap["orders"][0][2:4] == [round(v, 5) for v in wgs84_to_gcj02(37.5351, 121.4012)]
    assert amap["outlines"][0][2][0] == [round(v, 5) for v in wgs84_to_gcj02(37.5, 121.3)]
    assert "tiles" not in wgs and amap["tiles"][0]["url"].startswith("https://webrd0")


def test_an_order_the_viewer_may_not_open_has_no_link():
    data = payload(_view(tile_source(make_settings("sqlite+aiosqlite://"))), lambda i: f"/x/{i}")
    assert data["orders"][0][9] is None
