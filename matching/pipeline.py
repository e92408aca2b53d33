"""The vectorized hot path: hard constraints and scores for many volunteer rows of one order.

``evaluate_rows`` is the single implementation used by the index, the simple ranking API and
the batch graph, so they cannot disagree. Distances here are spherical; rows whose distance is
within the borderline band of their limit are flagged, and callers re-decide those with the
exact distance function (geodesic by default) before anything is returned.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from matching import scoring
from matching.geo import EARTH_RADIUS_KM, geodesic_km
from matching.geo_arrays import unit_vectors
from matching.params import MatchParams
from matching.table import VolunteerTable
from matching.time_windows import epoch_seconds, local_dates, local_week_interval
from matching.types import DistanceFn, OrderRequest


@dataclass(frozen=True, eq=False)
class OrderContext:
    """Per-order values computed once before scanning volunteers."""

    order: OrderRequest
    unit: np.ndarray  # (3,)
    skill_ids: np.ndarray
    week_begin: int
    week_end: int
    day_ordinals: tuple[int, ...]
    start_s: int
    end_s: int
    started: bool
    credential_kinds: tuple[str, ...] = ()  # required, sorted
    requires_insurance: bool = False

    @property
    def first_day(self) -> int:
        """The order's first local date (ordinal)."""
        return self.day_ordinals[0]

    @property
    def last_day(self) -> int:
        """The order's last local date (ordinal)."""
        return self.day_ordinals[-1]

    @classmethod
    def of(
        cls,
        order: OrderRequest,
        params: MatchParams,
        now: datetime | None,
        *,
        unit: np.ndarray | None = None,
    ) -> OrderContext:
        """Precompute the order's unit vector (or take ``unit``, the same values computed for
        many orders at once), local week window, dates and epoch times."""
        begin, end = local_week_interval(order.start, order.end, params.utc_offset)
        return cls(
            order=order,
            unit=unit_vectors(order.lat, order.lng) if unit is None else unit,
            skill_ids=np.array(sorted(order.required_skills), dtype=np.int64),
            week_begin=begin,
            week_end=end,
            day_ordinals=tuple(
                d.toordinal() for d in local_dates(order.start, order.end, params.utc_offset)
            ),
            start_s=epoch_seconds(order.start),
            end_s=epoch_seconds(order.end),
            started=now is not None and order.start <= now,
            credential_kinds=tuple(sorted(order.required_credentials)),
            requires_insurance=order.requires_insurance,
        )

    def search_radius_km(self, params: MatchParams, extra_km: float) -> float:
        """Largest spherical distance that can still be eligible (limit plus band)."""
        limit = self.order.max_distance_km + extra_km
        return limit + params.borderline_rel * limit + params.borderline_abs_km


@dataclass(frozen=True, eq=False)
class Evaluated:
    """Rows that pass every hard constraint (up to the borderline re-check), with scores."""

    rows: np.ndarray
    scores: np.ndarray
    distance_km: np.ndarray  # spherical
    limit_km: np.ndarray
    borderline: np.ndarray
    matched: np.ndarray

    @classmethod
    def empty(cls) -> Evaluated:
        """No rows."""
        z = np.zeros(0)
        return cls(z.astype(np.int64), z, z, z, z.astype(bool), z.astype(np.int64))

    @staticmethod
    def concat(parts: list[Evaluated]) -> Evaluated:
        """Stack several results."""
        if not parts:
            return Evaluated.empty()
        names = ("rows", "scores", "distance_km", "limit_km", "borderline", "matched")
        return Evaluated(*(np.concatenate([getattr(p, n) for p in parts]) for n in names))


def static_parts(table: VolunteerTable, rows: np.ndarray, params: MatchParams):
    """Fairness and reliability values of these rows (they do not depend on the order)."""
    fair = scoring.fairness_value(table.recent_hours[rows], params)
    rel = scoring.reliability_value(
        table.completed[rows],
        table.no_shows[rows],
        table.rating_avg[rows],
        table.rating_count[rows],
        params,
    )
    return fair, rel


