"""Batch assignment: many orders, many volunteers, one optimal (or provably bounded) answer."""

from matching.batch.assign import assign_batch, assign_greedy, solve_graph
from matching.batch.exact import solve_brute_force, solve_cpsat
from matching.batch.graph import CandidateGraph, build_candidate_graph

__all__ = [
    "CandidateGraph",
    "assign_batch",
    "assign_greedy",
    "build_candidate_graph",
    "solve_brute_force",
    "solve_cpsat",
    "solve_graph",
]
