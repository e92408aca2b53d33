"""Every tunable number of the matching core, in one object with documented defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True, slots=True)
class ScoreWeights:
    """Weights of the score parts; the score is the weighted sum of parts in [0, 1].

    Defaults sum to 1.0 so a score reads as a fraction of a perfect match. Proximity counts most
    (people come when it is close), then skill fit, then fairness (spread the work), reliability,
    and finally locality (same community / street).
    """

    skill: float = 0.25
    distance: float = 0.30
    fairness: float = 0.20
    reliability: float = 0.15
    locality: float = 0.10

    def __post_init__(self) -> None:
        if min(self.skill, self.distance, self.fairness, self.reliability, self.locality) < 0:
            raise ValueError("weights must be non-negative")


@dataclass(frozen=True, slots=True)
class MatchParams:
    """Parameters of eligibility, scoring and batch assignment.

    Distances are in kilometres. Scores are rounded to ``score_decimals`` so that vectorized and
    scalar code paths agree exactly and ties are resolved by volunteer id, never by float noise.
    """

    weights: ScoreWeights = field(default_factory=ScoreWeights)
    # Gap required between two engagements of one volunteer (travel, set-up).
    travel_buffer: timedelta = timedelta(minutes=30)
    # Local time of availability windows and blackout dates. China has one zone and no DST,
    # so a fixed offset (Asia/Shanghai, +08:00) is exact.
    utc_offset: timedelta = timedelta(hours=8)
    # Proximity part = d0 / (d0 + d): 1 at the venue, 0.5 at d0 km, 0.25 at 3*d0 km.
    proximity_half_km: float = 3.0
    # Fairness part = h0 / (h0 + recent_hours): 0.5 after h0 hours of service in 30 days.
    fairness_half_hours: float = 8.0
    # Reliability = completion_share * completion + (1 - completion_share) * rating, both
    # smoothed towards a prior so that newcomers are neither punished nor over-trusted.
    completion_prior: float = 0.9
    completion_prior_weight: float = 2.0
    rating_prior: float = 4.0  # stars, 1..5
    rating_prior_weight: float = 3.0
    completion_share: float = 0.6
    # Locality part: same community 1.0, same street (other community) this value, else 0.
    same_street_value: float = 0.5
    # The hot path uses a spherical distance; within this band around a radius limit the
    # decision is re-taken with the geodesic (geopy). Spherical vs WGS-84 error is < 0.6 %.
    borderline_rel: float = 0.0065
    borderline_abs_km: float = 0.002
    score_decimals: int = 6
    # Batch: keep at least the max(candidate_factor * slots, min_candidates) best candidates per
    # order (more when needed for a provably lossless cut, up to lossless_factor times that).
    candidate_factor: int = 10
    min_candidates: int = 20
    # Batch: an order's kept candidates are extended (up to lossless_factor x its limit) until
    # pruning provably keeps an optimal solution (see ``batch.graph._prune``).
    lossless_factor: int = 4
    # Batch: components still unresolved after the flow relaxation are solved exactly with CP-SAT
    # when they have at most this many candidate edges; larger ones get a repair heuristic.
    exact_max_edges: int = 2_000
    # CP-SAT work limits, in its *deterministic time* units (roughly seconds of one core on a
    # reference machine, but counted, not measured): the same input stops at the same point
    # under any machine load, so results depend on the input only. Per component, and for the
    # whole batch (components beyond the total keep their best heuristic solution).
    exact_work_limit: float = 0.2
    exact_work_budget: float = 0.4
    # Components larger than exact_max_edges: their heuristic solution is re-solved exactly
    # this many orders at a time (in start order), within this work budget (same units).
    improve_window_orders: int = 120
    improve_work_budget: float = 0.1

    def __post_init__(self) -> None:
        if self.travel_buffer < timedelta(0):
            raise ValueError("travel_buffer must be >= 0")
        if self.proximity_half_km <= 0 or self.fairness_half_hours <= 0:
            raise ValueError("half-value constants must be > 0")

    @property
    def buffer_seconds(self) -> int:
        """Travel buffer in whole seconds."""
        return int(self.travel_buffer.total_seconds())

    def shape_key(self) -> tuple[float, ...]:
        """The constants that shape the order-independent parts (not the weights)."""
        return (
            self.fairness_half_hours,
            self.completion_prior,
            self.completion_prior_weight,
            self.rating_prior,
            self.rating_prior_weight,
            self.completion_share,
        )


DEFAULT_PARAMS = MatchParams()
