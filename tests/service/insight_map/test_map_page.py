"""The activity map page on the demo district: its figures against expectations computed here
from the rows (plain Python, not the page's SQL), scope, refusals, bad input, and that no
volunteer's home ever reaches the page."""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from service.insight_map import service as map_service
from tests.conftest import TEST_NOW

ZONE = ZoneInfo("Asia/Shanghai")
GROUPS = ("open", "unfilled", "done")
HX = {"HX-Request": "true"}


def map_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert match, "the page carries no map data"
    return json.loads(match.group(1))


def expected_group(order: dict) -> str | None:
    """The status group of a demo row, by the rule as the issue states it."""
    status = order["status"]
    if status in ("completed", "evaluated"):
        return "done"
    if status == "expired":
        return "unfilled"
    if status == "published":
        starts = order["starts_at"]
        starts = starts if starts.tzinfo else starts.replace(tzinfo=UTC)
        if order["needs_attention_at"] is not None or starts <= TEST_NOW:
            return "unfilled"  # flagged, or its start passed while places were still open
        if order["accepted_count"] < order["slots"]:
            return "open"
    return None


def orders_in(rows, first: date, last: date, area_ids: set[int], group: str | None = None):
    start = datetime.combine(first, time(0), ZONE)
    end = datetime.combine(last + timedelta(days=1), time(0), ZONE)
    found = []
    for order in rows["orders"]:
        starts = order["starts_at"]
        starts = starts if starts.tzinfo else starts.replace(tzinfo=UTC)
        wanted = expected_group(order)
        in_area = order["community_id"] in area_ids
        if wanted and start <= starts < end and in_area and group in (None, wanted):
            found.append((order, wanted))
    return found


def subtree(rows, area: dict) -> set[int]:
    return {a["id"] for a in rows["areas"] if a["path"].startswith(area["path"])}


def community_table(page: str) -> dict[str, list[int]]:
    """Community name → its row of numbers (open, unfilled, done, volunteers) in the table."""
    table = {}
    for name, cells in re.findall(
        r'<tr id="community-\d+">\s*<th scope="row">([^<]*)</th>(.*?)</tr>',
        page,
        re.S,
    ):
        table[html.unescape(name)] = [int(n) for n in re.findall(r'class="num">(\d+)<', cells)]
    return table


PERIODS = [
    ("this month (default)", "", "", date(2026, 11, 1), date(2026, 11, 30)),
    ("90 days around now", "2026-10-01", "2026-12-29", date(2026, 10, 1), date(2026, 12, 29)),
    ("the year", "2026-01-01", "2026-12-31", date(2026, 1, 1), date(2026, 12, 31)),
]


@pytest.mark.parametrize(
    ("label", "first", "last", "day1", "day2"), PERIODS, ids=[p[0] for p in PERIODS]
)
async def test_the_district_map_counts_what_the_rows_say(demo_map, label, first, last, day1, day2):
    rows = demo_map.rows
    district = next(a for a in rows["areas"] if a["level"] == "district")
    expected = orders_in(rows, day1, day2, subtree(rows, district))
    assert expected, "the demo has no orders in this period: the test would prove nothing"
    async with await demo_map.client("coordinator") as http:
        response = await http.get("/desk/insight/map", params={"from": first, "to": last})
    assert response.status_code == 200, response.text
    page, data = response.text, map_data(response.text)

    by_group = Counter(group for _, group in expected)
    for group in GROUPS:
        assert f"map-count-{group}" in page
    assert {g: by_group[g] for g in GROUPS} == {
        g: sum(c[5 + i] for c in data["communities"]) for i, g in enumerate(GROUPS)
    }
    assert data["detailed"] is True
    drawn = {o[0]: data["groups"][o[1]] for o in data["orders"]}
    assert drawn == {order["id"]: group for order, group in expected}
    for o in data["orders"]:
        order = next(r for r in rows["orders"] if r["id"] == o[0])
        assert (o[2], o[3]) == (round(order["venue_lat"], 5), round(order["venue_lng"], 5))
        assert (o[7], o[8]) == (order["accepted_count"], order["slots"])
        assert o[9] == f"/desk/orders/{order['id']}"  # the coordinator may open every one

    # The table under the map holds the same numbers per community, and volunteers counted.
    names = {a["id"]: a["name"] for a in rows["areas"]}
    per_community = Counter((order["community_id"], group) for order, group in expected)
    active = Counter(v["home_area_id"] for v in rows["volunteers"] if v["status"] == "active")
    table = community_table(page)
    communities = [a for a in rows["areas"] if a["level"] == "community"]
    assert len(table) == len(communities)
    for area in communities:
        assert table[area["name"]] == [
            *(per_community[(area["id"], g)] for g in GROUPS),
            active[area["id"]],
        ], names[area["id"]]


