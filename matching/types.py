"""Plain frozen dataclasses that flow in and out of the matching core.

The service layer converts ORM rows into these; nothing here knows about a database.
All datetimes are timezone-aware; weekly availability is in the order's local time
(see ``MatchParams.utc_offset``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

# ``distance(lat1, lng1, lat2, lng2) -> km``: replaces the geodesic where a caller passes one.
DistanceFn = Callable[[float, float, float, float], float]


def _as_float(x) -> float:
    try:
        return float(x)
    except (TypeError, ValueError):
        return math.nan


def check_position(kind: str, id: int, lat: float, lng: float) -> None:
    """Refuse NaN, infinite or out-of-range coordinates (|lat| > 90, |lng| > 180)."""
    if not -90.0 <= _as_float(lat) <= 90.0:  # NaN fails every comparison
        raise ValueError(f"{kind} {id}: lat must be a number in [-90, 90], got {lat!r}")
    if not -180.0 <= _as_float(lng) <= 180.0:
        raise ValueError(f"{kind} {id}: lng must be a number in [-180, 180], got {lng!r}")


def check_distance(kind: str, id: int, field_name: str, km: float) -> None:
    """Refuse NaN, infinite or negative distances (a NaN limit would make every pair eligible)."""
    if not 0.0 <= _as_float(km) < math.inf:
        raise ValueError(f"{kind} {id}: {field_name} must be a finite number >= 0, got {km!r}")


def check_local_date(what: str, value) -> None:
    """Refuse anything but a plain ``date`` (a datetime would compare wrongly with dates)."""
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValueError(f"{what} must be a local date, got {value!r}")


@dataclass(frozen=True, slots=True)
class AvailabilityWindow:
    """A weekly recurring free window: weekday 0=Mon..6=Sun, minutes of the local day."""

    weekday: int
    start_minute: int
    end_minute: int  # exclusive; 1440 means midnight at the end of the day

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0..6, got {self.weekday}")
        if not 0 <= self.start_minute < self.end_minute <= 1440:
            raise ValueError(f"bad window minutes {self.start_minute}..{self.end_minute}")


@dataclass(frozen=True, slots=True)
class Commitment:
    """An order the volunteer has already accepted (aware datetimes)."""

    order_id: int
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Credential:
    """A certificate the volunteer holds (e.g. kind "red_cross_first_aider", 红十字救护员证).

    ``valid_through`` is the last local date on which it is valid (inclusive); a certificate
    that never expires can pass ``date.max``. Kinds are the service's own strings.
    """

    kind: str
    valid_through: date

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind:
            raise ValueError(f"credential kind must be a non-empty string, got {self.kind!r}")
        check_local_date("credential valid_through", self.valid_through)


@dataclass(frozen=True, slots=True)
class InsuranceCoverage:
    """A period of personal accident insurance, local dates, both ends inclusive."""

    start: date
    end: date

    def __post_init__(self) -> None:
        check_local_date("insurance start", self.start)
        check_local_date("insurance end", self.end)
        if self.end < self.start:
            raise ValueError(
                f"insurance coverage ends ({self.end}) before it starts ({self.start})"
            )


@dataclass(frozen=True, slots=True)
class VolunteerSnapshot:
    """Everything matching needs to know about one volunteer, at one moment."""

    id: int
    lat: float
    lng: float
    radius_km: float
    skills: frozenset[int]
    weekly_availability: tuple[AvailabilityWindow, ...] = ()
    blackout_dates: frozenset[date] = frozenset()
    active: bool = True
    community_id: int | None = None
    street_id: int | None = None
    recent_hours: float = 0.0  # service hours in the last 30 days
    activities_this_month: int = 0
    completed: int = 0
    no_shows: int = 0
    rating_avg: float | None = None
    rating_count: int = 0
    commitments: tuple[Commitment, ...] = ()
    credentials: tuple[Credential, ...] = ()
    insurance: tuple[InsuranceCoverage, ...] = ()

    def __post_init__(self) -> None:
        check_position("volunteer", self.id, self.lat, self.lng)
        check_distance("volunteer", self.id, "radius_km", self.radius_km)


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order (派单) to staff: where, when, which skills, how many volunteers.

    ``cover_all_skills``: the assigned volunteers together must hold every required skill (or
    nobody is assigned). Only a batch assignment can enforce it (it is a rule about the
    group); each candidate is always eligible by one shared skill, as in the per-order ranking.

    ``required_credentials``: credential kinds every volunteer must hold, valid on every local
    date the order touches (the service derives them from skills that require a certificate).
    ``requires_insurance``: every volunteer's insurance must cover every such date. Both are
    hard rules for each volunteer; by default nothing is required.
    """

    id: int
    lat: float
    lng: float
    start: datetime
    end: datetime
    required_skills: frozenset[int]
    slots: int = 1
    max_distance_km: float = 10.0
    community_id: int | None = None
    street_id: int | None = None
    cover_all_skills: bool = False
    required_credentials: frozenset[str] = frozenset()
    requires_insurance: bool = False

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError(f"order {self.id}: start/end must be timezone-aware")
        if self.end <= self.start:
            raise ValueError(f"order {self.id}: end must be after start")
        if self.slots < 0:
            raise ValueError(f"order {self.id}: slots must be >= 0, got {self.slots}")
        check_position("order", self.id, self.lat, self.lng)
        check_distance("order", self.id, "max_distance_km", self.max_distance_km)
        kinds = self.required_credentials
        if not isinstance(kinds, frozenset) or not all(isinstance(k, str) and k for k in kinds):
            raise ValueError(
                f"order {self.id}: required_credentials must be a frozenset of credential kinds"
                f" (non-empty strings), got {kinds!r}"
            )


