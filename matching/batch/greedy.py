"""Greedy assignment: best edge first. The baseline, and the repair step of the heuristic path."""

from __future__ import annotations

from collections import defaultdict

import numpy as np

from matching.batch.graph import CandidateGraph


class _State:
    """Chosen edges with per-order slot use and per-volunteer busy intervals."""

    def __init__(self, graph: CandidateGraph, chosen: np.ndarray | None = None) -> None:
        self.g = graph
        self.chosen = np.zeros(graph.n_edges, dtype=bool) if chosen is None else chosen.copy()
        self.used = np.bincount(graph.edge_order[self.chosen], minlength=graph.n_orders)
        self.busy: dict[int, list[int]] = defaultdict(list)
        self.of_order: dict[int, list[int]] = defaultdict(list)  # chosen edges per order
        for e in np.flatnonzero(self.chosen):
            self.busy[int(graph.edge_volunteer[e])].append(int(e))
            self.of_order[int(graph.edge_order[e])].append(int(e))

    def volunteer_free(self, e: int, ignore: int | None = None) -> bool:
        g = self.g
        s, b = g.start_s[g.edge_order[e]], g.busy_until_s[g.edge_order[e]]
        for f in self.busy[int(g.edge_volunteer[e])]:
            if (
                f != ignore
                and g.start_s[g.edge_order[f]] < b
                and s < g.busy_until_s[g.edge_order[f]]
            ):
                return False
        return True

    def can_add(self, e: int) -> bool:
        o = self.g.edge_order[e]
        return not self.chosen[e] and self.used[o] < self.g.slots[o] and self.volunteer_free(e)

    def add(self, e: int) -> None:
        self.chosen[e] = True
        self.used[self.g.edge_order[e]] += 1
        self.busy[int(self.g.edge_volunteer[e])].append(e)
        self.of_order[int(self.g.edge_order[e])].append(e)

    def drop(self, e: int) -> None:
        self.chosen[e] = False
        self.used[self.g.edge_order[e]] -= 1
        self.busy[int(self.g.edge_volunteer[e])].remove(e)
        self.of_order[int(self.g.edge_order[e])].remove(e)

    def cover(self, o: int, without: int | None = None) -> int:
        """Skills (bitmask) held by the order's assignees, leaving out edge ``without``."""
        covers = self.g.edge_cover_list
        out = 0
        for f in self.of_order[o]:
            if f != without:
                out |= covers[f]
        return out

    def order_edges(self, o: int) -> list[int]:
        return sorted(self.of_order[o])


def _by_score(graph: CandidateGraph, edges: np.ndarray) -> np.ndarray:
    """Edges best first; ties by order id then volunteer id (deterministic)."""
    return edges[
        np.lexsort(
            (
                graph.edge_volunteer[edges],
                graph.order_ids[graph.edge_order[edges]],
                -graph.edge_score[edges],
            )
        )
    ]


def _greedy_pass(state: _State, ranked: np.ndarray, banned: set[int]) -> None:
    for e in ranked:
        e = int(e)
        if int(state.g.edge_order[e]) not in banned and state.can_add(e):
            state.add(e)


def _drop_uncovered(state: _State, orders: np.ndarray, banned: set[int]) -> bool:
    """Empty every multi-skill order whose assignees miss a required skill; True if any."""
    g = state.g
    dropped = False
    for o in orders:
        o = int(o)
        full = int(g.full_cover[o])
        if full and state.used[o] and state.cover(o) != full:
            for e in state.order_edges(o):
                state.drop(int(e))
            banned.add(o)
            dropped = True
    return dropped


def greedy_assign(graph: CandidateGraph, edges: np.ndarray | None = None) -> np.ndarray:
    """Greedy baseline: take edges by descending score while slots and time allow.

    Multi-skill orders left uncovered are emptied afterwards and their volunteers offered to the
    remaining orders in a second pass.
    """
    idx = np.arange(graph.n_edges) if edges is None else np.asarray(edges, dtype=np.int64)
    state = _State(graph)
    ranked = _by_score(graph, idx)
    banned: set[int] = set()
    orders = np.unique(graph.edge_order[idx])
    _greedy_pass(state, ranked, banned)
    while _drop_uncovered(state, orders, banned):  # ends: every round bans at least one order
        _greedy_pass(state, ranked, banned)
    return state.chosen


def repair(graph: CandidateGraph, chosen: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """Make a relaxed solution feasible on ``edges``, then refill greedily.

    Keeps the best-scoring edge among a volunteer's overlapping ones, tries to complete the
    skill coverage of multi-skill orders with free candidates, and empties those it cannot.
    """
    edges = np.asarray(edges, dtype=np.int64)
    state = _State(graph)
    keep = _by_score(graph, edges[chosen[edges]])
    _greedy_pass(state, keep, set())  # re-adding best first drops the conflicting ones
    ranked = _by_score(graph, edges)
    orders = np.unique(graph.edge_order[edges])
    ranked_of: dict[int, list[int]] = defaultdict(list)  # each order's edges, best first
    for e, o in zip(ranked.tolist(), graph.edge_order[ranked].tolist(), strict=True):
        ranked_of[o].append(e)
    for o in orders.tolist():
        _complete_cover(state, o, ranked_of[o])
    banned = _uncoverable_empty(state, orders)
    _drop_uncovered(state, orders, banned)
    _greedy_pass(state, ranked, banned)
    while _drop_uncovered(state, orders, banned):
        _greedy_pass(state, ranked, banned)
    return state.chosen


def _complete_cover(state: _State, o: int, ranked: list[int]) -> None:
    """Add (or swap in) the order's best free candidates holding its missing skills."""
    g = state.g
    full = int(g.full_cover[o])
    if not full or not state.used[o]:
        return
    for e in ranked:
        missing = full & ~state.cover(o)
        if not missing:
            return
        if state.chosen[e] or not g.edge_cover_list[e] & missing:
            continue
        if not state.volunteer_free(e):
            continue
        if state.used[o] >= g.slots[o]:
            # Swap out the weakest assignee whose skills the others still cover.
            gain = int(g.edge_cover[e])
            with_e = (state.cover(o) | gain) & full
            for f in sorted(state.order_edges(o), key=lambda f: (g.edge_score[f], f)):
                if (state.cover(o, without=f) | gain) & full == with_e:
                    state.drop(int(f))
                    break
            else:
                continue
        state.add(e)


def _uncoverable_empty(state: _State, orders: np.ndarray) -> set[int]:
    """Empty multi-skill orders: greedy refill would fill them one skill at a time, so skip."""
    return {int(o) for o in orders if state.g.full_cover[o] and not state.used[o]}