async def test_one_status_group_alone(demo_map):
    rows = demo_map.rows
    district = next(a for a in rows["areas"] if a["level"] == "district")
    expected = orders_in(
        rows, date(2026, 1, 1), date(2026, 12, 31), subtree(rows, district), "unfilled"
    )
    assert expected
    async with await demo_map.client("coordinator") as http:
        response = await http.get(
            "/desk/insight/map",
            params={"from": "2026-01-01", "to": "2026-12-31", "group": "unfilled"},
        )
    data = map_data(response.text)
    assert {o[0] for o in data["orders"]} == {order["id"] for order, _ in expected}
    assert {data["groups"][o[1]] for o in data["orders"]} == {"unfilled"}


async def test_many_orders_are_counted_per_community_instead(demo_map, monkeypatch):
    rows = demo_map.rows
    district = next(a for a in rows["areas"] if a["level"] == "district")
    expected = orders_in(rows, date(2026, 1, 1), date(2026, 12, 31), subtree(rows, district))
    monkeypatch.setattr(map_service, "DETAIL_LIMIT", len(expected) - 1)
    async with await demo_map.client("coordinator") as http:
        response = await http.get(
            "/desk/insight/map", params={"from": "2026-01-01", "to": "2026-12-31"}
        )
    data = map_data(response.text)
    assert data["detailed"] is False and data["orders"] == []
    assert "地图按社区汇总" in response.text
    per_community = Counter((order["community_id"], group) for order, group in expected)
    for c in data["communities"]:
        assert c[5:] == [per_community[(c[0], g)] for g in GROUPS]
    assert 'id="order-' not in response.text  # no per-order list either


async def test_a_street_coordinator_sees_only_their_street(demo_map):
    rows, street = demo_map.rows, demo_map.street
    mine = subtree(rows, street)
    others = orders_in(
        rows, date(2026, 1, 1), date(2026, 12, 31), {a["id"] for a in rows["areas"]} - mine
    )
    own = orders_in(rows, date(2026, 1, 1), date(2026, 12, 31), mine)
    assert others and own, (
        "both this street and the others need orders for the test to mean anything"
    )
    async with await demo_map.client("street") as http:
        response = await http.get(
            "/desk/insight/map", params={"from": "2026-01-01", "to": "2026-12-31"}
        )
    assert response.status_code == 200
    data = map_data(response.text)
    assert {o[0] for o in data["orders"]} == {order["id"] for order, _ in own}
    assert {c[0] for c in data["communities"]} == {
        a["id"] for a in rows["areas"] if a["id"] in mine and a["level"] == "community"
    }
    assert [shape[1] for shape in data["outlines"]] == [street["name"]]
    foreign_names = {
        a["name"] for a in rows["areas"] if a["id"] not in mine and a["level"] != "district"
    }
    page = html.unescape(response.text)
    assert not [name for name in foreign_names if f">{name}<" in page]
    for order, _ in others:
        assert f'id="order-{order["id"]}"' not in page


async def test_the_admin_sees_the_whole_district(demo_map):
    async with await demo_map.client("admin") as http:
        admin = map_data((await http.get("/desk/insight/map")).text)
    async with await demo_map.client("coordinator") as http:
        coordinator = map_data((await http.get("/desk/insight/map")).text)
    assert admin == coordinator
    assert len(admin["communities"]) == sum(
        1 for a in demo_map.rows["areas"] if a["level"] == "community"
    )


@pytest.mark.parametrize("who", ["worker", "volunteer", "team_leader"])
async def test_others_are_refused_with_a_clear_page(demo_map, who):
    async with await demo_map.client(who) as http:
        response = await http.get("/desk/insight/map")
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]
    assert "map-data" not in response.text
    assert "没有权限" in response.text or "无权" in response.text, response.text[:2000]


async def test_anonymous_visitors_are_sent_to_log_in(demo_map):
    from tests.service.auth.helpers import client_for

    async with client_for(demo_map.app) as http:
        response = await http.get("/desk/insight/map")
    assert response.status_code in (303, 307, 401)
    assert "map-data" not in response.text


