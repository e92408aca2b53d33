"""Nearest first: the pure sorting behind 附近的科普活动, and reading a place sent by a phone."""

from datetime import UTC, datetime, timedelta

from service.residents.views import Origin, nearest_first, parse_point, preferred_window

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def row(order_id, lat, lng, days=1):
    return {
        "id": order_id,
        "venue_lat": lat,
        "venue_lng": lng,
        "starts_at": NOW + timedelta(days=days),
    }


def test_activities_come_nearest_first_then_soonest():
    rows = [row(1, 37.60, 121.40), row(2, 37.541, 121.40), row(3, 37.541, 121.40, days=0)]
    ordered = nearest_first(rows, Origin(37.54, 121.40))
    assert [n.activity["id"] for n in ordered] == [3, 2, 1]
    assert round(ordered[0].distance_km, 2) == 0.11 and 6.6 < ordered[-1].distance_km < 6.7


def test_without_an_origin_the_order_is_kept_and_no_distance_is_shown():
    rows = [row(1, 37.60, 121.40), row(2, 37.541, 121.40)]
    assert [(n.activity["id"], n.distance_km) for n in nearest_first(rows, None)] == [
        (1, None),
        (2, None),
    ]


def test_a_place_from_the_phone_is_read_only_when_it_is_one():
    assert parse_point("37.54", "121.4") == (37.54, 121.4)
    for lat, lng in (
        ("", ""),
        ("abc", "1"),
        ("91", "0"),
        ("0", "181"),
        ("nan", "nan"),
        (None, "1"),
    ):
        assert parse_point(lat, lng) is None


def test_the_wished_time_is_a_local_part_of_the_day():
    from datetime import date

    starts, ends = preferred_window(date(2026, 12, 5), "evening", "Asia/Shanghai")
    assert (starts.hour, ends.hour) == (11, 13) and starts.tzinfo is not None
    assert preferred_window(None, "evening", "Asia/Shanghai") == (None, None)
    starts, _ = preferred_window(date(2026, 12, 5), "bogus", "Asia/Shanghai")
    assert starts.hour == 1  # morning, 09:00 in Shanghai
