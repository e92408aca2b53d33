"""Improve a feasible solution of a component too large to solve exactly, window by window.

The component's orders are taken in start order, ``window`` at a time (windows overlap by
half). Everything outside the window stays as it is; the window's orders are re-solved
exactly (CP-SAT) over the candidates still free: a volunteer busy outside the window at an
overlapping time is not offered. A window's answer replaces the old one only when it is
better, so the solution never gets worse and stays feasible (slots, time, skill cover).
Work is counted in CP-SAT's deterministic units, never in seconds.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from matching.batch.exact import solve_cpsat
from matching.batch.graph import CandidateGraph


def improve_by_windows(
    graph: CandidateGraph,
    edges: np.ndarray,
    chosen: np.ndarray,
    *,
    window: int,
    work_limit: float,
    budget: float,
) -> tuple[np.ndarray, float]:
    """(better or equal solution, work used) for the component ``edges`` (indices)."""
    chosen = chosen.copy()
    edges = np.asarray(edges, dtype=np.int64)
    orders = np.unique(graph.edge_order[edges])
    orders = orders[np.lexsort((orders, graph.start_s[orders]))]
    # The component's edges grouped by the orders' start rank: a window is one slice.
    rank = np.empty(graph.n_orders, dtype=np.int64)
    rank[orders] = np.arange(len(orders))
    edges = edges[np.argsort(rank[graph.edge_order[edges]], kind="stable")]
    bounds = np.searchsorted(rank[graph.edge_order[edges]], np.arange(len(orders) + 1))
    used = 0.0
    step = max(window // 2, 1)
    for w0 in range(0, max(len(orders) - step, 1), step):
        limit = min(work_limit, budget - used)
        if limit <= 0:
            break
        lo, hi = bounds[w0], bounds[min(w0 + window, len(orders))]
        sub = edges[lo:hi]
        free = sub[_not_busy(graph, sub, chosen, edges[:lo], edges[hi:])]
        info: dict = {}
        found, _ = solve_cpsat(graph, free, hint=chosen, work_limit=limit, stats=info)
        used += info.get("deterministic_time", 0.0)
        if _value(graph, found, free) > _value(graph, chosen, sub):
            chosen[sub] = False
            chosen[free[found[free]]] = True
    return chosen, used


def _not_busy(graph: CandidateGraph, sub, chosen, before, after) -> np.ndarray:
    """Mask of ``sub`` edges whose volunteer holds no overlapping chosen edge outside it."""
    o = graph.edge_order
    outside = np.concatenate((before[chosen[before]], after[chosen[after]]))
    outside = outside[np.isin(graph.edge_volunteer[outside], graph.edge_volunteer[sub])]
    busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for v, s, b in zip(
        graph.edge_volunteer[outside].tolist(),
        graph.start_s[o[outside]].tolist(),
        graph.busy_until_s[o[outside]].tolist(),
        strict=True,
    ):
        busy[v].append((s, b))
    ok = np.ones(len(sub), dtype=bool)
    for i, (v, s, b) in enumerate(
        zip(
            graph.edge_volunteer[sub].tolist(),
            graph.start_s[o[sub]].tolist(),
            graph.busy_until_s[o[sub]].tolist(),
            strict=True,
        )
    ):
        spans = busy.get(v)
        if spans:
            ok[i] = all(not (s < b2 and s2 < b) for s2, b2 in spans)
    return ok


def _value(graph: CandidateGraph, chosen: np.ndarray, edges: np.ndarray) -> tuple[int, int]:
    sel = edges[chosen[edges]]
    return len(sel), int(graph.edge_score_int[sel].sum())
