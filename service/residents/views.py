"""What the residents' pages show, built from plain rows: nearest activities first, the
community picker grouped by street, the 点单 form's time window, the one-time receipt."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from matching.geo import geodesic_km
from service.page_text import N_
from service.tokens import keyed_hash

# Parts of the day an older resident can pick without typing a time (local wall clock).
DAY_PARTS = {
    "morning": (N_("上午（9:00–11:00）"), time(9), time(11)),
    "afternoon": (N_("下午（14:00–16:00）"), time(14), time(16)),
    "evening": (N_("晚上（19:00–21:00）"), time(19), time(21)),
}
RECEIPT_COOKIE = "kepu_demand_receipt"
RECEIPT_MINUTES = 30


@dataclass(frozen=True)
class Origin:
    """Where "near" is measured from: a community's centre or the phone's location."""

    lat: float
    lng: float
    community_id: int | None = None
    community_name: str = ""


@dataclass(frozen=True)
class Nearby:
    """An activity with its distance from the origin (None when there is no origin)."""

    activity: dict
    distance_km: float | None


def nearest_first(activities: list[dict], origin: Origin | None) -> list[Nearby]:
    """The activities by distance from ``origin`` (geodesic, as geopy), then by start;
    without an origin, soonest first as they came."""
    if origin is None:
        return [Nearby(row, None) for row in activities]
    measured = [
        Nearby(row, geodesic_km(origin.lat, origin.lng, row["venue_lat"], row["venue_lng"]))
        for row in activities
    ]
    return sorted(
        measured, key=lambda n: (n.distance_km, n.activity["starts_at"], n.activity["id"])
    )


# A phone farther than this from every community of the district is somewhere else (or its
# location is wrong): distances from there would mean nothing to the resident.
NEAR_DISTRICT_KM = 50


def near_any(point: tuple[float, float], communities: list[dict]) -> bool:
    """Whether ``point`` is within NEAR_DISTRICT_KM of some community (True when none is known)."""
    if not communities:
        return True
    return any(
        geodesic_km(point[0], point[1], c["lat"], c["lng"]) <= NEAR_DISTRICT_KM for c in communities
    )


def parse_point(lat: str | None, lng: str | None) -> tuple[float, float] | None:
    """A (lat, lng) sent by the browser's location, or None when missing or not a place."""
    try:
        point = float(lat or ""), float(lng or "")
    except ValueError:
        return None
    if not (-90 <= point[0] <= 90 and -180 <= point[1] <= 180) or point != point:  # NaN
        return None
    return point


def by_street(communities: list[dict]) -> list[tuple[str, list[dict]]]:
    """The community picker's groups: each street with its communities, in tree order."""
    groups: dict[str, list[dict]] = {}
    for row in communities:
        groups.setdefault(row["street_name"] or "", []).append(row)
    return list(groups.items())


def preferred_window(
    day: date | None, part: str | None, zone: str
) -> tuple[datetime | None, datetime | None]:
    """The wished-for time as UTC instants: a local day and a part of it (morning if unset)."""
    if day is None:
        return None, None
    _, start, end = DAY_PARTS.get(part or "", DAY_PARTS["morning"])
    local = ZoneInfo(zone)
    return (
        datetime.combine(day, start, tzinfo=local).astimezone(ZoneInfo("UTC")),
        datetime.combine(day, end, tzinfo=local).astimezone(ZoneInfo("UTC")),
    )


def earliest_wish_day(now: datetime, zone: str) -> date:
    """A wish needs time to be planned: tomorrow at the soonest (local day)."""
    return now.astimezone(ZoneInfo(zone)).date() + timedelta(days=1)


def has_ended(activity: dict, now: datetime) -> bool:
    return activity["ends_at"] <= now or activity["status"] in ("completed", "evaluated")


# ---------------------------------------------------------------- the one-time receipt
# The follow-up code is shown once, after the redirect that follows the submission: the
# receipt (number and code, signed) rides in a short-lived HttpOnly cookie of this browser,
# never in a URL (which would end up in logs and in the history).


def receipt_value(secret: str, demand_id: int, code: str) -> str:
    return f"{demand_id}.{code}.{_receipt_mac(secret, demand_id, code)}"


def read_receipt(secret: str, value: str | None) -> tuple[int, str] | None:
    """(demand id, code) from a receipt cookie this server signed, else None."""
    parts = (value or "").split(".")
    if len(parts) != 3 or not parts[0].isdigit() or len(parts[0]) > 12:
        return None
    demand_id, code, mac = int(parts[0]), parts[1], parts[2]
    if not hmac.compare_digest(mac, _receipt_mac(secret, demand_id, code)):
        return None
    return demand_id, code


def _receipt_mac(secret: str, demand_id: int, code: str) -> str:
    return keyed_hash(secret, f"demand-receipt:{demand_id}:{code}")[:32]
