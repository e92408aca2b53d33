"""Eligible (order, volunteer) pairs of many orders at once, without a Python loop per pair.

The same rules and scores as ``pipeline.evaluate_rows`` (one order, many rows), evaluated on
flat pair arrays: candidate rows come from the index's (skill, tier, grid cell) slices of every
order at once, then distance, activity, availability, blackout dates and commitments are
vectorized over all pairs of a chunk of orders. Pairs within the borderline band of their
distance limit are flagged; callers confirm them with the geodesic before using them as edges.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import numpy as np

from matching import scoring
from matching.geo import EARTH_RADIUS_KM
from matching.geo_arrays import unit_vectors
from matching.index import _EPS_DEG, VolunteerIndex, _hour_mask
from matching.params import MatchParams
from matching.pipeline import OrderContext, _only_own_order_conflicts
from matching.table import VolunteerTable
from matching.time_windows import MINUTES_PER_WEEK
from matching.types import OrderRequest

_NO_ID = np.iinfo(np.int64).min  # an order without community / street matches nobody
_CHUNK_PAIRS = 2_000_000
_SLOT_MIN = 120  # granularity of the batch layout's weekly time slots
_SLOTS = MINUTES_PER_WEEK // _SLOT_MIN
# Volunteer radius classes (km, upper bounds, right-closed): an order scans each class within
# min(its maximum, the class bound), so short-radius volunteers are not gathered from afar.
_RADIUS_CLASSES = np.array(
    [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 30.0, 50.0]
)  # gathered pairs per vectorized chunk (bounds peak memory)


@dataclass(frozen=True, eq=False)
class OrderColumns:
    """Per-order values of ``OrderContext`` as arrays (orders sorted by id)."""

    ctx: list[OrderContext]
    unit: np.ndarray
    max_km: np.ndarray
    week_begin: np.ndarray
    week_end: np.ndarray
    start_s: np.ndarray
    end_s: np.ndarray
    days: np.ndarray  # (m, max days) date ordinals, -1 padded
    n_required: np.ndarray
    cover_all: np.ndarray  # the order requires its skills covered (and has more than one)
    community: np.ndarray
    street: np.ndarray
    active: np.ndarray  # not started and slots > 0
    chord2: np.ndarray  # squared chord bound of the maximum distance (prefilter)
    hours: np.ndarray  # (m, 3) uint64: hour bits of the local week the window touches
    first_day: np.ndarray  # first and last local date (ordinals)
    last_day: np.ndarray
    needs_credential: dict[str, np.ndarray]  # per required kind: which orders require it
    needs_insurance: np.ndarray

    @classmethod
    def of(cls, orders: Sequence[OrderRequest], params: MatchParams, now: datetime | None):
        m = len(orders)
        # Unit vectors of all orders in one call (elementwise: the same values one by one).
        units = unit_vectors(
            np.fromiter((o.lat for o in orders), dtype=np.float64, count=m),
            np.fromiter((o.lng for o in orders), dtype=np.float64, count=m),
        ).reshape(m, 3)
        ctx = [OrderContext.of(o, params, now, unit=units[i]) for i, o in enumerate(orders)]
        width = max((len(c.day_ordinals) for c in ctx), default=1)
        days = np.full((m, width), -1, dtype=np.int64)
        for i, c in enumerate(ctx):
            days[i, : len(c.day_ordinals)] = c.day_ordinals

        def col(values, dtype):
            return np.fromiter(values, dtype=dtype, count=m)

        return cls(
            ctx=ctx,
            unit=np.ascontiguousarray(units),
            max_km=col((o.max_distance_km for o in orders), np.float64),
            week_begin=col((c.week_begin for c in ctx), np.int64),
            week_end=col((c.week_end for c in ctx), np.int64),
            start_s=col((c.start_s for c in ctx), np.int64),
            end_s=col((c.end_s for c in ctx), np.int64),
            days=days,
            n_required=col((len(c.skill_ids) for c in ctx), np.int64),
            cover_all=col((c.order.cover_all_skills and len(c.skill_ids) > 1 for c in ctx), bool),
            community=col(
                (_NO_ID if o.community_id is None else o.community_id for o in orders), np.int64
            ),
            street=col((_NO_ID if o.street_id is None else o.street_id for o in orders), np.int64),
            active=col(((not c.started) and c.order.slots > 0 for c in ctx), bool),
            chord2=_chord2_bound(col((o.max_distance_km for o in orders), np.float64), params),
            hours=np.array(
                [_hour_mask(c.week_begin, c.week_end) for c in ctx], dtype=np.uint64
            ).reshape(m, 3),
            first_day=col((c.first_day for c in ctx), np.int64),
            last_day=col((c.last_day for c in ctx), np.int64),
            needs_credential={
                kind: col((kind in o.required_credentials for o in orders), bool)
                for kind in sorted(set().union(*(o.required_credentials for o in orders)))
            },
            needs_insurance=col((o.requires_insurance for o in orders), bool),
        )


@dataclass(frozen=True, eq=False)
class Pairs:
    """Eligible pairs (borderline ones still to confirm)."""

    order: np.ndarray  # order index
    row: np.ndarray  # main-table row of the index
    score: np.ndarray
    borderline: np.ndarray
    cover: np.ndarray  # bitmask of required skills held (0 unless the order requires cover)
    # Rank within the order by (score descending, row); pairs are sorted by (order, cover,
    # score descending, row), so for single-skill orders it is the position in the order.
    rank: np.ndarray | None = None

    def take(self, sel) -> Pairs:
        return Pairs(
            *(
                None if (a := getattr(self, f)) is None else a[sel]
                for f in self.__dataclass_fields__
            )
        )

    @staticmethod
    def concat(parts: list[Pairs]) -> Pairs:
        names = list(Pairs.__dataclass_fields__)
        if not parts:
            z = np.zeros(0, dtype=np.int32)
            return Pairs(z, z, z.astype(float), z.astype(bool), z, z)
        return Pairs(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))

    def ranked(self, n_required: np.ndarray, params: MatchParams) -> Pairs:
        """Sorted by (order, cover, score descending, row) (main rows are sorted by id, so row
        order is id order), with ``rank`` set."""
        p = self.take(_sort_keys(self.order, self.cover, self.score, self.row, params))
        rank = _positions(p.order)
        multi = np.flatnonzero(n_required[p.order] > 1)
        if len(multi):  # sorted by cover pattern first: ranked apart
            o = multi[
                _sort_keys(
                    p.order[multi],
                    p.cover[multi],
                    p.score[multi],
                    p.row[multi],
                    params,
                    by_cover=False,
                )
            ]
            rank[o] = _positions(p.order[o])
        return Pairs(p.order, p.row, p.score, p.borderline, p.cover, rank.astype(np.int32))


def _positions(group: np.ndarray) -> np.ndarray:
    """Position of each row within its run of equal ``group`` values."""
    n = len(group)
    first = np.ones(n, dtype=bool)
    first[1:] = group[1:] != group[:-1]
    starts = np.flatnonzero(first)
    return np.arange(n) - np.repeat(starts, np.diff(np.append(starts, n)))


def _sort_keys(order, cover, score, row, params: MatchParams, *, by_cover: bool = True):
    """Argsort by (order, cover, score descending, row); one int64 key when the bits fit."""
    n = len(order)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    s_int = np.rint(score * 10**params.score_decimals).astype(np.int64)
    s_int = s_int.max() - s_int  # descending
    widths = [int(a.max()).bit_length() for a in (order, cover, s_int, row)]
    if not by_cover:
        widths[1] = 0
    if sum(widths) > 62 or s_int.min() < 0:
        return np.lexsort((row, s_int, cover if by_cover else np.zeros(n, np.int64), order))
    key = order.astype(np.int64)
    for a, w in zip((cover, s_int, row), widths[1:], strict=True):
        key = (key << w) | a if w else key
    return np.argsort(key)  # keys are unique (row is part of them)


def eligible_pairs(
    index: VolunteerIndex, orders: Sequence[OrderRequest], cols: OrderColumns, params: MatchParams
) -> Pairs:
    """Every pair passing the hard constraints up to the borderline check (see module doc)."""
    table = index.table
    static = index._static if params.shape_key() == index.params.shape_key() else None
    entry_key, entry_row, _, entry_bits = _layout(index)
    r_order, r_lo, r_hi, r_bit = _ranges(index, cols, params)
    if len(r_order) == 0 or table.n == 0:
        return Pairs.concat([])
    lo = np.searchsorted(entry_key, r_lo, side="left")
    hi = np.searchsorted(entry_key, r_hi, side="right")
    lens = hi - lo
    keep = lens > 0
    r_order, r_bit, lo, lens = r_order[keep], r_bit[keep], lo[keep], lens[keep]
    # Chunks of whole orders, each with about _CHUNK_PAIRS gathered entries.
    per_order = np.bincount(r_order, weights=lens, minlength=len(cols.ctx))
    cum = np.cumsum(per_order)
    cuts = np.searchsorted(cum, np.arange(_CHUNK_PAIRS, cum[-1] + _CHUNK_PAIRS, _CHUNK_PAIRS))
    bounds = np.unique(np.concatenate(([0], np.minimum(cuts + 1, len(cols.ctx)))))
    range_bounds = np.searchsorted(r_order, bounds)
    hours = [np.ascontiguousarray(cols.hours[:, w]) for w in range(3)]
    parts = []
    for a, b in itertools.pairwise(range_bounds):
        if a == b:
            continue
        ln = lens[a:b]
        total = int(ln.sum())
        starts = np.repeat(lo[a:b] - np.concatenate(([0], np.cumsum(ln)[:-1])), ln)
        pos = starts + np.arange(total)
        order = np.repeat(r_order[a:b], ln)
        # Availability prefilter on the entries' hour bitmaps (exact for on-the-hour rows).
        ok = np.ones(total, dtype=bool)
        for w in range(3):
            need = hours[w][order]
            ok &= (entry_bits[w][pos] & need) == need
        sel = np.flatnonzero(ok)
        rows = entry_row[pos[sel]]
        order = order[sel]
        bits = np.repeat(r_bit[a:b], ln)[sel]
        pairs = _evaluate(index, table, order, rows, bits, cols, params, static)
        # Chunks hold whole orders; only orders requiring cover rank their cover patterns apart.
        parts.append(pairs.ranked(np.where(cols.cover_all, cols.n_required, 1), params))
    return Pairs.concat(parts)


def _ranges(index: VolunteerIndex, cols: OrderColumns, params: MatchParams):
    """Key ranges (order, lo key, hi key, skill bit) of all active orders, sorted by order.

    One range per (order, required skill, radius class, grid row of the box around the cap
    of radius min(order maximum, class maximum) plus the borderline band); the column range is
    one interval, or two across the antimeridian (those few, and boxes reaching a pole, take
    the index's scalar geometry).
    """
    # Items: (order, skill bit, skill slot) for every active order's known skill ...
    o_idx, o_bit, o_slot = [], [], []
    for i, c in enumerate(cols.ctx):
        if not cols.active[i]:
            continue
        for bit, sk in enumerate(c.skill_ids):
            slot = index._slot_of_skill.get(int(sk))
            if slot is not None:
                o_idx.append(i)
                o_bit.append(bit)
                o_slot.append(slot)
    o_idx = np.array(o_idx, dtype=np.int64)
    o_bit = np.array(o_bit, dtype=np.int64)
    o_slot = np.array(o_slot, dtype=np.int64)
    # ... times the radius classes present in the layout.
    upper = np.concatenate((_RADIUS_CLASSES, [np.inf]))
    present = _layout(index)[2]
    item = np.repeat(np.arange(len(o_idx)), len(present))
    cls = np.tile(present, len(o_idx))
    oi = o_idx[item]
    limit = np.minimum(cols.max_km[oi], upper[cls])
    radius = limit * (1 + params.borderline_rel) + params.borderline_abs_km
    lat = np.array([c.order.lat for c in cols.ctx], dtype=np.float64)[oi]
    lng = np.array([c.order.lng for c in cols.ctx], dtype=np.float64)[oi]
    alpha = radius / EARTH_RADIUS_KM
    dlat = np.degrees(alpha) + _EPS_DEG
    lat_lo, lat_hi = lat - dlat, lat + dlat
    widest = np.cos(np.radians(np.maximum(np.abs(lat_lo), np.abs(lat_hi))))
    with np.errstate(divide="ignore", invalid="ignore"):
        dlng = np.degrees(np.arcsin(np.minimum(1.0, np.sin(alpha) / widest))) + _EPS_DEG
    lo_l, hi_l = lng - dlng, lng + dlng
    easy = (
        (lat_lo > -90)
        & (lat_hi < 90)
        & (alpha < np.pi / 2)
        & (dlng < 180)
        & (np.floor((lo_l + 180) / 360) == np.floor((hi_l + 180) / 360))
    )
    r_lo = index._cells(np.maximum(lat_lo, -90.0), 0.0)[0]
    r_hi = index._cells(np.minimum(lat_hi, 90.0), 0.0)[0]
    c_lo = index._cells(0.0, lo_l)[1]
    c_hi = index._cells(0.0, hi_l)[1]
    q = (cols.week_begin // _SLOT_MIN)[oi]
    slot = o_slot[item]
    bit = o_bit[item]
    e = np.flatnonzero(easy)
    n_rows = (r_hi - r_lo + 1)[e]
    rep = np.repeat(e, n_rows)
    grow = r_lo[rep] + np.arange(int(n_rows.sum())) - np.repeat(np.cumsum(n_rows) - n_rows, n_rows)
    parts = [
        (
            oi[rep],
            _key(index, slot[rep], q[rep], cls[rep], grow, c_lo[rep]),
            _key(index, slot[rep], q[rep], cls[rep], grow, c_hi[rep]),
            bit[rep],
        )
    ]
    for k in np.flatnonzero(~easy):  # antimeridian or pole: the index's own geometry
        grid_rows, c0, c1 = index._geometry(cols.ctx[int(oi[k])], float(radius[k]))
        r = grid_rows[:, None]
        lo = _key(index, slot[k], q[k], cls[k], r, c0[None, :]).ravel()
        hi = _key(index, slot[k], q[k], cls[k], r, c1[None, :]).ravel()
        parts.append((np.full(len(lo), oi[k]), lo, hi, np.full(len(lo), bit[k])))
    out = [np.concatenate([p[j] for p in parts]).astype(np.int64) for j in range(4)]
    o = np.argsort(out[0])
    return tuple(a[o] for a in out)


def _key(index: VolunteerIndex, slot, q, cls, grow, gcol):
    key = (np.asarray(slot) * _SLOTS + q) * (len(_RADIUS_CLASSES) + 1) + cls
    return (key * index._nrows + grow) * index._ncols + gcol


def _layout(index: VolunteerIndex):
    """Entries (row, skill, weekly time slot touched by its availability, radius class),
    sorted by key with the grid cell.

    A volunteer is filed under every ``_SLOT_MIN``-minute slot of the week that its weekly
    availability touches, so an order only scans the slot holding its start minute: being
    available at that minute is necessary for covering the order. Inactive and removed rows
    are left out. Built once per index and cached on it.
    """
    cached = getattr(index, "_batch_layout", None)
    if cached is not None and cached[0] is index.table:
        return cached[1]
    table = index.table
    first = table.avail_start < MINUTES_PER_WEEK  # the second week only repeats the first
    a_row = table.avail_row[first].astype(np.int64)
    q0 = table.avail_start[first].astype(np.int64) // _SLOT_MIN
    q1 = (table.avail_end[first].astype(np.int64) - 1) // _SLOT_MIN
    n_q = np.minimum(q1 - q0 + 1, _SLOTS)
    live = table.active[a_row]
    if index._n_dead:
        live &= ~index._dead[a_row]
    a_row, q0, n_q = a_row[live], q0[live], n_q[live]
    rep_row = np.repeat(a_row, n_q)
    rep_q = (np.repeat(q0 - np.cumsum(n_q) + n_q, n_q) + np.arange(int(n_q.sum()))) % _SLOTS
    # One entry per (row, slot), then one per skill of the row.
    rq = np.sort(rep_row * _SLOTS + rep_q)  # nearly sorted already: intervals are by start
    if len(rq):
        rq = rq[np.concatenate(([True], rq[1:] != rq[:-1]))]
    rq_row, rq_q = rq // _SLOTS, rq % _SLOTS
    sk_lo = np.searchsorted(table.skill_row, rq_row.astype(table.skill_row.dtype), side="left")
    sk_hi = np.searchsorted(table.skill_row, rq_row.astype(table.skill_row.dtype), side="right")
    n_sk = sk_hi - sk_lo
    e_row = np.repeat(rq_row, n_sk)
    e_q = np.repeat(rq_q, n_sk)
    e_sk = table.skill_id[
        np.repeat(sk_lo - np.cumsum(n_sk) + n_sk, n_sk) + np.arange(int(n_sk.sum()))
    ]
    skills = np.array(sorted(index._slot_of_skill), dtype=np.int64)
    e_slot = np.searchsorted(skills, e_sk)
    # Per-row values computed once per volunteer, then gathered per entry.
    row_grow, row_gcol = index._cells(table.lat, table.lng)
    row_cls = np.searchsorted(_RADIUS_CLASSES, table.radius_km, side="left")
    # The key's low part (class, grid cell) is per row: computed once per volunteer, then
    # one gather per entry (the same integers as ``_key``).
    row_part = _key(index, 0, 0, row_cls, row_grow, row_gcol)
    keys = _key(index, e_slot, e_q, 0, 0, 0)
    keys += row_part[e_row]
    present = np.flatnonzero(np.bincount(row_cls[rq_row[n_sk > 0]]))
    o = np.argsort(keys)  # ties (one cell) in any order: pairs are ranked later
    e_row = e_row[o]
    keys = keys[o]
    hour_bits = table.hour_bitmap()[0]
    words = [np.ascontiguousarray(hour_bits[:, w])[e_row] for w in range(3)]
    result = (keys, e_row, present, words)
    index._batch_layout = (table, result)
    return result


def _evaluate(index, table: VolunteerTable, order, rows, bits, cols: OrderColumns, params, static):
    # Cheap prefilter on squared chords (limit + band grows with the limit, and the chord with
    # the distance, so the pair's bound is the smaller of the two sides' bounds), with slack;
    # the exact spherical test runs on the survivors.
    ux, uy, uz = table.unit_xyz()
    # One-dimensional takes: much faster than taking rows of the (n, 3) array.
    dx = ux[rows] - cols.unit[:, 0][order]
    chord2 = dx * dx
    dy = uy[rows] - cols.unit[:, 1][order]
    chord2 += dy * dy
    dz = uz[rows] - cols.unit[:, 2][order]
    chord2 += dz * dz
    keep = chord2 <= np.minimum(_chord2_bound(table.radius_km, params)[rows], cols.chord2[order])
    if index._n_dead:  # the cached layout may predate a removal
        keep &= ~index._dead[rows]
    sel = np.flatnonzero(keep)
    order, rows, bits, chord2 = order[sel], rows[sel], bits[sel], chord2[sel]
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(np.sqrt(chord2) / 2, 1.0))
    limit = np.minimum(table.radius_km[rows], cols.max_km[order])
    band = params.borderline_rel * limit + params.borderline_abs_km
    sel = np.flatnonzero(dist <= limit + band)
    # The limit and band only decide the borderline flag: carried as that flag from here.
    border = dist > limit - band
    del limit, band
    order, rows, bits, dist, border = (a[sel] for a in (order, rows, bits, dist, border))
    # Multi-skill orders list a volunteer once per shared skill: merge, OR the skill bits
    # into the first listing and drop the others with the failed checks (one selection).
    multi = cols.n_required[order] > 1
    cover = np.where(multi, np.left_shift(1, bits), 0)
    keep = np.ones(len(rows), dtype=bool)
    if multi.any():
        m_idx = np.flatnonzero(multi)
        key = order[m_idx] * np.int64(table.n + 1) + rows[m_idx]
        o = np.argsort(key)
        key, m_idx = key[o], m_idx[o]
        first = np.ones(len(key), dtype=bool)
        first[1:] = key[1:] != key[:-1]
        starts = np.flatnonzero(first)
        cover[m_idx[starts]] = np.bitwise_or.reduceat(cover[m_idx], starts)
        keep[m_idx[~first]] = False
    # The bitmap prefilter decided the on-the-hour rows; the others take the interval check.
    todo = np.flatnonzero(keep & ~table.hour_bitmap()[1][rows])
    if len(todo):
        o = order[todo]
        keep[todo] = table.availability_covers(rows[todo], cols.week_begin[o], cols.week_end[o])
    keep &= ~table.blacked_out_pairs(rows, cols.days[order])
    _keep_qualified(table, keep, order, rows, cols)
    conflict = table.commitment_conflict(
        rows, cols.start_s[order], cols.end_s[order], params.buffer_seconds
    )
    if conflict.any() and len(table.commit_order):
        conflict &= ~_own_order_only(table, rows, order, conflict, cols, params)
    keep &= ~conflict
    sel = np.flatnonzero(keep)
    order, rows, dist, border, multi, cover = (
        a[sel] for a in (order, rows, dist, border, multi, cover)
    )
    matched = np.ones(len(rows), dtype=np.int64)
    m_idx = np.flatnonzero(multi)
    if len(m_idx):
        matched[m_idx] = _popcount(cover[m_idx])
        # The cover bits matter to the solvers only where the order requires cover.
        cover[m_idx[~cols.cover_all[order[m_idx]]]] = 0
    if static is None:
        from matching.pipeline import static_parts

        fair, rel = static_parts(table, rows, params)
    else:
        fair, rel = static[0][rows], static[1][rows]
    same_comm = table.community_id[rows] == cols.community[order]
    same_street = table.street_id[rows] == cols.street[order]
    scores = scoring.total_score(
        scoring.skill_value(matched, cols.n_required[order]),
        scoring.proximity_value(dist, params),
        fair,
        rel,
        scoring.locality_value(same_comm, same_street, params),
        params,
    )
    # Narrow dtypes: these arrays are sorted and gathered a few times over millions of pairs.
    return Pairs(
        order.astype(np.int32),
        rows.astype(np.int32),
        scores,
        border,
        cover.astype(np.int32),
    )


def _keep_qualified(table: VolunteerTable, keep, order, rows, cols: OrderColumns) -> None:
    """Clear ``keep`` for pairs whose order requires a credential or insurance the volunteer
    lacks on one of its local dates (only the pairs of orders that require them are looked at)."""
    for kind, needs in cols.needs_credential.items():
        p = np.flatnonzero(keep & needs[order])
        keep[p] = table.credential_valid_through(kind)[rows[p]] >= cols.last_day[order[p]]
    if cols.needs_insurance.any():
        p = np.flatnonzero(keep & cols.needs_insurance[order])
        o = order[p]
        keep[p] = table.insured(rows[p], cols.first_day[o], cols.last_day[o])


def _chord2_bound(limit_km, params: MatchParams) -> np.ndarray:
    """Squared chord of limit + band, slightly widened (a prefilter bound, never too tight)."""
    reach = np.asarray(limit_km, dtype=np.float64) * (1 + params.borderline_rel)
    reach = reach + params.borderline_abs_km
    half = np.minimum(reach / (2 * EARTH_RADIUS_KM), np.pi / 2)
    return (2 * np.sin(half)) ** 2 * (1 + 1e-9) + 1e-15


def _popcount(x: np.ndarray) -> np.ndarray:
    count = np.zeros(len(x), dtype=np.int64)
    x = x.copy()
    while x.any():
        count += x & 1
        x >>= 1
    return count


def _own_order_only(table, rows, order, conflict, cols: OrderColumns, params):
    """Conflicting pairs whose only conflicting commitment is to that very order."""
    fix = np.zeros(len(rows), dtype=bool)
    order_ids = np.array([c.order.id for c in cols.ctx], dtype=np.int64)
    has_own = np.zeros(len(rows), dtype=bool)
    cand = np.flatnonzero(conflict & np.isin(order_ids[order], table.commit_order))
    for p in cand:
        own = table.rows_committed_to(int(order_ids[order[p]]))
        if rows[p] in own:
            has_own[p] = True
    for p in np.flatnonzero(has_own):
        ctx = cols.ctx[int(order[p])]
        one = np.array([rows[p]])
        fix[p] = _only_own_order_conflicts(table, one, np.array([True]), ctx, params)[0]
    return fix