def evaluate_rows(
    table: VolunteerTable,
    rows: np.ndarray,
    matched: np.ndarray,
    ctx: OrderContext,
    params: MatchParams,
    *,
    dead: np.ndarray | None = None,
    extra_km: float = 0.0,
    static: tuple[np.ndarray, np.ndarray] | None = None,
    all_borderline: bool = False,
    avail_decided: np.ndarray | None = None,
) -> Evaluated:
    """Filter rows (which share >= 1 skill: ``matched`` >= 1) by the hard constraints and score them.

    ``static`` may hold precomputed (fairness, reliability) arrays for the whole table.
    ``all_borderline`` flags every row for re-check (used with a custom distance function).
    ``avail_decided`` (per table row) marks rows whose availability the caller has already
    confirmed exactly for these rows (the index's hour bitmap); the others are checked here.
    """
    if ctx.started or len(rows) == 0:
        return Evaluated.empty()
    order = ctx.order
    # Distance first: it is the most selective test on rows gathered from a bounding box.
    ux, uy, uz = table.unit_xyz()
    dx, dy, dz = ux[rows] - ctx.unit[0], uy[rows] - ctx.unit[1], uz[rows] - ctx.unit[2]
    chord = np.sqrt(dx * dx + dy * dy + dz * dz)
    dist = 2 * EARTH_RADIUS_KM * np.arcsin(np.minimum(chord / 2, 1.0))
    limit = np.minimum(table.radius_km[rows], order.max_distance_km) + extra_km
    band = params.borderline_rel * limit + params.borderline_abs_km
    keep = (dist <= limit + band) & table.active[rows] & (matched > 0)
    if dead is not None:
        keep &= ~dead[rows]
    rows, dist, limit, band, matched = (
        rows[keep],
        dist[keep],
        limit[keep],
        band[keep],
        matched[keep],
    )

    if avail_decided is None:
        keep = table.availability_covers(rows, ctx.week_begin, ctx.week_end)
    else:  # rows already passed an exact availability prefilter where the flag is set
        keep = avail_decided[rows].copy()
        todo = np.flatnonzero(~keep)
        if len(todo):
            keep[todo] = table.availability_covers(rows[todo], ctx.week_begin, ctx.week_end)
    keep &= ~table.blacked_out(rows, ctx.day_ordinals)
    # Qualifications: nothing runs when the order requires none. One gather per required kind
    # (on the rows within reach only), and a binary search for the rows still in the running.
    if ctx.credential_kinds:
        keep &= table.credentials_valid(rows, ctx.credential_kinds, ctx.last_day)
    if ctx.requires_insurance:
        alive = np.flatnonzero(keep)
        keep[alive] = table.insured(rows[alive], ctx.first_day, ctx.last_day)
    conflict = table.commitment_conflict(rows, ctx.start_s, ctx.end_s, params.buffer_seconds)
    if conflict.any():
        conflict &= ~_only_own_order_conflicts(table, rows, conflict, ctx, params)
    keep &= ~conflict
    rows, dist, limit, band, matched = (
        rows[keep],
        dist[keep],
        limit[keep],
        band[keep],
        matched[keep],
    )

    if static is None:
        fair, rel = static_parts(table, rows, params)
    else:
        fair, rel = static[0][rows], static[1][rows]
    same_comm = (
        (table.community_id[rows] == order.community_id)
        if order.community_id is not None
        else False
    )
    same_street = (
        (table.street_id[rows] == order.street_id) if order.street_id is not None else False
    )
    scores = scoring.total_score(
        scoring.skill_value(matched, len(ctx.skill_ids)),
        scoring.proximity_value(dist, params),
        fair,
        rel,
        scoring.locality_value(same_comm, same_street, params),
        params,
    )
    borderline = np.ones(len(rows), bool) if all_borderline else dist > limit - band
    return Evaluated(
        rows, np.broadcast_to(scores, rows.shape).copy(), dist, limit, borderline, matched
    )


def _only_own_order_conflicts(table, rows, conflict, ctx: OrderContext, params: MatchParams):
    """Rows whose only conflicting commitment is to this very order (already accepted it)."""
    own = table.rows_committed_to(ctx.order.id) if len(table.commit_order) else np.zeros(0, int)
    fix = np.zeros(len(rows), dtype=bool)
    if len(own) == 0:
        return fix
    buf = params.buffer_seconds
    for i in np.flatnonzero(conflict & np.isin(rows, own)):
        lo, hi = np.searchsorted(
            table.commit_row, np.array([rows[i], rows[i] + 1], dtype=table.commit_row.dtype)
        )
        others = [
            (s, e)
            for s, e, o in zip(
                table.commit_start[lo:hi],
                table.commit_end[lo:hi],
                table.commit_order[lo:hi],
                strict=True,
            )
            if o != ctx.order.id
        ]
        fix[i] = not any(s < ctx.end_s + buf and ctx.start_s < e + buf for s, e in others)
    return fix


def exact_within(
    table: VolunteerTable, row: int, ctx: OrderContext, limit_km: float, distance: DistanceFn | None
) -> tuple[bool, float]:
    """Re-decide one borderline row with the exact distance; returns (eligible, distance_km)."""
    fn = distance or geodesic_km
    d = fn(float(table.lat[row]), float(table.lng[row]), ctx.order.lat, ctx.order.lng)
    return d <= limit_km, d


def rank_order(ids: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Positions sorted by score descending, then id ascending (the stable tie-break)."""
    return np.lexsort((ids, -scores))


def select_top(
    table: VolunteerTable,
    ev: Evaluated,
    ctx: OrderContext,
    k: int,
    distance: DistanceFn | None,
) -> tuple[np.ndarray, dict[int, float]]:
    """Top-k positions of ``ev`` in rank order, borderline rows confirmed with the exact distance.

    Returns the positions and the exact distances already computed (by position).
    """
    m = len(ev.rows)
    if k <= 0 or m == 0:
        return np.zeros(0, dtype=np.int64), {}
    ids = table.ids[ev.rows]
    exact: dict[int, float] = {}
    rejected: set[int] = set()
    want = k
    while True:
        take = min(m, want + 8)
        if take < m:
            # Everything scoring at least the take-th best, so ties at the cut are all included.
            threshold = np.partition(ev.scores, m - take)[m - take]
            pool = np.flatnonzero(ev.scores >= threshold)
        else:
            pool = np.arange(m)
        ranked = pool[rank_order(ids[pool], ev.scores[pool])]
        chosen: list[int] = []
        for p in ranked:
            p = int(p)
            if p in rejected:
                continue
            if ev.borderline[p] and p not in exact:
                ok, d = exact_within(table, int(ev.rows[p]), ctx, float(ev.limit_km[p]), distance)
                exact[p] = d
                if not ok:
                    rejected.add(p)
                    continue
            chosen.append(p)
            if len(chosen) == k:
                return np.array(chosen, dtype=np.int64), exact
        if take == m:
            return np.array(chosen, dtype=np.int64), exact
        want = k + len(rejected) + want  # grow geometrically when many are rejected