@dataclass(frozen=True, slots=True)
class TeamSnapshot:
    """A volunteer team (志愿队): its base and its members' snapshots."""

    id: int
    base_lat: float
    base_lng: float
    members: tuple[VolunteerSnapshot, ...]
    radius_km: float | None = None  # None: only the order's maximum distance applies
    community_id: int | None = None
    street_id: int | None = None
    active: bool = True

    def __post_init__(self) -> None:
        check_position("team", self.id, self.base_lat, self.base_lng)
        if self.radius_km is not None:
            check_distance("team", self.id, "radius_km", self.radius_km)

    @property
    def skills(self) -> frozenset[int]:
        """Union of the active members' skills."""
        return frozenset().union(*(m.skills for m in self.members if m.active))


@dataclass(frozen=True, slots=True)
class ScorePart:
    """One explained component of a score: ``value`` in [0, 1], raw facts in ``detail``."""

    code: str  # "skill" | "distance" | "fairness" | "reliability" | "locality"
    value: float
    weight: float
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def contribution(self) -> float:
        """The part's share of the total score."""
        return self.weight * self.value


@dataclass(frozen=True, slots=True)
class Candidate:
    """An eligible volunteer for one order, with its score and the parts of that score."""

    volunteer_id: int
    score: float
    distance_km: float  # geodesic (geopy) unless a custom distance function was given
    parts: tuple[ScorePart, ...]

    def part(self, code: str) -> ScorePart:
        """The score part with this code."""
        for p in self.parts:
            if p.code == code:
                return p
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class TeamCandidate:
    """An eligible team for an order dispatched to a team."""

    team_id: int
    score: float
    distance_km: float
    parts: tuple[ScorePart, ...]
    available_member_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class Assignment:
    """One volunteer assigned to one order by a batch solver."""

    order_id: int
    volunteer_id: int
    score: float


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Outcome of a batch assignment: who goes where, and how good that is."""

    assignments: tuple[Assignment, ...]
    filled: int
    total_slots: int
    total_score: float
    method: str
    proven_optimal: bool = False
    # Upper bound of (filled, score) from a relaxation, when known: the gap is at most this.
    upper_bound_filled: int | None = None
    upper_bound_score: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def fill_rate(self) -> float:
        """Filled slots over all slots (1.0 when there are no slots)."""
        return self.filled / self.total_slots if self.total_slots else 1.0

    def by_order(self) -> dict[int, list[int]]:
        """Assigned volunteer ids per order id, in ascending volunteer id."""
        out: dict[int, list[int]] = {}
        for a in self.assignments:
            out.setdefault(a.order_id, []).append(a.volunteer_id)
        return {k: sorted(v) for k, v in out.items()}
