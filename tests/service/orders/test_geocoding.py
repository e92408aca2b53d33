"""Online geocoders through geopy, without the network: the providers' clients are patched."""

import pytest
from geopy.exc import GeocoderTimedOut
from geopy.geocoders import BaiduV3, Nominatim
from geopy.location import Location

from matching.geo import bd09_to_wgs84, geodesic_km
from service.errors import InvalidInput, Unavailable
from service.orders.geocoding import resolve_place
from service.settings import Settings
from tests.factories import make_area_tree

# 烟台市芝罘区政府 as Baidu answers it (BD-09), roughly.
BAIDU_ANSWER = (37.5449, 121.4136)
ADDRESS = "烟台市芝罘区南大街 1 号"


def _answer(lat: float, lng: float):
    def geocode(self, query, *args, **kwargs):
        assert query == ADDRESS
        return Location(query, (lat, lng), {})

    return geocode


def _settings(database_url: str, **fields) -> Settings:
    return Settings(env="test", database_url=database_url, _env_file=None, **fields)


async def test_baidu_answers_in_bd09_and_is_stored_as_wgs84(session, database_url, monkeypatch):
    _, _, community = await make_area_tree(session)
    monkeypatch.setattr(BaiduV3, "geocode", _answer(*BAIDU_ANSWER))
    settings = _settings(database_url, geocoder="baidu", baidu_ak="test-key")

    place = await resolve_place(session, settings, community_id=community.id, venue_address=ADDRESS)

    assert (place.lat, place.lng) == pytest.approx(bd09_to_wgs84(*BAIDU_ANSWER), abs=1e-9)
    # BD-09 is several hundred metres off WGS-84 here; storing it raw would misplace the venue.
    assert geodesic_km(place.lat, place.lng, *BAIDU_ANSWER) > 0.3


async def test_nominatim_answers_in_wgs84_and_is_stored_as_is(session, database_url, monkeypatch):
    _, _, community = await make_area_tree(session)
    monkeypatch.setattr(Nominatim, "geocode", _answer(37.5384, 121.4012))
    settings = _settings(database_url, geocoder="nominatim")

    place = await resolve_place(session, settings, community_id=community.id, venue_address=ADDRESS)

    assert (place.lat, place.lng) == (37.5384, 121.4012)


async def test_an_address_the_geocoder_cannot_find_is_a_clear_refusal(
    session, database_url, monkeypatch
):
    _, _, community = await make_area_tree(session)
    monkeypatch.setattr(Nominatim, "geocode", lambda self, query, *a, **k: None)
    settings = _settings(database_url, geocoder="nominatim")

    with pytest.raises(InvalidInput) as refused:
        await resolve_place(session, settings, community_id=community.id, venue_address=ADDRESS)
    assert refused.value.code == "geocode_failed"
    assert ADDRESS in refused.value.detail


async def test_a_geocoder_that_times_out_is_unavailable_not_a_crash(
    session, database_url, monkeypatch
):
    _, _, community = await make_area_tree(session)

    def time_out(self, query, *args, **kwargs):
        raise GeocoderTimedOut("timed out")

    monkeypatch.setattr(BaiduV3, "geocode", time_out)
    settings = _settings(database_url, geocoder="baidu", baidu_ak="test-key")

    with pytest.raises(Unavailable) as refused:
        await resolve_place(session, settings, community_id=community.id, venue_address=ADDRESS)
    assert refused.value.code == "geocoder_unavailable"


async def test_offline_mode_never_guesses_a_point(session, database_url):
    _, _, community = await make_area_tree(session)
    settings = _settings(database_url)  # geocoder="offline" by default

    with pytest.raises(InvalidInput) as refused:
        await resolve_place(session, settings, community_id=community.id, venue_address=ADDRESS)
    assert "离线模式" in refused.value.detail
