"""Matching core: who is eligible for an order, who is asked first, who goes where.

Pure: plain frozen dataclasses or numpy arrays in, decisions out. No web or database imports;
``now``, weights, the travel buffer and the distance function are all parameters.

The names below are loaded on first use, so importing one module (``matching.eligibility``, the
service's path) does not load the index's numpy or the batch path's solvers.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "matching.batch": (
        "assign_batch",
        "assign_greedy",
        "build_candidate_graph",
        "solve_brute_force",
    ),
    "matching.eligibility": ("REASON_CODES", "check_eligibility", "is_eligible"),
    "matching.explain": ("explain_en", "explain_problem_en", "explain_problem_zh", "explain_zh"),
    "matching.fairness": ("gini", "top_share"),
    "matching.geo": (
        "bd09_to_gcj02",
        "bd09_to_wgs84",
        "gcj02_to_bd09",
        "gcj02_to_wgs84",
        "geodesic_km",
        "out_of_china",
        "to_wgs84",
        "wgs84_to_bd09",
        "wgs84_to_gcj02",
    ),
    "matching.geo_arrays": ("haversine_km",),
    "matching.index": ("VolunteerIndex",),
    "matching.params": ("DEFAULT_PARAMS", "MatchParams", "ScoreWeights"),
    "matching.qualifications": ("QualificationProblem", "qualification_problems"),
    "matching.ranking": (
        "RelaxationSuggestion",
        "count_candidates_with_relaxation",
        "rank_candidates",
        "score_candidate",
    ),
    "matching.table": ("VolunteerTable",),
    "matching.teams": ("check_team_eligibility", "rank_teams"),
    "matching.time_windows": ("windows_conflict",),
    "matching.types": (
        "Assignment",
        "AvailabilityWindow",
        "BatchResult",
        "Candidate",
        "Commitment",
        "Credential",
        "InsuranceCoverage",
        "OrderRequest",
        "ScorePart",
        "TeamCandidate",
        "TeamSnapshot",
        "VolunteerSnapshot",
    ),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> Any:
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
