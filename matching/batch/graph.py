"""The pruned candidate graph of a batch: orders, eligible (order, volunteer) edges, scores.

Every edge already satisfies the per-pair hard constraints (skill overlap, distance, window,
blackout, existing commitments). What is left for the solvers: slots per order, no volunteer in
two overlapping orders, and skill coverage of multi-skill orders.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.pipeline import OrderContext
from matching.table import VolunteerTable
from matching.time_windows import epoch_seconds
from matching.types import OrderRequest, VolunteerSnapshot


@dataclass(frozen=True, eq=False)
class CandidateGraph:
    """Orders (sorted by id) and their candidate edges (sorted by order, then volunteer id)."""

    order_ids: np.ndarray
    slots: np.ndarray
    start_s: np.ndarray  # order start, epoch seconds
    busy_until_s: np.ndarray  # order end + travel buffer: [start, busy_until) never overlap
    full_cover: np.ndarray  # bitmask of the order's required skills (0 for single-skill orders)
    edge_order: np.ndarray  # order index per edge
    edge_volunteer: np.ndarray  # volunteer id per edge
    edge_score: np.ndarray  # float score, already rounded to params.score_decimals
    edge_cover: np.ndarray  # which of the order's required skills the volunteer has (bitmask)
    score_scale: int
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def n_orders(self) -> int:
        """Number of orders."""
        return len(self.order_ids)

    @property
    def n_edges(self) -> int:
        """Number of candidate edges."""
        return len(self.edge_order)

    @property
    def edge_score_int(self) -> np.ndarray:
        """Scores as exact integers (score * 10**decimals), for the solvers."""
        return np.rint(self.edge_score * self.score_scale).astype(np.int64)

    @property
    def total_slots(self) -> int:
        """Sum of all orders' slots."""
        return int(self.slots.sum())

    @classmethod
    def from_edges(
        cls,
        orders: Sequence[OrderRequest],
        edges: Sequence[tuple[int, int, float, frozenset[int]]],
        params: MatchParams,
    ) -> CandidateGraph:
        """A graph from explicit (order_id, volunteer_id, score, volunteer_skills) edges."""
        orders = sorted(orders, key=lambda o: o.id)
        pos = {o.id: i for i, o in enumerate(orders)}
        edges = sorted(edges, key=lambda e: (pos[e[0]], e[1]))
        covers = [_cover_mask(orders[pos[o]], skills) for o, _, _, skills in edges]
        return cls._make(
            orders,
            np.array([pos[e[0]] for e in edges], dtype=np.int64),
            np.array([e[1] for e in edges], dtype=np.int64),
            np.round(np.array([e[2] for e in edges], dtype=np.float64), params.score_decimals),
            np.array(covers, dtype=np.int64),
            params,
            {},
        )

    @classmethod
    def _make(cls, orders, edge_order, edge_volunteer, edge_score, edge_cover, params, stats):
        buf = params.buffer_seconds
        return cls(
            order_ids=np.array([o.id for o in orders], dtype=np.int64),
            slots=np.array([o.slots for o in orders], dtype=np.int64),
            start_s=np.array([epoch_seconds(o.start) for o in orders], dtype=np.int64),
            busy_until_s=np.array([epoch_seconds(o.end) + buf for o in orders], dtype=np.int64),
            full_cover=np.array(
                [
                    (1 << len(o.required_skills)) - 1 if len(o.required_skills) > 1 else 0
                    for o in orders
                ],
                dtype=np.int64,
            ),
            edge_order=edge_order,
            edge_volunteer=edge_volunteer,
            edge_score=edge_score,
            edge_cover=edge_cover,
            score_scale=10**params.score_decimals,
            stats=stats,
        )


def _cover_mask(order: OrderRequest, skills) -> int:
    """Bit i set when the volunteer has the order's i-th required skill (sorted by id)."""
    if len(order.required_skills) <= 1:
        return 0
    return sum(1 << i for i, s in enumerate(sorted(order.required_skills)) if s in skills)


def candidate_limit(order: OrderRequest, params: MatchParams) -> int:
    """How many best candidates the pruned graph keeps for an order."""
    return max(params.candidate_factor * order.slots, params.min_candidates)


