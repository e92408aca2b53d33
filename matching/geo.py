"""Distances and Chinese map-coordinate conversions.

Argument order is always (lat, lng) and results are (lat, lng) tuples, whatever the order used
by the map vendors' own APIs (AMap and Baidu write lng first).

* ``geodesic_km`` is the reference distance (geopy / Karney on WGS-84); it is what people see.
* The vectorized maths of the hot path (numpy) live in ``geo_arrays``, so that the one-pair
  rules (``eligibility``) and the coordinate conversions load neither numpy nor geopy.
* GCJ-02 (AMap, Tencent) and BD-09 (Baidu) conversions follow the widely published formulas
  (coordTransform, eviltransform); outside China every conversion is the identity.
"""

from __future__ import annotations

import math

from geographiclib.geodesic import Geodesic

EARTH_RADIUS_KM = 6371.0088  # IUGG mean radius, the best single sphere for WGS-84

# geopy's geodesic is a thin wrapper over geographiclib with these constants (its
# ELLIPSOIDS["WGS-84"]); calling the Geodesic object directly gives bit-identical results (a test
# checks both) at half the cost, and spares importing geopy (~0.1 s: it loads every geocoder).
WGS84_A_KM = 6378.137
WGS84_F = 1 / 298.257223563
_GEOD = Geodesic(WGS84_A_KM, WGS84_F)
_DISTANCE_ONLY = Geodesic.DISTANCE

# Krasovsky 1940 ellipsoid used by GCJ-02.
_GCJ_A = 6378245.0
_GCJ_EE = 0.00669342162296594323
_BD_X_PI = math.pi * 3000.0 / 180.0


def geodesic_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Geodesic distance on WGS-84 in km, identical to ``geopy.distance.geodesic(...).km``."""
    return _GEOD.Inverse(lat1, lng1, lat2, lng2, _DISTANCE_ONLY)["s12"]


def geopy_geodesic_km(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """The same distance through geopy's public API (the naive baseline uses this)."""
    from geopy.distance import geodesic

    return geodesic((lat1, lng1), (lat2, lng2)).km


def out_of_china(lat: float, lng: float) -> bool:
    """True outside the rough bounding box where GCJ-02 offsets apply."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _gcj_delta(lat: float, lng: float) -> tuple[float, float]:
    """The GCJ-02 offset (dlat, dlng) in degrees at a WGS-84 point."""
    x, y = lng - 105.0, lat - 35.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    dlng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    common = (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    dlat += common
    dlng += common
    dlat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    dlng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    dlat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    dlng += (
        (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    )
    rad_lat = lat / 180.0 * math.pi
    magic = 1 - _GCJ_EE * math.sin(rad_lat) ** 2
    sqrt_magic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_GCJ_A * (1 - _GCJ_EE)) / (magic * sqrt_magic) * math.pi)
    dlng = (dlng * 180.0) / (_GCJ_A / sqrt_magic * math.cos(rad_lat) * math.pi)
    return dlat, dlng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 (GPS) to GCJ-02 (AMap, Tencent)."""
    if out_of_china(lat, lng):
        return lat, lng
    dlat, dlng = _gcj_delta(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84 by fixed-point inversion (converges to < 1e-9 degree, a few mm)."""
    if out_of_china(lat, lng):
        return lat, lng
    # The offset varies slowly, so w <- w - (forward(w) - gcj) converges fast.
    wlat, wlng = lat, lng
    for _ in range(30):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        elat, elng = glat - lat, glng - lng
        wlat, wlng = wlat - elat, wlng - elng
        if abs(elat) < 1e-10 and abs(elng) < 1e-10:
            break
    return wlat, wlng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 to BD-09 (Baidu)."""
    if out_of_china(lat, lng):
        return lat, lng
    z = math.hypot(lng, lat) + 0.00002 * math.sin(lat * _BD_X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _BD_X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """BD-09 (Baidu) to GCJ-02."""
    if out_of_china(lat, lng):
        return lat, lng
    x, y = lng - 0.0065, lat - 0.006
    z = math.hypot(x, y) - 0.00002 * math.sin(y * _BD_X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _BD_X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def bd09_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """BD-09 (Baidu) to WGS-84."""
    return gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))


def wgs84_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 to BD-09 (Baidu)."""
    return gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))


def to_wgs84(lat: float, lng: float, system: str) -> tuple[float, float]:
    """Convert from a named system ("wgs84", "gcj02", "bd09") to WGS-84."""
    converters = {"wgs84": lambda a, b: (a, b), "gcj02": gcj02_to_wgs84, "bd09": bd09_to_wgs84}
    try:
        return converters[system.lower()](lat, lng)
    except KeyError:
        raise ValueError(f"unknown coordinate system {system!r}") from None
