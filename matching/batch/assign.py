"""Batch assignment of many open orders at once: fill the most slots, then maximize score.

The general problem (fixed-interval jobs on machines with eligibility) is NP-hard, so the
solver proves what it can and says so:

1. Build the pruned candidate graph (``graph.py``) and each volunteer's conflict blocks
   (``conflicts.py``).
2. Solve one maximum-flow-minimum-cost over orders -> volunteer clique groups. When every block
   is a clique this is exactly the batch problem without skill coverage; otherwise it is a
   relaxation. Either way its value is an upper bound.
3. Split the graph into independent components (orders linked through shared volunteer
   blocks). A component whose flow solution has no conflicting pair and no uncovered
   multi-skill order is optimal as it stands (relaxation optimum that is feasible).
4. Other components are solved exactly with CP-SAT when small enough, else repaired
   greedily from the relaxed solution; ``proven_optimal`` is true only if every component was
   settled exactly, and the upper bound is reported either way.

Orders with ``cover_all_skills`` (and more than one required skill): every required skill
must be held by someone assigned to the order (or nobody is assigned). The flow ignores this
rule; step 3 detects violations and step 4 enforces it (CP-SAT constraint, or the repair's
swap / empty-the-order fallback). Other orders need one shared skill per volunteer only.

Nothing here reads a clock to decide: CP-SAT runs on deterministic work limits
(``MatchParams.exact_work_limit`` / ``exact_work_budget``), so the answer depends on the
input only.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import datetime

import numpy as np

from matching.batch.conflicts import conflict_structure, conflicting_edges, uncovered_orders
from matching.batch.exact import brute_force_edges, solve_cpsat
from matching.batch.flow import solve_flow
from matching.batch.graph import (
    CandidateGraph,
    build_candidate_graph,
    exclusive_edges,
    lossless_prefix,
)
from matching.batch.greedy import greedy_assign, repair
from matching.batch.lns import improve_by_windows
from matching.batch.refine import refine_flow
from matching.index import VolunteerIndex
from matching.params import DEFAULT_PARAMS, MatchParams
from matching.table import VolunteerTable
from matching.types import Assignment, BatchResult, OrderRequest, VolunteerSnapshot

_BRUTE_FORCE_EDGES = 12  # components this small are solved exhaustively

Volunteers = Sequence[VolunteerSnapshot] | VolunteerTable | VolunteerIndex


def assign_batch(
    orders: Sequence[OrderRequest],
    volunteers: Volunteers,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    *,
    prune: bool = True,
) -> BatchResult:
    """Optimal (or provably bounded) assignment of volunteers to many orders at once."""
    t0 = time.perf_counter()
    graph = build_candidate_graph(orders, volunteers, params, now, prune=prune)
    t1 = time.perf_counter()
    result = solve_graph(graph, params)
    result.stats.update(graph_seconds=t1 - t0, total_seconds=time.perf_counter() - t0)
    return result


def assign_greedy(
    orders: Sequence[OrderRequest],
    volunteers: Volunteers,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    *,
    prune: bool = True,
) -> BatchResult:
    """The greedy baseline on the same candidate graph."""
    t0 = time.perf_counter()
    graph = build_candidate_graph(orders, volunteers, params, now, prune=prune)
    t1 = time.perf_counter()
    result = _result(graph, greedy_assign(graph), "greedy", {"graph_seconds": t1 - t0})
    result.stats["total_seconds"] = time.perf_counter() - t0
    return result


def reduce_graph(graph: CandidateGraph) -> np.ndarray:
    """Edges that some optimal solution of ``graph`` is guaranteed to use only from (mask).

    Per order (and cover pattern of a multi-skill order), candidates ranked by score then id:
    once the ranking holds ``slots`` candidates that no other overlapping order of the graph
    lists (*exclusive*: always free for this order), every lower one can be swapped out of
    any solution for a free exclusive one of no lower score and the same cover, so it is
    dropped. Dropping edges makes more candidates exclusive: repeat until nothing changes.
    """
    n = graph.n_edges
    keep = np.ones(n, dtype=bool)
    if n == 0:
        return keep
    rank = np.lexsort((graph.edge_volunteer, -graph.edge_score, graph.edge_cover, graph.edge_order))
    width = np.int64(1) << int(graph.full_cover.max(initial=0)).bit_length()  # covers < width
    group = (graph.edge_order * width + graph.edge_cover)[rank]
    need = graph.slots[graph.edge_order][rank]
    start = graph.start_s[graph.edge_order]
    busy = graph.busy_until_s[graph.edge_order]
    # Sorted by (volunteer, start) once; each round sweeps the kept edges in that order.
    by_time = np.lexsort((start, graph.edge_volunteer))
    t_vol, t_start, t_busy = graph.edge_volunteer[by_time], start[by_time], busy[by_time]
    while True:
        live = keep[by_time]
        exclusive = np.zeros(n, dtype=bool)
        exclusive[by_time[live]] = exclusive_edges(
            t_vol[live], t_start[live], t_busy[live], presorted=True
        )
        new = np.zeros(n, dtype=bool)
        new[rank] = lossless_prefix(group, need, keep[rank], exclusive[rank])[0]
        new &= keep
        if new.sum() == keep.sum():
            return keep
        keep = new


def solve_graph(graph: CandidateGraph, params: MatchParams = DEFAULT_PARAMS) -> BatchResult:
    """Steps 2-4 of the module docstring on a ready candidate graph (after ``reduce_graph``)."""
    keep = reduce_graph(graph)
    if keep.all():
        return _solve(graph, params)
    idx = np.flatnonzero(keep)
    sub = dataclasses.replace(
        graph,
        edge_order=graph.edge_order[idx],
        edge_volunteer=graph.edge_volunteer[idx],
        edge_score=graph.edge_score[idx],
        edge_cover=graph.edge_cover[idx],
        stats=dict(graph.stats),
    )
    result = _solve(sub, params)
    result.stats.update(edges=graph.n_edges, solver_edges=sub.n_edges)
    return result


def _solve(graph: CandidateGraph, params: MatchParams) -> BatchResult:
    t0 = time.perf_counter()
    structure = conflict_structure(graph)
    relaxed = solve_flow(graph, structure.edge_group, structure.n_groups)
    t_flow = time.perf_counter() - t0
    ub_filled = int(relaxed.sum())
    ub_score = float(graph.edge_score[relaxed].sum())
    ub_score_int = int(graph.edge_score_int[relaxed].sum())
    bad_edges = conflicting_edges(graph, relaxed) if not structure.all_cliques else np.zeros(0, int)
    bad_orders = uncovered_orders(graph, relaxed)
    stats = {
        "edges": graph.n_edges,
        "blocks": structure.n_blocks,
        "non_clique_blocks": int((~structure.block_is_clique).sum()),
        "flow_seconds": t_flow,
        "pruning_lossless": graph.stats.get("pruning_lossless", True),
        "relaxation_bound_filled": ub_filled,
        "relaxation_bound_score": ub_score,
    }
    if len(bad_edges) == 0 and len(bad_orders) == 0:
        stats.update(dirty_components=0, exact_components=0, heuristic_components=0)
        return _result(graph, relaxed, "flow", stats, True, ub_filled, ub_score)

    component = _components(graph, structure.edge_block, structure.n_blocks)
    edge_comp = component[graph.edge_order]
    by_comp = np.argsort(edge_comp, kind="stable")
    comp_bounds = np.searchsorted(edge_comp[by_comp], np.arange(component.max() + 2))
    dirty = _dirty_components(graph, component, bad_edges, bad_orders)
    # A second, skill-reserving flow gives good feasible starts for multi-skill orders.
    primal = (
        solve_flow(graph, structure.edge_group, structure.n_groups, reserve_skills=True)
        if len(bad_orders)
        else relaxed
    )
    primal_dirty = set(
        _dirty_components(
            graph,
            component,
            conflicting_edges(graph, primal) if not structure.all_cliques else np.zeros(0, int),
            uncovered_orders(graph, primal),
        ).tolist()
    )
    # Re-flowing around the volunteers the relaxation double-books gives far better starts
    # than repairing it greedily when the components are large and dense (one busy day).
    dirty_edges = np.flatnonzero(np.isin(edge_comp, dirty))
    refined = refine_flow(graph, structure, dirty_edges, relaxed) if len(bad_edges) else relaxed
    chosen = relaxed.copy()
    proven = True
    n_exact = n_heuristic = n_matched_bound = 0
    exact_todo: list[tuple[np.ndarray, np.ndarray, tuple[int, int]]] = []
    heuristic: list[np.ndarray] = []
    for c in dirty:
        edges = by_comp[comp_bounds[c] : comp_bounds[c + 1]]
        bound = _value(graph, relaxed, edges)
        # Repairing costs a greedy pass over the component: on one too large for an exact
        # model, only the re-flowed start is repaired (it is nearly always the better one).
        large = len(edges) > params.exact_max_edges and refined is not relaxed
        starts = [] if large else [repair(graph, relaxed, edges)]
        if refined is not relaxed:
            starts.append(repair(graph, refined, edges))
        if c not in primal_dirty:
            starts.append(primal)
        elif primal is not relaxed:  # else the same start as above
            starts.append(repair(graph, primal, edges))
        elif not starts:
            starts.append(repair(graph, relaxed, edges))
        best = max(starts, key=lambda m: _value(graph, m, edges))
        chosen[edges] = best[edges]
        if _value(graph, best, edges) == bound:
            n_matched_bound += 1  # feasible and equal to the relaxation: optimal
        elif len(edges) <= params.exact_max_edges:
            exact_todo.append((edges, best, bound))
            n_exact += 1
        else:
            proven = False
            n_heuristic += 1
            heuristic.append(edges)
    work_used = 0.0
    n_unsolved = 0
    # Smallest components first: a fixed work budget then settles as many as it can.
    exact_todo.sort(key=lambda item: len(item[0]))
    # The relaxation's bound, tightened per component by what the exact solvers prove: the
    # sum of per-component (filled, score) bounds is a bound of the whole (lexicographically).
    tightened = [ub_filled, ub_score_int]
    for edges, best, bound in exact_todo:
        if len(edges) <= _BRUTE_FORCE_EDGES:  # exhaustive is exact and far cheaper than a model
            exact = brute_force_edges(graph, edges)[0]
            proved = _value(graph, exact, edges)
        else:
            # Deterministic work (not seconds): what is solved depends on the input only.
            limit = min(params.exact_work_limit, params.exact_work_budget - work_used)
            if limit <= 0:
                proven = False
                n_unsolved += 1
                continue
            info: dict = {}
            exact, ok = solve_cpsat(graph, edges, hint=best, work_limit=limit, stats=info)
            work_used += info.get("deterministic_time", 0.0)
            proven &= ok
            proved = min(info.get("upper_bound", bound), bound)
        tightened[0] += proved[0] - bound[0]
        tightened[1] += proved[1] - bound[1]
        if _value(graph, exact, edges) >= _value(graph, best, edges):
            chosen[edges] = exact[edges]
    # Components too large for one exact model: improved window by window, on their own budget.
    improve_used = 0.0
    for edges in heuristic:
        chosen, spent = improve_by_windows(
            graph,
            edges,
            chosen,
            window=params.improve_window_orders,
            work_limit=params.exact_work_limit,
            budget=params.improve_work_budget - improve_used,
        )
        improve_used += spent
    stats.update(
        improve_work=improve_used,
        exact_work=work_used,
        exact_unsolved_components=n_unsolved,
        dirty_components=len(dirty),
        bound_matched_components=n_matched_bound,
        exact_components=n_exact,
        heuristic_components=n_heuristic,
        solve_seconds=time.perf_counter() - t0,
    )
    method = "flow+cpsat" if n_exact else ("flow+repair" if n_heuristic else "flow")
    if tightened[0] < ub_filled or (tightened[0] == ub_filled and tightened[1] < ub_score_int):
        ub_filled, ub_score = tightened[0], tightened[1] / graph.score_scale
    return _result(graph, chosen, method, stats, proven, ub_filled, ub_score)


def _dirty_components(graph, component, bad_edges, bad_orders) -> np.ndarray:
    return np.unique(
        np.concatenate(
            [
                component[graph.edge_order[bad_edges]],
                component[np.asarray(bad_orders, dtype=np.int64)],
            ]
        )
    )


def _components(graph: CandidateGraph, edge_block: np.ndarray, n_blocks: int) -> np.ndarray:
    """Component id per order: orders sharing a volunteer block must be solved together."""
    n = graph.n_orders + n_blocks
    labels = connected_components(n, graph.edge_order, graph.n_orders + edge_block)
    return labels[: graph.n_orders]


def connected_components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Component label of each node 0..n-1 of the undirected graph with edges (a[i], b[i]),
    numbered in the order of each component's smallest node (as scipy's ``connected_components``).

    Vectorized union-find: every root that shares an edge with a smaller root is hooked under the
    smallest such root, then pointers jump until every node points at its root; repeated until
    no edge joins two roots. Roots only ever point to smaller nodes, so each component's root is
    its smallest node.
    """
    root = np.arange(n)
    while True:
        ra, rb = root[a], root[b]
        split = ra != rb
        if not split.any():
            break
        ra, rb = ra[split], rb[split]
        np.minimum.at(root, np.maximum(ra, rb), np.minimum(ra, rb))
        while not np.array_equal(up := root[root], root):
            root = up
    return np.unique(root, return_inverse=True)[1]


def _value(graph: CandidateGraph, chosen: np.ndarray, edges: np.ndarray) -> tuple[int, int]:
    sel = edges[chosen[edges]]
    return len(sel), int(graph.edge_score_int[sel].sum())


def _result(
    graph: CandidateGraph,
    chosen: np.ndarray,
    method: str,
    stats: dict,
    proven: bool = False,
    ub_filled: int | None = None,
    ub_score: float | None = None,
) -> BatchResult:
    idx = np.flatnonzero(chosen)
    assignments = tuple(
        Assignment(
            int(graph.order_ids[graph.edge_order[e]]),
            int(graph.edge_volunteer[e]),
            float(graph.edge_score[e]),
        )
        for e in idx
    )
    total = int(graph.edge_score_int[idx].sum()) / graph.score_scale
    return BatchResult(
        assignments=assignments,
        filled=len(idx),
        total_slots=graph.total_slots,
        total_score=total,
        method=method,
        proven_optimal=proven,
        upper_bound_filled=ub_filled,
        upper_bound_score=ub_score,
        stats=dict(stats),
    )