def build_candidate_graph(
    orders: Sequence[OrderRequest],
    volunteers: Sequence[VolunteerSnapshot] | VolunteerTable | VolunteerIndex,
    params: MatchParams,
    now: datetime | None = None,
    *,
    prune: bool = True,
) -> CandidateGraph:
    """Eligible edges of every order, keeping only the best ``candidate_limit`` when pruning.

    ``stats['pruning_lossless']`` tells whether pruning provably kept an optimal solution: for
    every single-skill order either nothing was cut, or it kept at least its slots plus the slots
    of all orders overlapping it (then any cut volunteer can be swapped for a kept, free one of
    at least the same score). Multi-skill orders count as lossless only when nothing was cut.
    """
    if isinstance(volunteers, VolunteerIndex):
        index = volunteers
        if index.delta_size:
            index.compact()
    else:
        index = VolunteerIndex.build(volunteers, params)
    table = index.table
    orders = sorted(orders, key=lambda o: o.id)
    limits = np.array(
        [candidate_limit(o, params) if prune else table.n for o in orders], dtype=np.int64
    )
    e_order, e_rows, e_score, kept = [], [], [], np.zeros(len(orders), dtype=np.int64)
    for i, o in enumerate(orders):
        if o.slots <= 0:
            continue
        rows, scores = index.top_rows(OrderContext.of(o, params, now), int(limits[i]), params)
        order_sorted = np.argsort(table.ids[rows], kind="stable")  # canonical: by volunteer id
        e_order.append(np.full(len(rows), i, dtype=np.int64))
        e_rows.append(rows[order_sorted])
        e_score.append(scores[order_sorted])
        kept[i] = len(rows)
    rows = np.concatenate(e_rows) if e_rows else np.zeros(0, dtype=np.int64)
    edge_order = np.concatenate(e_order) if e_order else np.zeros(0, dtype=np.int64)
    edge_score = np.concatenate(e_score) if e_score else np.zeros(0)
    edge_cover = _edge_covers(orders, edge_order, rows, table)
    stats = {
        "edges": len(rows),
        "pruning_lossless": _pruning_lossless(orders, kept, limits, params),
    }
    graph = CandidateGraph._make(
        orders, edge_order, table.ids[rows], edge_score, edge_cover, params, stats
    )
    return graph


def _edge_covers(orders, edge_order, rows, table: VolunteerTable) -> np.ndarray:
    cover = np.zeros(len(rows), dtype=np.int64)
    rows_with: dict[int, np.ndarray] = {}  # skill -> rows having it (sorted, as skill_row is)
    for i, o in enumerate(orders):
        if len(o.required_skills) <= 1:
            continue
        sel = np.flatnonzero(edge_order == i)
        for bit, skill in enumerate(sorted(o.required_skills)):
            if skill not in rows_with:
                rows_with[skill] = table.skill_row[table.skill_id == skill]
            has = np.isin(rows[sel], rows_with[skill])
            cover[sel[has]] |= 1 << bit
    return cover


def _pruning_lossless(orders, kept, limits, params: MatchParams) -> bool:
    if not orders:
        return True
    buf = params.buffer_seconds
    start = np.array([epoch_seconds(o.start) for o in orders])
    busy = np.array([epoch_seconds(o.end) + buf for o in orders])
    slots = np.array([o.slots for o in orders])
    # Slots of orders overlapping each order (itself included), with prefix sums over the
    # orders sorted by start and by busy-until: starts before my end minus ends before my start.
    s_order, b_order = np.argsort(start), np.argsort(busy)
    s_cum = np.concatenate(([0], np.cumsum(slots[s_order])))
    b_cum = np.concatenate(([0], np.cumsum(slots[b_order])))
    before_my_end = s_cum[np.searchsorted(start[s_order], busy, side="left")]
    ended_before_me = b_cum[np.searchsorted(busy[b_order], start, side="right")]
    needed = before_my_end - ended_before_me
    cut = kept >= limits
    multi = np.array([len(o.required_skills) > 1 for o in orders])
    return bool(np.all(~cut | ((limits >= needed) & ~multi)))
