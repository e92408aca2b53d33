"""Where an activity takes place: a saved venue, given coordinates, or a geocoded address.

Coordinates are stored as WGS-84. Input may be tagged GCJ-02 (AMap/Tencent) or BD-09 (Baidu)
and is converted with the matching package's functions. The offline default geocoder only knows
the community's saved venues and area centroids; a failed lookup is a clear refusal, never a
silently wrong point.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from matching.geo import to_wgs84
from service.errors import InvalidInput, Unavailable
from service.messages import text
from service.orders import repository as repo
from service.settings import Settings

GEOCODE_TIMEOUT_SECONDS = 5
COORD_SYSTEMS = ("wgs84", "gcj02", "bd09")
# China's bounding box with a small margin (any of the three systems): a point outside it is a
# typo — most often (0, 0) from a form whose map was never touched — not a place we serve.
CHINA_LAT = (3.5, 54.0)
CHINA_LNG = (73.0, 136.0)


@dataclass(frozen=True)
class Place:
    """A resolved venue in WGS-84."""

    name: str
    address: str
    lat: float
    lng: float
    venue_id: int | None = None


def convert(lat: float, lng: float, coord_system: str) -> tuple[float, float]:
    """WGS-84 from a tagged coordinate pair."""
    if coord_system not in COORD_SYSTEMS:
        raise InvalidInput(text("refusal.order.unknown_coord_system", coord_system=coord_system))
    return to_wgs84(lat, lng, coord_system)


async def resolve_place(
    session: AsyncSession,
    settings: Settings,
    *,
    community_id: int,
    venue_id: int | None = None,
    venue_name: str = "",
    venue_address: str = "",
    lat: float | None = None,
    lng: float | None = None,
    coord_system: str = "wgs84",
) -> Place:
    """The venue of an order from whichever of the inputs was given (in that order)."""
    address = venue_address
    if venue_id is not None:
        venue = await repo.get_venue(session=session, venue_id=venue_id)
        if venue is None or venue.community_id != community_id:
            raise InvalidInput(text("refusal.order.venue_not_found"), code="venue_not_found")
        return Place(venue.name, venue.address, venue.lat, venue.lng, venue.id)
    if lat is not None and lng is not None:
        _refuse_outside_china(lat, lng)
        wlat, wlng = convert(lat, lng, coord_system)
        return Place(venue_name or address, address, wlat, wlng)
    if not (venue_name or address):
        raise InvalidInput(text("refusal.order.venue_missing"), code="venue_missing")
    query = address or venue_name
    saved = await _offline_lookup(session, community_id=community_id, query=query)
    if saved is not None:
        return Place(
            venue_name or saved.name, address or saved.address, saved.lat, saved.lng, saved.venue_id
        )
    if settings.geocoder == "offline":
        raise InvalidInput(
            text("refusal.order.geocode_offline_failed", query=query),
            code="geocode_failed",
        )
    found = await _online_lookup(settings, query)
    return Place(venue_name or query, address or query, found[0], found[1])


def _refuse_outside_china(lat: float, lng: float) -> None:
    if not (CHINA_LAT[0] <= lat <= CHINA_LAT[1] and CHINA_LNG[0] <= lng <= CHINA_LNG[1]):
        raise InvalidInput(text("refusal.order.venue_outside_china"), code="venue_outside_china")


async def _offline_lookup(session: AsyncSession, *, community_id: int, query: str) -> Place | None:
    """A saved venue of the community by name or address, else an area centroid by name."""
    venue = await repo.venue_named(session=session, community_id=community_id, query=query)
    if venue is not None:
        return Place(venue.name, venue.address, venue.lat, venue.lng, venue.id)
    area = await repo.area_named(session=session, name=query)
    if area is not None:
        return Place(area.name, area.name, area.lat, area.lng)
    return None


def _geocoder(settings: Settings):
    from geopy.geocoders import BaiduV3, Nominatim

    if settings.geocoder == "baidu":
        return BaiduV3(api_key=settings.baidu_ak, timeout=GEOCODE_TIMEOUT_SECONDS), "bd09"
    return Nominatim(user_agent="kepu-dispatch", timeout=GEOCODE_TIMEOUT_SECONDS), "wgs84"


async def _online_lookup(settings: Settings, query: str) -> tuple[float, float]:
    """Geocode through geopy (blocking client, run in a thread); errors become messages."""
    from geopy.exc import GeopyError

    geocoder, system = _geocoder(settings)
    try:
        location = await asyncio.to_thread(geocoder.geocode, query)
    except GeopyError as error:
        raise Unavailable(
            text("refusal.order.geocoder_unavailable", error=type(error).__name__),
            code="geocoder_unavailable",
        ) from error
    if location is None:
        raise InvalidInput(text("refusal.order.geocode_failed", query=query), code="geocode_failed")
    # Baidu answers in BD-09 unless told otherwise; stored coordinates are WGS-84.
    return to_wgs84(location.latitude, location.longitude, system)
