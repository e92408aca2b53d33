"""Time-conflict structure of a candidate graph, per volunteer.

Two orders conflict when their busy intervals [start, end + buffer) intersect, so conflicts form
an interval graph. For each volunteer we split its candidate edges into *blocks*: connected
components of that interval graph. A volunteer may take at most one order of a clique, and
orders in different blocks never conflict.

* If a block is a clique (all its intervals share a point), "at most one edge of the block" is
  exactly the conflict rule, and a flow with one unit-capacity node per block is exact.
* Otherwise the block is cut into consecutive cliques (greedy sweep); one node per clique is a
  *relaxation* (it allows two overlapping orders from neighbouring cliques), so its optimum is
  an upper bound that is optimal whenever it happens to be conflict-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from matching.batch.graph import CandidateGraph

_VOL_SHIFT = 40  # busy-until seconds relative to the earliest start < 2**40


@dataclass(frozen=True, eq=False)
class ConflictStructure:
    """Per-edge block and clique-group ids, and which blocks are cliques."""

    edge_block: np.ndarray
    edge_group: np.ndarray
    n_blocks: int
    n_groups: int
    block_is_clique: np.ndarray

    @property
    def all_cliques(self) -> bool:
        """True when the single flow is exact for time conflicts."""
        return bool(self.block_is_clique.all())


def _volunteer_rank(graph: CandidateGraph) -> np.ndarray:
    return np.unique(graph.edge_volunteer, return_inverse=True)[1].astype(np.int64)


def conflict_structure(graph: CandidateGraph) -> ConflictStructure:
    """Blocks (exact conflict components) and clique groups of every volunteer's edges."""
    m = graph.n_edges
    if m == 0:
        z = np.zeros(0, dtype=np.int64)
        return ConflictStructure(z, z, 0, 0, np.zeros(0, dtype=bool))
    vol = _volunteer_rank(graph)
    base = int(graph.start_s.min())
    s = graph.start_s[graph.edge_order] - base
    e = graph.busy_until_s[graph.edge_order] - base
    order = np.lexsort((graph.edge_order, s, vol))
    vs, ss, es = vol[order], s[order], e[order]
    shifted = vs << _VOL_SHIFT
    running_end = np.maximum.accumulate(shifted | es) - shifted
    new = np.ones(m, dtype=bool)
    new[1:] = (vs[1:] != vs[:-1]) | (ss[1:] >= running_end[:-1])
    block_sorted = np.cumsum(new) - 1
    starts = np.flatnonzero(new)
    ends = np.concatenate((starts[1:], [m]))
    is_clique = ss[ends - 1] < np.minimum.reduceat(es, starts)
    group_sorted = block_sorted.copy()
    n_groups = len(starts)
    for b in np.flatnonzero(~is_clique):
        # Greedy sweep: extend the current clique while the next start is before its min end.
        lo, hi = starts[b], ends[b]
        min_end = es[lo]
        for i in range(lo + 1, hi):
            if ss[i] >= min_end:
                group_sorted[i:hi] = n_groups
                n_groups += 1
                min_end = es[i]
            else:
                min_end = min(min_end, es[i])
    edge_block = np.empty(m, dtype=np.int64)
    edge_group = np.empty(m, dtype=np.int64)
    edge_block[order] = block_sorted
    edge_group[order] = group_sorted
    # Renumber groups densely in first-appearance order for stable node numbering.
    _, edge_group = np.unique(edge_group, return_inverse=True)
    return ConflictStructure(
        edge_block, edge_group, len(starts), int(edge_group.max()) + 1, is_clique
    )


def conflicting_edges(graph: CandidateGraph, chosen: np.ndarray) -> np.ndarray:
    """Chosen edge indices whose volunteer also holds an overlapping chosen edge."""
    idx = np.flatnonzero(chosen)
    if len(idx) < 2:
        return np.zeros(0, dtype=np.int64)
    vol = graph.edge_volunteer[idx]
    s = graph.start_s[graph.edge_order[idx]]
    e = graph.busy_until_s[graph.edge_order[idx]]
    o = np.lexsort((s, vol))
    vol, s, e, idx = vol[o], s[o], e[o], idx[o]
    bad = set()
    # Sweep per volunteer keeping the edge with the latest end seen so far.
    last = 0
    for i in range(1, len(idx)):
        if vol[i] != vol[i - 1]:
            last = i
            continue
        if s[i] < e[last]:
            bad.update((int(idx[i]), int(idx[last])))
        if e[i] > e[last]:
            last = i
    return np.array(sorted(bad), dtype=np.int64)


def uncovered_orders(graph: CandidateGraph, chosen: np.ndarray) -> np.ndarray:
    """Multi-skill orders with assignees that do not cover every required skill."""
    counts = np.bincount(graph.edge_order[chosen], minlength=graph.n_orders)
    cover = np.zeros(graph.n_orders, dtype=np.int64)
    np.bitwise_or.at(cover, graph.edge_order[chosen], graph.edge_cover[chosen])
    return np.flatnonzero((graph.full_cover > 0) & (counts > 0) & (cover != graph.full_cover))
