"""A conflict-free solution from the flow relaxation: fix the volunteers it double-books, re-flow.

The flow relaxation lets a volunteer take overlapping orders from neighbouring cliques of a
non-clique block. Instead of repairing such a solution greedily, each round keeps, for every
double-booked volunteer, the best compatible subset of what the flow gave them (most orders,
then score: weighted interval scheduling), fixes it, removes their edges that overlap it, and
solves the flow again for everything not fixed, with the orders' remaining slots. Volunteers the
flow did not double-book stay free to move. Every round fixes at least one volunteer, so it ends;
usually after a few rounds no conflict is left. Deterministic: flows and ties are.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from matching.batch.conflicts import ConflictStructure, conflicting_edges
from matching.batch.flow import solve_flow
from matching.batch.graph import CandidateGraph

_MAX_ROUNDS = 12  # round counts, not a clock: the same input takes the same rounds
_EDGE_ROUNDS = 1_000_000  # and at most this many edges re-flowed in all (~1 s of flows)


def refine_flow(
    graph: CandidateGraph, structure: ConflictStructure, edges: np.ndarray, relaxed: np.ndarray
) -> np.ndarray:
    """A solution without time conflicts on ``edges`` (indices), starting from ``relaxed``
    (the flow's solution). Skill cover is not enforced here (callers repair it)."""
    edges = np.asarray(edges, dtype=np.int64)
    fixed = np.zeros(graph.n_edges, dtype=bool)
    live = np.zeros(graph.n_edges, dtype=bool)
    live[edges] = True
    current = relaxed & live
    rounds = max(1, min(_MAX_ROUNDS, _EDGE_ROUNDS // max(len(edges), 1)))
    for _ in range(rounds):
        bad = conflicting_edges(graph, current | fixed)
        if len(bad) == 0:
            return current | fixed
        by_vol: dict[int, list[int]] = defaultdict(list)
        for e in np.flatnonzero(current).tolist():
            by_vol[int(graph.edge_volunteer[e])].append(e)
        settled = np.unique(graph.edge_volunteer[bad])
        for v in settled.tolist():
            fixed[_best_compatible(graph, by_vol[v])] = True
        # Settled volunteers' other edges are no longer candidates.
        live[edges[np.isin(graph.edge_volunteer[edges], settled)]] = False
        left = graph.slots - np.bincount(graph.edge_order[fixed], minlength=graph.n_orders)
        todo = np.flatnonzero(live)
        current = solve_flow(graph, structure.edge_group, structure.n_groups, todo, slots=left)
    # Still conflicting after the last round: keep the best compatible subset per volunteer.
    chosen = fixed.copy()
    by_vol = defaultdict(list)
    for e in np.flatnonzero(current).tolist():
        by_vol[int(graph.edge_volunteer[e])].append(e)
    for es in by_vol.values():
        chosen[_best_compatible(graph, es)] = True
    return chosen


def _best_compatible(graph: CandidateGraph, es: list[int]) -> list[int]:
    """Non-overlapping subset of one volunteer's edges with most edges, then most score."""
    if len(es) <= 1:
        return list(es)
    order = graph.edge_order
    es = sorted(es, key=lambda e: (int(graph.busy_until_s[order[e]]), e))
    start = [int(graph.start_s[order[e]]) for e in es]
    end = [int(graph.busy_until_s[order[e]]) for e in es]
    score = [int(graph.edge_score_int[e]) for e in es]
    n = len(es)
    # best[i]: (count, score, picks) using the first i edges (sorted by end).
    best: list[tuple[int, int, tuple[int, ...]]] = [(0, 0, ())]
    for i in range(n):
        j = i  # last edge ending at or before this one's start
        while j > 0 and end[j - 1] > start[i]:
            j -= 1
        c, s, picks = best[j]
        take = (c + 1, s + score[i], (*picks, es[i]))
        best.append(max(best[i], take, key=lambda t: (t[0], t[1])))
    return list(best[n][2])
