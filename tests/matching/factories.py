"""Keyword-argument factories for matching inputs, with sensible defaults near 芝罘区, 烟台."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from matching.types import AvailabilityWindow, Commitment, OrderRequest, VolunteerSnapshot

CENTER = (37.5, 121.4)
# Monday 2025-06-02 10:00 Beijing time is 02:00 UTC.
MONDAY_10_LOCAL = datetime(2025, 6, 2, 2, 0, tzinfo=UTC)
NOW = MONDAY_10_LOCAL - timedelta(days=3)
ALL_WEEK = tuple(AvailabilityWindow(d, 0, 1440) for d in range(7))


def volunteer(
    id: int = 1,
    *,
    lat: float = CENTER[0],
    lng: float = CENTER[1],
    radius_km: float = 10.0,
    skills: frozenset[int] | set[int] = frozenset({1}),
    availability: tuple[AvailabilityWindow, ...] = ALL_WEEK,
    blackout_dates: frozenset[date] | set[date] = frozenset(),
    commitments: tuple[Commitment, ...] = (),
    **kwargs,
) -> VolunteerSnapshot:
    """A volunteer at the centre, always available, skill 1, radius 10 km."""
    return VolunteerSnapshot(
        id=id,
        lat=lat,
        lng=lng,
        radius_km=radius_km,
        skills=frozenset(skills),
        weekly_availability=availability,
        blackout_dates=frozenset(blackout_dates),
        commitments=commitments,
        **kwargs,
    )


def order(
    id: int = 100,
    *,
    lat: float = CENTER[0],
    lng: float = CENTER[1],
    start: datetime = MONDAY_10_LOCAL,
    hours: float = 2.0,
    skills: frozenset[int] | set[int] = frozenset({1}),
    slots: int = 1,
    max_distance_km: float = 10.0,
    **kwargs,
) -> OrderRequest:
    """A two-hour order at the centre on Monday 10:00 local time needing skill 1."""
    return OrderRequest(
        id=id,
        lat=lat,
        lng=lng,
        start=start,
        end=start + timedelta(hours=hours),
        required_skills=frozenset(skills),
        slots=slots,
        max_distance_km=max_distance_km,
        **kwargs,
    )


def offset_km(
    lat: float, lng: float, north_km: float = 0.0, east_km: float = 0.0
) -> tuple[float, float]:
    """A point roughly this many km north / east of (lat, lng) (good to ~0.5 % for small offsets)."""
    import math

    return lat + north_km / 111.2, lng + east_km / (111.2 * math.cos(math.radians(lat)))
