from datetime import UTC, datetime

from service.localtime import local_text, to_local

NOON_UTC = datetime(2026, 5, 20, 12, 30, tzinfo=UTC)


def test_short_format_is_the_one_notifications_use():
    assert local_text(NOON_UTC, "Asia/Shanghai") == "05月20日 20:30"


def test_the_zone_decides_the_wall_clock_and_even_the_date():
    assert local_text(NOON_UTC, "UTC") == "05月20日 12:30"
    assert local_text(NOON_UTC, "Asia/Urumqi") == "05月20日 18:30"
    assert local_text(datetime(2026, 5, 20, 17, 0, tzinfo=UTC), "Asia/Shanghai") == "05月21日 01:00"


def test_naive_values_are_read_as_utc_like_the_database_stores_them():
    assert to_local(NOON_UTC.replace(tzinfo=None), "Asia/Shanghai") == to_local(
        NOON_UTC, "Asia/Shanghai"
    )
    assert local_text(NOON_UTC, "UTC", "%Y-%m-%d %H:%M") == "2026-05-20 12:30"
