"""The pruned candidate graph of a batch: orders, eligible (order, volunteer) edges, scores.

Every edge already satisfies the per-pair hard constraints (skill overlap, distance, window,
blackout, existing commitments). What is left for the solvers: slots per order, no volunteer in
two overlapping orders, and skill coverage of orders with ``cover_all_skills``.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from matching.batch.bulk import OrderColumns, Pairs, eligible_pairs
from matching.geo_arrays import vincenty_km
from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.pipeline import exact_within
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
    full_cover: np.ndarray  # bitmask of required skills to cover (0: no cover rule, see types)
    edge_order: np.ndarray  # order index per edge
    edge_volunteer: np.ndarray  # volunteer id per edge
    edge_score: np.ndarray  # float score, already rounded to params.score_decimals
    edge_cover: np.ndarray  # which skills of full_cover the volunteer has (bitmask)
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

    @functools.cached_property
    def edge_score_int(self) -> np.ndarray:
        """Scores as exact integers (score * 10**decimals), for the solvers."""
        return np.rint(self.edge_score * self.score_scale).astype(np.int64)

    @functools.cached_property
    def edge_cover_list(self) -> list[int]:
        """``edge_cover`` as Python ints, for the per-edge loops of the repair heuristic."""
        return self.edge_cover.tolist()

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
        orders = sorted_orders(orders)
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
            full_cover=np.array([_cover_mask(o, o.required_skills) for o in orders], np.int64),
            edge_order=edge_order,
            edge_volunteer=edge_volunteer,
            edge_score=edge_score,
            edge_cover=edge_cover,
            score_scale=10**params.score_decimals,
            stats=stats,
        )


def sorted_orders(orders: Sequence[OrderRequest]) -> list[OrderRequest]:
    """Orders by id; a repeated id is refused (it would let one volunteer fill two slots of
    what is one order)."""
    out = sorted(orders, key=lambda o: o.id)
    for a, b in itertools.pairwise(out):
        if a.id == b.id:
            raise ValueError(f"order {a.id}: the same order id appears twice in one batch")
    return out


def _cover_mask(order: OrderRequest, skills) -> int:
    """Bit i set when the volunteer has the order's i-th required skill (sorted by id); 0 for
    orders that do not require cover (``cover_all_skills`` off, or a single skill)."""
    if len(order.required_skills) <= 1 or not order.cover_all_skills:
        return 0
    return sum(1 << i for i, s in enumerate(sorted(order.required_skills)) if s in skills)


_SHIFT = 40  # seconds since the earliest order start < 2**40
_PRUNE_ROUNDS = 2
_GUARD_KM = 1e-6  # 1 mm: Vincenty decides limits farther than this (its error is < 0.1 mm)


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
    """Eligible edges of every order: when pruning, its best ``candidate_limit`` plus the
    ranking prefix that makes the cut provably lossless (see ``_prune``).

    ``stats['pruning_lossless']`` tells whether pruning provably kept an optimal solution: every
    order either closed its exclusive-candidate prefix within the cap, lost nothing, or (single-
    skill orders) kept at least its slots plus the slots of all orders overlapping it (then any
    cut volunteer can be swapped for a kept, free one of at least the same score).
    """
    with _small_pages():
        return _build(orders, volunteers, params, now, prune)


@contextlib.contextmanager
def _small_pages():
    """Numpy's huge-page advice off while building the graph (restored after).

    The build allocates and drops many large temporaries: with transparent huge pages on
    ``madvise`` (numpy advises them for large arrays) each fresh 2 MB page is zeroed, and
    compacted for, on first touch. Measured at 20k orders x 200k volunteers: ~1.3 s less
    system time with plain pages. Numpy's switch is process-wide, so a concurrent numpy
    thread briefly gets plain pages too (a speed matter only, never a result)."""
    setter = getattr(getattr(np, "_core", None), "multiarray", None)
    setter = getattr(setter, "_set_madvise_hugepage", None)
    if setter is None:
        yield
        return
    previous = setter(False)
    try:
        yield
    finally:
        setter(previous)


def _build(orders, volunteers, params: MatchParams, now, prune: bool) -> CandidateGraph:
    if isinstance(volunteers, VolunteerIndex):
        index = volunteers
        if index.delta_size:
            index.compact()
    else:
        index = VolunteerIndex.build(volunteers, params)
    table = index.table
    orders = sorted_orders(orders)
    limits = np.array(
        [candidate_limit(o, params) if prune else table.n for o in orders], dtype=np.int64
    )
    cols = OrderColumns.of(orders, params, now)
    # Ranked within each order (and cover pattern): score descending, then volunteer id.
    pairs = eligible_pairs(index, orders, cols, params)
    slots = np.array([o.slots for o in orders], dtype=np.int64)
    if prune:
        keep, kept, lossless = _prune(pairs, table, cols, orders, slots, limits, params)
    else:
        keep = _confirm(pairs, np.ones(len(pairs.order), dtype=bool), table, cols)
        kept = np.bincount(pairs.order[keep], minlength=len(orders))
        lossless = np.ones(len(orders), dtype=bool)
    edges = pairs.take(keep)
    canon = np.lexsort((table.ids[edges.row], edges.order))  # by order, then volunteer id
    edges = edges.take(canon)
    stats = {
        "edges": len(edges.order),
        "eligible_pairs": len(pairs.order),
        "pruning_lossless": bool(
            lossless.all() or _pruning_lossless(orders, kept, limits, params, lossless)
        ),
    }
    return CandidateGraph._make(
        orders,
        edges.order.astype(np.int64),
        table.ids[edges.row],
        edges.score,
        edges.cover.astype(np.int64),
        params,
        stats,
    )


def _confirm(pairs: Pairs, want: np.ndarray, table: VolunteerTable, cols: OrderColumns):
    """``want`` minus the borderline pairs the geodesic puts beyond their limit."""
    return _confirm_some(pairs, want, want & pairs.borderline, table, cols)


def exclusive_edges(
    volunteer: np.ndarray, start_s: np.ndarray, busy_until_s: np.ndarray, *, presorted=False
) -> np.ndarray:
    """Per edge: does no other edge of its volunteer overlap it (busy windows)?

    ``presorted``: the edges are already sorted by (volunteer, start)."""
    n = len(volunteer)
    if n == 0:
        return np.zeros(0, dtype=bool)
    if presorted:
        o, vol, s, b = None, volunteer, start_s, busy_until_s
    else:
        o = np.lexsort((start_s, volunteer))
        vol, s, b = volunteer[o], start_s[o], busy_until_s[o]
    same_prev = np.zeros(n, dtype=bool)
    same_prev[1:] = vol[1:] == vol[:-1]
    # Sorted by start per volunteer: a later edge overlaps iff the next one starts before my
    # end; an earlier one iff the running maximum of earlier ends passes my start.
    later = np.zeros(n, dtype=bool)
    later[:-1] = same_prev[1:] & (s[1:] < b[:-1])
    # A per-volunteer offset above every relative end, so the running maximum restarts per
    # volunteer: the volunteer itself when small enough (edges are sorted by it), else its rank.
    base = int(s.min())
    if int(vol.min()) >= 0 and int(vol.max()) < 1 << (62 - _SHIFT):
        rank = vol.astype(np.int64) << _SHIFT
    else:
        rank = np.cumsum(~same_prev) << _SHIFT
    running = np.maximum.accumulate(rank | (b - base))
    running -= rank
    running += base
    earlier = np.zeros(n, dtype=bool)
    earlier[1:] = same_prev[1:] & (running[:-1] > s[1:])
    free = ~(later | earlier)
    if o is None:
        return free
    out = np.empty(n, dtype=bool)
    out[o] = free
    return out


def lossless_prefix(
    group: np.ndarray, need: np.ndarray, usable: np.ndarray, exclusive: np.ndarray
) -> np.ndarray:
    """Per position (rows sorted by group, then rank): is it within its group's prefix ending
    at the ``need``-th usable exclusive row (groups that never get there keep everything), and
    does its group get there?"""
    n = len(group)
    if n == 0:
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    first = np.ones(n, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    g_start = np.flatnonzero(first)
    g = np.cumsum(first) - 1
    pos = np.arange(n) - g_start[g]
    good = exclusive & usable
    cum = np.cumsum(good)
    have = cum - np.concatenate(([0], cum))[g_start][g]
    reached = np.flatnonzero((have >= need) & good)
    never = np.iinfo(np.int64).max
    sat = np.full(len(g_start), never)
    # Rows are sorted by group then position: the first reached row of each group.
    g_r = g[reached]
    head = np.ones(len(reached), dtype=bool)
    head[1:] = g_r[1:] != g_r[:-1]
    sat[g_r[head]] = pos[reached[head]]
    return pos <= sat[g], sat[g] < never


def _prune(pairs, table, cols, orders, slots, limits, params: MatchParams):
    """Per order the best ``limits`` candidates, extended until pruning is provably lossless.

    Exchange argument: a kept candidate u of order i that no other order overlapping i lists
    (``exclusive``) is free for i in every solution. If the kept prefix of i (per cover pattern
    of a multi-skill order) holds ``slots`` confirmed exclusive candidates, any cut candidate v
    in a solution can be swapped for a free exclusive u of no lower score and the same cover,
    so some optimal solution (fill, then score) uses kept edges only. The extension stops at
    ``lossless_factor`` x the limit; orders stopped there fall back to the overlap-slots rule.
    """
    n = len(pairs.order)
    # Pairs are sorted by (order, cover): groups are runs of equal (order, cover), numbered
    # (int32) and positioned by repeats of their starts (cheaper than cumulative sums).
    first = np.ones(n, dtype=bool)
    np.not_equal(pairs.order[1:], pairs.order[:-1], out=first[1:])
    first[1:] |= pairs.cover[1:] != pairs.cover[:-1]
    g_start = np.flatnonzero(first)
    del first
    g_len = np.diff(np.append(g_start, n))
    n_groups = len(g_start)
    small = np.int32 if n < 1 << 31 else np.int64
    g_all = np.repeat(np.arange(n_groups, dtype=small), g_len)
    pos = np.arange(n, dtype=small)
    pos -= np.repeat(g_start.astype(small), g_len)
    group = g_all  # the group number stands for (order, cover) in the prefix search
    score_rank = pairs.rank
    cap = (limits * max(params.lossless_factor, 1))[pairs.order]
    # Only the first ``cap`` of a group can ever be kept: the prefix search looks at those;
    # the rest only block other orders' candidates.
    window = np.flatnonzero(pos < cap)
    need_w = slots[pairs.order[window]]
    alive = np.ones(n, dtype=bool)  # not rejected by the geodesic
    known = ~pairs.borderline  # decided (borderline pairs are decided on demand)
    cand = np.ones(n, dtype=bool)  # not trimmed yet
    # Exclusivity works on (volunteer, start) order.
    # (Per order, relative to the earliest start: the sort key packs them under the row.)
    base = int(cols.start_s.min()) if n else 0
    o_start = cols.start_s - base
    o_busy = cols.end_s + params.buffer_seconds - base
    # Exclusivity matters only for window pairs, but sweeping every pair is cheaper than
    # picking the volunteers with a window pair (nearly all of them) and gathering theirs: the
    # others only block each other, and their flags are never read. Any order of ties is fine
    # (overlap is symmetric).
    by_time, t_row, t_start, t_busy, packed = _by_volunteer_time(
        pairs.row, pairs.order, o_start, o_busy, table.n
    )
    sweep = _exclusive_packed if packed else exclusive_edges
    for _ in range(_PRUNE_ROUNDS):
        # Unconfirmed (and later rejected) pairs count as blockers: conservative, still valid.
        live = (cand & alive)[by_time]
        exclusive = np.zeros(n, dtype=bool)  # pairs outside the sweep are never needed
        if live.all():
            exclusive[by_time] = sweep(t_row, t_start, t_busy, presorted=True)
        else:
            exclusive[by_time[live]] = sweep(
                t_row[live], t_start[live], t_busy[live], presorted=True
            )
        while True:
            prefix, satisfied = _window_prefix(
                window, g_all, n_groups, group, need_w, cand & alive & known, exclusive
            )
            todo = prefix & cand & alive & ~known
            if not todo.any():
                break
            alive = _confirm_some(pairs, alive, todo, table, cols)
            known |= todo
        new = cand & prefix
        done = new.sum() == cand.sum()
        cand = new  # each round is lossless on its own; the solver's reduce_graph goes on
        if done:
            break
    in_prefix = (cand & (satisfied | (pos < cap))) | (score_rank < limits[pairs.order])
    todo = in_prefix & alive & ~known
    if todo.any():
        alive = _confirm_some(pairs, alive, todo, table, cols)
    keep = in_prefix & alive
    # An order is lossless when each of its groups is satisfied or lost nothing to the cap.
    lost = cand & alive & ~in_prefix
    lossless = np.ones(len(orders), dtype=bool)
    lossless[pairs.order[lost]] = False
    kept = np.bincount(pairs.order[keep], minlength=len(orders))
    return keep, kept, lossless


def _by_volunteer_time(row, order, o_start, o_busy, n_rows):
    """Positions sorted by (row, order start), ties in any order, with the sorted rows, starts
    and busy-until times (``o_start`` >= 0), and whether the rows come shifted for
    ``_exclusive_packed``. When (row, start rank, position) fit in 63 bits they are packed in
    one key and sorted by value (much faster than an argsort), else argsorted."""
    m, n = len(o_start), len(row)
    by_start = np.argsort(o_start, kind="stable")
    w_rank, w_pos = max(m - 1, 1).bit_length(), max(n - 1, 1).bit_length()
    w_row = max(n_rows - 1, 1).bit_length()
    if (
        w_row + w_rank + w_pos <= 63
        and w_row + _SHIFT <= 62
        and int(o_busy.max(initial=0)) < 1 << _SHIFT
    ):
        # Start ranks pre-shifted into place: one small-table gather per pair.
        shifted_rank = np.empty(m, dtype=np.int64)
        shifted_rank[by_start] = np.arange(m, dtype=np.int64) << w_pos
        key = row.astype(np.int64)
        key <<= w_rank + w_pos
        key |= shifted_rank[order]
        key |= np.arange(n, dtype=np.int64)
        key.sort()
        pos = key & ((1 << w_pos) - 1)
        key >>= w_pos
        t_rank = key & ((1 << w_rank) - 1)
        key >>= w_rank
        key <<= _SHIFT  # the row, shifted above every relative time
        return pos, key, o_start[by_start][t_rank], o_busy[by_start][t_rank], True
    key = (row.astype(np.int64) << _SHIFT) | o_start[order]
    o = np.argsort(key)
    t_order = order[o]
    return o, row[o], o_start[t_order], o_busy[t_order], False


def _exclusive_packed(vol_hi, start_s, busy_until_s, *, presorted=True):
    """``exclusive_edges`` of presorted edges whose volunteer comes as ``row << _SHIFT`` and
    whose times are in [0, 2 ** _SHIFT): the running maximum of ``vol_hi | busy`` restarts per
    volunteer by itself, and within a volunteer comparing it with ``vol_hi | start`` compares
    the times (same flags as ``exclusive_edges``). Edges are always presorted here."""
    n = len(vol_hi)
    free = np.ones(n, dtype=bool)
    if n < 2:
        return free
    same_prev = vol_hi[1:] == vol_hi[:-1]
    # A later edge overlaps iff the next one starts before my end ...
    free[:-1] &= ~(same_prev & (start_s[1:] < busy_until_s[:-1]))
    # ... an earlier one iff the running maximum of earlier ends passes my start.
    running = np.maximum.accumulate(vol_hi | busy_until_s)
    free[1:] &= ~(same_prev & (running[:-1] > (vol_hi[1:] | start_s[1:])))
    return free


def _window_prefix(window, g_all, n_groups, group, need_w, usable, exclusive):
    """``lossless_prefix`` computed on the window rows (``need_w``: their orders' slots),
    spread to every row: rows past the window are in the prefix exactly when their group is not
    satisfied (it keeps everything)."""
    prefix_w, sat_w = lossless_prefix(group[window], need_w, usable[window], exclusive[window])
    group_sat = np.zeros(n_groups, dtype=bool)
    group_sat[g_all[window]] = sat_w
    satisfied = group_sat[g_all]
    prefix = ~satisfied
    prefix[window] = prefix_w
    return prefix, satisfied


def _confirm_some(pairs, alive, todo, table, cols):
    """``alive`` minus the ``todo`` pairs that the geodesic puts beyond their limit.

    Vincenty's vectorized formulae decide every pair farther than ``_GUARD_KM`` from its limit
    (they agree with the geodesic to far better than that); the rest take geographiclib."""
    out = alive.copy()
    idx = np.flatnonzero(todo)
    if len(idx) == 0:
        return out
    lat = np.array([c.order.lat for c in cols.ctx])[pairs.order[idx]]
    lng = np.array([c.order.lng for c in cols.ctx])[pairs.order[idx]]
    rows = pairs.row[idx]
    d, ok = vincenty_km(table.lat[rows], table.lng[rows], lat, lng)
    limit = np.minimum(table.radius_km[rows], cols.max_km[pairs.order[idx]])
    sure = ok & (np.abs(d - limit) > _GUARD_KM)
    out[idx[sure]] = d[sure] <= limit[sure]
    for p, lim in zip(idx[~sure].tolist(), limit[~sure].tolist(), strict=True):
        row, ctx = int(pairs.row[p]), cols.ctx[int(pairs.order[p])]
        out[p] = exact_within(table, row, ctx, lim, None)[0]
    return out


def _pruning_lossless(orders, kept, limits, params: MatchParams, exempt=None) -> bool:
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
    multi = np.array([len(o.required_skills) > 1 and o.cover_all_skills for o in orders])
    ok = ~cut | ((limits >= needed) & ~multi)
    if exempt is not None:
        ok |= exempt
    return bool(np.all(ok))
