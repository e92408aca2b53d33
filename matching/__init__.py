"""Matching core: who is eligible for an order, who is asked first, who goes where.

Pure: plain frozen dataclasses or numpy arrays in, decisions out. No web or database imports;
``now``, weights, the travel buffer and the distance function are all parameters.
"""

from matching.batch import assign_batch, assign_greedy, build_candidate_graph, solve_brute_force
from matching.eligibility import REASON_CODES, check_eligibility, is_eligible
from matching.explain import explain_en, explain_zh
from matching.geo import (
    bd09_to_gcj02,
    bd09_to_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    geodesic_km,
    haversine_km,
    out_of_china,
    to_wgs84,
    wgs84_to_bd09,
    wgs84_to_gcj02,
)
from matching.index import VolunteerIndex
from matching.params import DEFAULT_PARAMS, MatchParams, ScoreWeights
from matching.ranking import (
    RelaxationSuggestion,
    count_candidates_with_relaxation,
    rank_candidates,
    score_candidate,
)
from matching.table import VolunteerTable
from matching.teams import check_team_eligibility, rank_teams
from matching.time_windows import windows_conflict
from matching.types import (
    Assignment,
    AvailabilityWindow,
    BatchResult,
    Candidate,
    Commitment,
    OrderRequest,
    ScorePart,
    TeamCandidate,
    TeamSnapshot,
    VolunteerSnapshot,
)

__all__ = [
    "DEFAULT_PARAMS",
    "REASON_CODES",
    "Assignment",
    "AvailabilityWindow",
    "BatchResult",
    "Candidate",
    "Commitment",
    "MatchParams",
    "OrderRequest",
    "RelaxationSuggestion",
    "ScorePart",
    "ScoreWeights",
    "TeamCandidate",
    "TeamSnapshot",
    "VolunteerIndex",
    "VolunteerSnapshot",
    "VolunteerTable",
    "assign_batch",
    "assign_greedy",
    "bd09_to_gcj02",
    "bd09_to_wgs84",
    "build_candidate_graph",
    "check_eligibility",
    "check_team_eligibility",
    "count_candidates_with_relaxation",
    "explain_en",
    "explain_zh",
    "gcj02_to_bd09",
    "gcj02_to_wgs84",
    "geodesic_km",
    "haversine_km",
    "is_eligible",
    "out_of_china",
    "rank_candidates",
    "rank_teams",
    "score_candidate",
    "solve_brute_force",
    "to_wgs84",
    "wgs84_to_bd09",
    "wgs84_to_gcj02",
    "windows_conflict",
]
