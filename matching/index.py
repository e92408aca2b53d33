"""``VolunteerIndex``: per-order top-k over up to millions of volunteers, updatable in place.

Layout. Every (volunteer, skill) pair is an *entry* keyed by (skill, tier, grid row, grid column)
and the entries are sorted by that key, so "volunteers with skill s in tier t inside a lat/lng
box" is a handful of contiguous slices found with one ``searchsorted``. Each entry also carries
its volunteer's weekly hour bitmap and a float32 unit vector and reach, so availability and
distance prefilters run on the slices before any volunteer row is read. Tiers (optional, one
by default) group volunteers by their order-independent score (fairness + reliability); a query
scans tiers best-first and stops as soon as the k-th best confirmed score beats every remaining
tier's upper bound, without changing the answer.

Updates. ``add`` / ``update`` / ``remove`` never rebuild: removed or replaced rows get a
tombstone and new versions go to a small delta table that every query scans in full. When the
delta or the tombstones grow past a threshold the index compacts (an amortized rebuild).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

import numpy as np

from matching import scoring
from matching.candidates import build_candidates
from matching.geo import EARTH_RADIUS_KM, geodesic_km
from matching.geo_arrays import vincenty_km
from matching.params import DEFAULT_PARAMS, MatchParams
from matching.pipeline import (
    Evaluated,
    OrderContext,
    evaluate_rows,
    exact_within,
    rank_order,
    select_top,
    static_parts,
)
from matching.table import VolunteerTable
from matching.types import Candidate, DistanceFn, OrderRequest, VolunteerSnapshot

_EPS_DEG = 1e-9


def _chord2_bound(limit_km, params: MatchParams):
    """Squared chord of a distance limit plus its borderline band (a prefilter bound)."""
    reach = np.asarray(limit_km, dtype=np.float64) * (1 + params.borderline_rel)
    half = np.minimum((reach + params.borderline_abs_km) / (2 * EARTH_RADIUS_KM), np.pi / 2)
    return (2 * np.sin(half)) ** 2


def _hour_mask(begin_min: int, end_min: int) -> list[np.uint64]:
    """The 3 words of hour bits a window [begin, end) (minutes of the local week) touches."""
    words = [0, 0, 0]
    first, last = begin_min // 60, (end_min - 1) // 60
    for h in range(first, min(last, first + 167) + 1):
        h %= 168
        words[h // 64] |= 1 << (h % 64)
    return [np.uint64(w) for w in words]


_GUARD_KM = 1e-6  # 1 mm: Vincenty decides limits farther than this (its error is < 0.1 mm)


def _within_limits(tab, rows, ctx, limits, distance) -> np.ndarray:
    """Borderline rows decided as ``exact_within`` would, in bulk: vectorized Vincenty for
    those farther than 1 mm from their limit (the batch graph's rule), the geodesic for the
    rest (and for every row with a custom distance function)."""
    out = np.zeros(len(rows), dtype=bool)
    sure = np.zeros(len(rows), dtype=bool)
    if distance is None:
        d, ok = vincenty_km(
            tab.lat[rows],
            tab.lng[rows],
            np.full(len(rows), ctx.order.lat),
            np.full(len(rows), ctx.order.lng),
        )
        sure = ok & (np.abs(d - limits) > _GUARD_KM)
        out[sure] = d[sure] <= limits[sure]
    for i in np.flatnonzero(~sure).tolist():
        out[i] = exact_within(tab, int(rows[i]), ctx, float(limits[i]), distance)[0]
    return out


class VolunteerIndex:
    """Spatial, skill- and tier-partitioned index over volunteers (see module docstring)."""

    def __init__(
        self,
        table: VolunteerTable | None = None,
        params: MatchParams = DEFAULT_PARAMS,
        *,
        cell_deg: float = 0.02,
        tiers: int | None = None,
        max_delta: int | None = None,
    ) -> None:
        self.params = params
        self.cell_deg = cell_deg
        self._tiers_wanted = tiers
        self._max_delta_wanted = max_delta
        self._nrows = math.ceil(180 / cell_deg) + 1
        self._ncols = math.ceil(360 / cell_deg) + 1
        self._delta: dict[int, VolunteerSnapshot] = {}
        self._delta_table: VolunteerTable | None = None
        self._rebuild(table if table is not None else VolunteerTable.from_snapshots([]))

    # ----------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        volunteers: Iterable[VolunteerSnapshot] | VolunteerTable,
        params: MatchParams = DEFAULT_PARAMS,
        **options,
    ) -> VolunteerIndex:
        """Index these volunteers (snapshots or a ready ``VolunteerTable``)."""
        table = (
            volunteers
            if isinstance(volunteers, VolunteerTable)
            else VolunteerTable.from_snapshots(list(volunteers))
        )
        return cls(table, params, **options)

    def _rebuild(self, table: VolunteerTable) -> None:
        order = np.argsort(table.ids, kind="stable")
        main = table.take(order) if not np.array_equal(order, np.arange(table.n)) else table
        if main.n > 1 and np.any(main.ids[1:] == main.ids[:-1]):
            raise ValueError("duplicate volunteer ids")
        self._main = main
        self._dead = np.zeros(main.n, dtype=bool)
        self._n_dead = 0
        self._static = static_parts(main, np.arange(main.n), self.params)
        # One tier by default: with the hour-bitmap prefilter a full scan of the cap is cheaper
        # than the extra pass over the other tiers (measured at 1M); more tiers still work.
        n_tiers = self._tiers_wanted or 1
        self._n_tiers = n_tiers
        self._max_delta = self._max_delta_wanted or max(1_000, main.n // 100)
        w = self.params.weights
        static_score = w.fairness * self._static[0] + w.reliability * self._static[1]
        if n_tiers > 1 and main.n:
            edges = np.quantile(static_score, np.linspace(0, 1, n_tiers + 1)[1:-1])
            tier = (n_tiers - 1 - np.searchsorted(edges, static_score, side="right")).astype(
                np.int64
            )
        else:
            tier = np.zeros(main.n, dtype=np.int64)
        self._tier_fair_max = np.zeros(n_tiers)
        self._tier_rel_max = np.zeros(n_tiers)
        np.maximum.at(self._tier_fair_max, tier, self._static[0])
        np.maximum.at(self._tier_rel_max, tier, self._static[1])
        skills = np.unique(main.skill_id)
        self._slot_of_skill = {int(s): i for i, s in enumerate(skills)}
        slot = np.searchsorted(skills, main.skill_id)
        rows = main.skill_row.astype(np.int64)
        grow, gcol = self._cells(main.lat[rows], main.lng[rows])
        keys = self._key(slot, tier[rows], grow, gcol)
        o = np.argsort(keys, kind="stable")
        self._entry_key = keys[o]
        self._entry_row = rows[o]
        # Per entry, the row's weekly hour bitmap (one array per 64-bit word): the availability
        # prefilter runs on the gathered slices without touching the rows.
        bits, self._avail_exact = main.hour_bitmap()
        self._entry_bits = [np.ascontiguousarray(bits[self._entry_row, w]) for w in range(3)]
        # And float32 copies of its unit vector and of the squared chord of its own radius
        # (plus band): a distance prefilter on the slices, again before any row is read.
        self._entry_xyz = [c[self._entry_row].astype(np.float32) for c in main.unit_xyz()]
        self._entry_reach2 = _chord2_bound(main.radius_km, self.params)[self._entry_row].astype(
            np.float32
        )

    def _cells(self, lat, lng):
        grow = np.clip(np.floor((np.asarray(lat) + 90.0) / self.cell_deg), 0, self._nrows - 1)
        gcol = np.floor(np.mod(np.asarray(lng) + 180.0, 360.0) / self.cell_deg)
        return grow.astype(np.int64), np.clip(gcol, 0, self._ncols - 1).astype(np.int64)

    def _key(self, slot, tier, grow, gcol):
        return ((np.asarray(slot) * self._n_tiers + tier) * self._nrows + grow) * self._ncols + gcol

    # ----------------------------------------------------------------- updates

    def __len__(self) -> int:
        return self._main.n - self._n_dead + len(self._delta)

    def __contains__(self, volunteer_id: int) -> bool:
        return volunteer_id in self._delta or self._main_row(volunteer_id) is not None

    def _main_row(self, volunteer_id: int) -> int | None:
        i = int(np.searchsorted(self._main.ids, volunteer_id))
        if i < self._main.n and self._main.ids[i] == volunteer_id and not self._dead[i]:
            return i
        return None

    def add(self, volunteer: VolunteerSnapshot) -> None:
        """Add a new volunteer; raises ``KeyError`` if the id is already indexed."""
        if volunteer.id in self:
            raise KeyError(f"volunteer {volunteer.id} already indexed")
        self._put_delta(volunteer)

    def update(self, volunteer: VolunteerSnapshot) -> None:
        """Replace a volunteer's snapshot; raises ``KeyError`` if the id is unknown."""
        self.remove(volunteer.id)
        self._put_delta(volunteer)

    def remove(self, volunteer_id: int) -> None:
        """Remove a volunteer; raises ``KeyError`` if the id is unknown."""
        if volunteer_id in self._delta:
            del self._delta[volunteer_id]
            self._delta_table = None
            return
        row = self._main_row(volunteer_id)
        if row is None:
            raise KeyError(f"volunteer {volunteer_id} not indexed")
        self._dead[row] = True
        self._n_dead += 1
        if self._n_dead > max(self._max_delta, self._main.n // 10):
            self.compact()

    def _put_delta(self, volunteer: VolunteerSnapshot) -> None:
        self._delta[volunteer.id] = volunteer
        self._delta_table = None
        if len(self._delta) > self._max_delta:
            self.compact()

    def compact(self) -> None:
        """Fold the delta into the main layout and drop tombstones (an amortized rebuild)."""
        live = self._main.take(np.flatnonzero(~self._dead))
        delta = VolunteerTable.from_snapshots(list(self._delta.values()))
        self._delta = {}
        self._delta_table = None
        self._rebuild(VolunteerTable.concat([live, delta]))

    @property
    def table(self) -> VolunteerTable:
        """The main table (call ``compact`` first to include recent updates)."""
        return self._main

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays (main table, layout, delta excluded)."""
        arrays = [v for v in vars(self._main).values() if isinstance(v, np.ndarray)]
        cached = [a for v in vars(self._main).values() if isinstance(v, tuple) for a in v]
        cached += [a for v in vars(self._main).values() if isinstance(v, dict) for a in v.values()]
        own = [
            *self._entry_xyz,
            self._entry_reach2,
            self._entry_key,
            self._entry_row,
            self._dead,
            *self._static,
            *self._entry_bits,
            self._avail_exact,
        ]
        return sum(a.nbytes for a in arrays + cached + own if isinstance(a, np.ndarray))

    @property
    def delta_size(self) -> int:
        """Volunteers waiting in the delta buffer."""
        return len(self._delta)

    def _delta_tab(self) -> VolunteerTable:
        if self._delta_table is None:
            self._delta_table = VolunteerTable.from_snapshots(
                sorted(self._delta.values(), key=lambda v: v.id)
            )
        return self._delta_table

    # ----------------------------------------------------------------- queries

    def top_k(
        self,
        order: OrderRequest,
        k: int = 20,
        params: MatchParams | None = None,
        now: datetime | None = None,
        distance: DistanceFn | None = None,
    ) -> list[Candidate]:
        """The k best eligible volunteers for an order, best first, ties by ascending id.

        ``distance(lat1, lng1, lat2, lng2) -> km`` replaces the geodesic for the radius decision
        and the reported distance; it must never be shorter than the great-circle distance
        (true of road or travel distance), because the spherical prefilter relies on it.
        """
        params = params or self.params
        ctx = OrderContext.of(order, params, now)
        picks = self._search(ctx, k, params, distance)
        return build_candidates(picks, ctx, params)

    def eligible_ids(
        self,
        order: OrderRequest,
        params: MatchParams | None = None,
        now: datetime | None = None,
        *,
        extra_km: float = 0.0,
        distance: DistanceFn | None = None,
    ) -> list[int]:
        """Ids of every eligible volunteer, with both distance limits widened by ``extra_km``."""
        params = params or self.params
        ctx = OrderContext.of(order, params, now)
        out = [tab.ids[rows] for tab, rows in self._eligible_rows(ctx, params, extra_km, distance)]
        return sorted(int(i) for i in np.concatenate(out)) if out else []

    def eligible_count(
        self,
        order: OrderRequest,
        params: MatchParams | None = None,
        now: datetime | None = None,
        *,
        extra_km: float = 0.0,
    ) -> int:
        """How many volunteers ``eligible_ids`` would list, without building the list."""
        params = params or self.params
        ctx = OrderContext.of(order, params, now)
        return sum(len(rows) for _, rows in self._eligible_rows(ctx, params, extra_km, None))

    def count_and_top(
        self,
        order: OrderRequest,
        k: int = 20,
        params: MatchParams | None = None,
        now: datetime | None = None,
    ) -> tuple[int, list[Candidate]]:
        """``eligible_count`` and ``top_k`` from one evaluation of the candidate rows (the
        preview shows both; evaluating once halves its cost)."""
        params = params or self.params
        ctx = OrderContext.of(order, params, now)
        evaluations = self._evaluate_all(ctx, params, 0.0, False)
        count = 0
        for tab, ev in evaluations:
            todo = np.flatnonzero(ev.borderline)
            count += len(ev.rows) - len(todo)
            count += int(_within_limits(tab, ev.rows[todo], ctx, ev.limit_km[todo], None).sum())
        picks = self._picks(evaluations, ctx, k, None) if k > 0 else []
        return count, build_candidates(picks, ctx, params)

    def is_eligible(
        self,
        volunteer_id: int,
        order: OrderRequest,
        params: MatchParams | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Whether one indexed volunteer may take the order (``check_eligibility``'s verdict;
        False for a volunteer the index does not hold)."""
        params = params or self.params
        ctx = OrderContext.of(order, params, now)
        if volunteer_id in self._delta:
            tab = self._delta_tab()
            row = int(np.searchsorted(tab.ids, volunteer_id))
        else:
            tab, row = self._main, self._main_row(volunteer_id)
            if row is None:
                return False
        matched = np.array([np.isin(tab.skills_of(row), ctx.skill_ids).sum()], dtype=np.int64)
        ev = evaluate_rows(tab, np.array([row], dtype=np.int64), matched, ctx, params)
        if len(ev.rows) == 0:
            return False
        return not ev.borderline[0] or exact_within(tab, row, ctx, float(ev.limit_km[0]), None)[0]

    def _eligible_rows(self, ctx, params, extra_km, distance):
        """(table, rows) of every eligible volunteer: borderline distances decided exactly."""
        for tab, ev in self._evaluate_all(ctx, params, extra_km, distance is not None):
            keep = ~ev.borderline
            todo = np.flatnonzero(ev.borderline)
            if len(todo):
                keep[todo] = _within_limits(tab, ev.rows[todo], ctx, ev.limit_km[todo], distance)
            yield tab, ev.rows[keep]

    # ----------------------------------------------------------------- internals

    def _search(
        self,
        ctx: OrderContext,
        k: int,
        params: MatchParams,
        distance: DistanceFn | None,
        *,
        show_distance: bool = True,
    ):
        """Best-first over tiers; returns [(table, evaluated, position, shown_distance)]."""
        if k <= 0:
            return []
        custom = distance is not None
        static = self._static if params.shape_key() == self.params.shape_key() else None
        bounds = None
        if static is not None and not custom:
            per_tier = np.array(
                [
                    scoring.score_upper_bound(params, fairness_max=f, reliability_max=r)
                    for f, r in zip(self._tier_fair_max, self._tier_rel_max, strict=True)
                ]
            )
            bounds = np.maximum.accumulate(per_tier[::-1])[::-1] + 1e-6  # rounding slack
        delta_ev = self._evaluate_delta(ctx, params, 0.0, custom)
        main_parts: list[Evaluated] = []
        definite = [delta_ev.scores[~delta_ev.borderline]]
        geometry = self._geometry(ctx, ctx.search_radius_km(params, 0.0))
        # The best tier first; if its k-th confirmed score does not beat the bound of every other
        # tier, the rest in one pass (per-pass overhead matters more than a few extra rows).
        passes = [[0], list(range(1, self._n_tiers))] if self._n_tiers > 1 else [[0]]
        for tiers in passes:
            t = tiers[0]
            if bounds is not None and t > 0:
                sure = np.concatenate(definite)
                if len(sure) >= k and np.partition(sure, len(sure) - k)[len(sure) - k] > bounds[t]:
                    break
            ev = self._evaluate_tier(ctx, params, tiers, geometry, 0.0, static, custom)
            main_parts.append(ev)
            definite.append(ev.scores[~ev.borderline])
        main_ev = Evaluated.concat(main_parts)
        return self._picks(
            [(self._main, main_ev), (self._delta_tab(), delta_ev)],
            ctx,
            k,
            distance,
            show_distance=show_distance,
        )

    def _picks(self, evaluations, ctx, k, distance, *, show_distance: bool = True):
        """The k best of evaluated rows: [(table, evaluated, position, shown_distance)]."""
        picks = []
        for tab, ev in evaluations:
            positions, exact = select_top(tab, ev, ctx, k, distance)
            for p in positions:
                p = int(p)
                shown = exact.get(p)
                if shown is None and show_distance:
                    shown = (distance or geodesic_km)(
                        float(tab.lat[ev.rows[p]]),
                        float(tab.lng[ev.rows[p]]),
                        ctx.order.lat,
                        ctx.order.lng,
                    )
                picks.append((tab, ev, p, shown))
        if self._delta:
            ids = np.array([int(tab.ids[ev.rows[p]]) for tab, ev, p, _ in picks], dtype=np.int64)
            scores = np.array([float(ev.scores[p]) for _, ev, p, _ in picks])
            picks = [picks[i] for i in rank_order(ids, scores)[:k]]
        return picks

    def _evaluate_all(self, ctx, params, extra_km, custom):
        static = self._static if params.shape_key() == self.params.shape_key() else None
        geometry = self._geometry(ctx, ctx.search_radius_km(params, extra_km))
        main = self._evaluate_tier(
            ctx, params, list(range(self._n_tiers)), geometry, extra_km, static, custom
        )
        return [
            (self._main, main),
            (self._delta_tab(), self._evaluate_delta(ctx, params, extra_km, custom)),
        ]

    def _evaluate_delta(self, ctx, params, extra_km, custom) -> Evaluated:
        tab = self._delta_tab()
        if tab.n == 0:
            return Evaluated.empty()
        matched = tab.matched_skill_counts(ctx.skill_ids)
        rows = np.flatnonzero(matched > 0)
        return evaluate_rows(
            tab, rows, matched[rows], ctx, params, extra_km=extra_km, all_borderline=custom
        )

    def _evaluate_tier(self, ctx, params, tiers, geometry, extra_km, static, custom) -> Evaluated:
        slots = [
            self._slot_of_skill[s] for s in ctx.order.required_skills if s in self._slot_of_skill
        ]
        if not slots or self._main.n == 0:
            return Evaluated.empty()
        pos = self._gather(slots, tiers, geometry)
        need = _hour_mask(ctx.week_begin, ctx.week_end)
        ok = np.ones(len(pos), dtype=bool)
        for w in range(3):
            if need[w]:
                ok &= (self._entry_bits[w][pos] & need[w]) == need[w]
        pos = pos[ok]
        same_band = (params.borderline_rel, params.borderline_abs_km) == (
            self.params.borderline_rel,
            self.params.borderline_abs_km,
        )
        if extra_km == 0.0 and not custom and same_band:
            # Squared chord within min(own reach, order reach), in float32: the relative and
            # absolute slack (about 200 m) cover its rounding many times over.
            x, y, z = (c[pos] for c in self._entry_xyz)
            u = ctx.unit.astype(np.float32)
            d2 = (x - u[0]) ** 2 + (y - u[1]) ** 2 + (z - u[2]) ** 2
            order_reach2 = np.float32(_chord2_bound(ctx.order.max_distance_km, params))
            pos = pos[d2 <= np.minimum(self._entry_reach2[pos], order_reach2) * 1.001 + 1e-9]
        rows = self._entry_row[pos]
        if len(slots) > 1:
            rows, matched = np.unique(rows, return_counts=True)
        else:
            matched = np.ones(len(rows), dtype=np.int64)
        return evaluate_rows(
            self._main,
            rows,
            matched,
            ctx,
            params,
            dead=self._dead if self._n_dead else None,
            extra_km=extra_km,
            static=static,
            all_borderline=custom,
            avail_decided=self._avail_exact,
        )

    def _geometry(self, ctx: OrderContext, radius_km: float):
        """Grid rows and column ranges of a box around the spherical cap of this radius."""
        lat0, lng0 = ctx.order.lat, ctx.order.lng
        alpha = radius_km / EARTH_RADIUS_KM
        dlat = math.degrees(alpha) + _EPS_DEG
        lat_lo, lat_hi = lat0 - dlat, lat0 + dlat
        if lat_lo <= -90 or lat_hi >= 90 or alpha >= math.pi / 2:
            col_ranges = [(0, self._ncols - 1)]
        else:
            widest = math.cos(math.radians(max(abs(lat_lo), abs(lat_hi))))
            dlng = math.degrees(math.asin(min(1.0, math.sin(alpha) / widest))) + _EPS_DEG
            if dlng >= 180:
                col_ranges = [(0, self._ncols - 1)]
            else:
                lo, hi = lng0 - dlng, lng0 + dlng
                c_lo = int(self._cells(0.0, lo)[1])
                c_hi = int(self._cells(0.0, hi)[1])
                wraps = ((lo + 180.0) // 360.0) != ((hi + 180.0) // 360.0)
                col_ranges = [(c_lo, self._ncols - 1), (0, c_hi)] if wraps else [(c_lo, c_hi)]
        r_lo = int(self._cells(max(lat_lo, -90.0), 0.0)[0])
        r_hi = int(self._cells(min(lat_hi, 90.0), 0.0)[0])
        grid_rows = np.arange(r_lo, r_hi + 1, dtype=np.int64)
        c0 = np.array([c for c, _ in col_ranges], dtype=np.int64)
        c1 = np.array([c for _, c in col_ranges], dtype=np.int64)
        return grid_rows, c0, c1

    def _gather(self, slots: list[int], tiers: list[int], geometry) -> np.ndarray:
        grid_rows, c0, c1 = geometry
        slot = np.asarray(slots, dtype=np.int64)[:, None, None, None]
        tier = np.asarray(tiers, dtype=np.int64)[None, :, None, None]
        r = grid_rows[None, None, :, None]
        lo_keys = self._key(slot, tier, r, c0[None, None, None, :]).ravel()
        hi_keys = self._key(slot, tier, r, c1[None, None, None, :]).ravel()
        lo = np.searchsorted(self._entry_key, lo_keys, side="left")
        hi = np.searchsorted(self._entry_key, hi_keys, side="right")
        lens = hi - lo
        total = int(lens.sum())
        if total == 0:
            return np.zeros(0, dtype=np.int64)
        # Concatenate the ranges [lo, hi) without a Python loop: entry positions.
        starts = np.repeat(lo - np.concatenate(([0], np.cumsum(lens)[:-1])), lens)
        return starts + np.arange(total)
