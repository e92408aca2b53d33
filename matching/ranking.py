"""Simple per-order APIs for small lists of volunteers, and the "widen the radius" suggestion."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from matching.index import VolunteerIndex
from matching.params import DEFAULT_PARAMS, MatchParams
from matching.types import Candidate, DistanceFn, OrderRequest, VolunteerSnapshot


def rank_candidates(
    order: OrderRequest,
    volunteers: Sequence[VolunteerSnapshot],
    k: int = 20,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    distance: DistanceFn | None = None,
) -> list[Candidate]:
    """Top-k eligible volunteers of a list, best first (same rules and scores as the index)."""
    index = VolunteerIndex.build(volunteers, params, tiers=1)
    return index.top_k(order, k, params, now, distance)


def score_candidate(
    volunteer: VolunteerSnapshot,
    order: OrderRequest,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    distance: DistanceFn | None = None,
) -> Candidate | None:
    """The explained score of one volunteer for one order, or None when not eligible."""
    found = rank_candidates(order, [volunteer], 1, params, now, distance)
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class RelaxationSuggestion:
    """How many volunteers become eligible when both distance limits grow by ``extra_km``."""

    extra_km: float
    eligible_now: int
    eligible_relaxed: int
    newly_eligible_ids: tuple[int, ...]

    @property
    def gained(self) -> int:
        """Extra candidates won by the relaxation."""
        return self.eligible_relaxed - self.eligible_now


def count_candidates_with_relaxation(
    order: OrderRequest,
    volunteers: Sequence[VolunteerSnapshot] | VolunteerIndex,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    extra_km: float = 5.0,
) -> RelaxationSuggestion:
    """Eligible counts at the current radii and at radius + ``extra_km`` ("7 candidates within +5 km")."""
    index = (
        volunteers
        if isinstance(volunteers, VolunteerIndex)
        else VolunteerIndex.build(volunteers, params)
    )
    now_ids = set(index.eligible_ids(order, params, now))
    relaxed = index.eligible_ids(order, params, now, extra_km=extra_km)
    return RelaxationSuggestion(
        extra_km=extra_km,
        eligible_now=len(now_ids),
        eligible_relaxed=len(relaxed),
        newly_eligible_ids=tuple(i for i in relaxed if i not in now_ids),
    )