async def test_no_volunteer_home_leaves_the_server(demo_map):
    async with await demo_map.client("admin") as http:
        page = (
            await http.get("/desk/insight/map", params={"from": "2026-01-01", "to": "2026-12-31"})
        ).text
    data = map_data(page)
    drawn = set()

    def collect(value):
        if isinstance(value, list):
            if len(value) >= 2 and all(isinstance(v, float) for v in value[:2]):
                drawn.add((value[0], value[1]))
            for item in value:
                collect(item)

    collect(data["outlines"])
    drawn |= {(c[2], c[3]) for c in data["communities"]} | {(o[2], o[3]) for o in data["orders"]}
    places = {(round(a["lat"], 5), round(a["lng"], 5)) for a in demo_map.rows["areas"]}
    places |= {
        (round(o["venue_lat"], 5), round(o["venue_lng"], 5)) for o in demo_map.rows["orders"]
    }
    homes = {
        (round(v["home_lat"], 5), round(v["home_lng"], 5)) for v in demo_map.rows["volunteers"]
    }
    assert len(homes) > 100
    # A home that happens to be a community's centroid or a venue is that place, not a home.
    assert not (drawn & (homes - places))
    # Nor as a pair of numbers anywhere in the page (to 4 decimals, ~10 m).
    pairs = re.findall(r"(-?\d+\.\d{4,})\s*,\s*(-?\d+\.\d{4,})", page)
    assert len(pairs) > 50  # the check reads the page's points at all

    def near(points):
        return {(round(lat, 4), round(lng, 4)) for lat, lng in points}

    shown = near((float(lat), float(lng)) for lat, lng in pairs)
    assert not (shown & (near(homes) - near(places)))
    assert "home_lat" not in page and "home_lng" not in page


BAD = [
    ({"from": "2026-13-01"}, "from", "日期要写成 年-月-日"),
    ({"from": "yesterday"}, "from", "日期要写成 年-月-日"),
    ({"to": "1999-12-31", "from": "1999-01-01"}, "from", "2000 年到 2099 年"),
    ({"from": "2026-11-20", "to": "2026-11-01"}, "to", "结束日期不能早于开始日期"),
    ({"from": "2024-01-01", "to": "2026-01-01"}, "to", "最长一年"),
    ({"group": "everything"}, "group", "没有这个状态分组"),
]


@pytest.mark.parametrize(("params", "field", "said"), BAD, ids=[str(p[0]) for p in BAD])
async def test_bad_filters_earn_a_sentence_next_to_the_field(demo_map, params, field, said):
    async with await demo_map.client("coordinator") as http:
        response = await http.get("/desk/insight/map", params=params)
    assert response.status_code == 422
    page = response.text
    assert said in page
    assert f'id="map-{field}-error"' in page and f'aria-describedby="map-{field}-error"' in page
    assert "map-data" not in page
    assert "请先改正上面标出的条件" in page


@pytest.mark.parametrize(
    ("params", "said"), [({"from": "2" * 500}, "输入有误"), ({"from": "2026-11-01\x00"}, "空字符")]
)
async def test_odd_input_is_refused_with_a_page_not_a_500(demo_map, params, said):
    async with await demo_map.client("coordinator") as http:
        response = await http.get("/desk/insight/map", params=params)
    assert response.status_code == 422
    assert "text/html" in response.headers["content-type"] and said in response.text


async def test_english_and_htmx(demo_map):
    async with await demo_map.client("coordinator", **HX, **{"Accept-Language": "en"}) as http:
        response = await http.get("/desk/insight/map", params={"group": "xx"})
        assert response.status_code == 422
        assert "There is no such status group" in response.text
        assert "<html" not in response.text  # the fragment layout
        ok = await http.get("/desk/insight/map")
    assert ok.status_code == 200 and "Activity map" in ok.text and "map-data" in ok.text


async def test_no_tiles_by_default_so_nothing_loads_from_the_internet(demo_map):
    async with await demo_map.client("coordinator") as http:
        page = (await http.get("/desk/insight/map")).text
    assert "tiles" not in map_data(page)
    assert not re.findall(r"(?:src|href)=\"https?://", page)
    assert "openstreetmap" not in page and "autonavi" not in page and "tianditu.gov" not in page
    assert "离线地图" in page and "is-offline" in page


async def test_every_point_lies_inside_its_streets_outline(demo_map):
    from tests.service.insight_map.test_pure_parts import inside

    rows = demo_map.rows
    areas = {a["id"]: a for a in rows["areas"]}
    async with await demo_map.client("coordinator") as http:
        page = (
            await http.get("/desk/insight/map", params={"from": "2026-10-01", "to": "2026-12-29"})
        ).text
    data = map_data(page)
    rings = {name: ring for level, name, ring in data["outlines"] if level == "street"}
    district = [ring for level, _, ring in data["outlines"] if level == "district"]
    assert len(rings) == sum(1 for a in rows["areas"] if a["level"] == "street")
    assert len(district) == 1
    orders = {o["id"]: o for o in rows["orders"]}
    points = [(areas[c[0]]["parent_id"], (c[2], c[3])) for c in data["communities"]]
    points += [
        (areas[orders[o[0]]["community_id"]]["parent_id"], (o[2], o[3])) for o in data["orders"]
    ]
    assert len(points) > 100
    for street_id, point in points:
        assert inside(point, rings[areas[street_id]["name"]]), (areas[street_id]["name"], point)
        assert inside(point, district[0])
