"""Columnar volunteer data and the vectorized hard-constraint checks that run on it.

A ``VolunteerTable`` holds one row per volunteer in numpy arrays; the list-valued fields
(skills, availability, blackout dates, commitments, credentials, insurance) are kept as
(row, value...) arrays sorted by row, so every check is a ``searchsorted`` over all candidate
rows at once (or, for credentials, one gather from a per-kind column built on first use).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from matching.geo_arrays import unit_vectors
from matching.time_windows import MINUTES_PER_DAY, MINUTES_PER_WEEK, epoch_seconds
from matching.types import VolunteerSnapshot

_AVAIL_SHIFT = 15  # two weeks of minutes (20160) < 2**15
_DAY_SHIFT = 20  # date ordinals (~740k today) < 2**20
_TIME_SHIFT = 34  # epoch seconds < 2**34 (year 2514)
_COVER_SHIFT = 22  # date ordinals up to date.max (3,652,059) < 2**22
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_NONE = -1  # community / street id meaning "unknown"
_HOURS = 7 * 24
_DENSE_WIDTH = 8  # availability intervals kept inline per row; more spill to a binary search


def _segment_starts(keys_sorted: np.ndarray) -> np.ndarray:
    """Boolean mask of positions that start a run of equal keys."""
    flag = np.ones(len(keys_sorted), dtype=bool)
    flag[1:] = keys_sorted[1:] != keys_sorted[:-1]
    return flag


def merge_week_windows(row, weekday, start_minute, end_minute):
    """Union of weekly windows per row, over two consecutive weeks, sorted by (row, start).

    Vectorized twin of ``time_windows.merged_week_intervals``: touching windows merge.
    """
    row = np.asarray(row, dtype=np.int64)
    s = np.asarray(weekday, dtype=np.int64) * MINUTES_PER_DAY + np.asarray(start_minute, np.int64)
    e = np.asarray(weekday, dtype=np.int64) * MINUTES_PER_DAY + np.asarray(end_minute, np.int64)
    row = np.concatenate([row, row])
    s = np.concatenate([s, s + MINUTES_PER_WEEK])
    e = np.concatenate([e, e + MINUTES_PER_WEEK])
    if len(row) == 0:
        return row.astype(np.int32), s.astype(np.int32), e.astype(np.int32)
    order = np.lexsort((s, row))
    row, s, e = row[order], s[order], e[order]
    # Running max of ends within each row: rows are sorted, so a shifted key keeps rows apart.
    running_end = np.maximum.accumulate((row << _AVAIL_SHIFT) | e) - (row << _AVAIL_SHIFT)
    new = np.ones(len(row), dtype=bool)
    new[1:] = (row[1:] != row[:-1]) | (s[1:] > running_end[:-1])
    starts = np.flatnonzero(new)
    return (
        row[starts].astype(np.int32),
        s[starts].astype(np.int32),
        np.maximum.reduceat(e, starts).astype(np.int32),
    )


def day_ordinals(values) -> np.ndarray:
    """Local dates as ``date.toordinal()`` int64: from dates, numpy datetime64 or ordinals."""
    arr = np.asarray(values)
    if arr.dtype.kind == "M":
        return arr.astype("datetime64[D]").astype(np.int64) + _EPOCH_ORDINAL
    if arr.dtype == object:
        return np.fromiter((d.toordinal() for d in arr), dtype=np.int64, count=len(arr))
    return arr.astype(np.int64)


def best_credentials(row, kind, valid_through):
    """Per (row, kind) the latest valid-through day, sorted by (row, kind), and the kinds.

    ``kind`` holds strings; the result codes them as indexes into the sorted tuple of kinds.
    """
    row = np.asarray(row, dtype=np.int64)
    until = day_ordinals(valid_through)
    kinds, code = np.unique(np.asarray(kind, dtype=str), return_inverse=True)
    code = code.reshape(-1).astype(np.int64)
    o = np.lexsort((until, code, row))
    row, code, until = row[o], code[o], until[o]
    last = np.ones(len(row), dtype=bool)  # the last of each (row, kind) run has the latest day
    last[:-1] = (row[1:] != row[:-1]) | (code[1:] != code[:-1])
    return (
        row[last].astype(np.int32),
        code[last].astype(np.int32),
        until[last].astype(np.int32),
        tuple(str(k) for k in kinds),
    )


def merge_coverage(row, start, end):
    """Union of insurance periods per row (inclusive local days, as ordinals), sorted by (row,
    start); periods that overlap or meet (one ends the day before the next starts) merge."""
    row = np.asarray(row, dtype=np.int64)
    s, e = day_ordinals(start), day_ordinals(end)
    if len(row) == 0:
        return row.astype(np.int32), s.astype(np.int32), e.astype(np.int32)
    bad = e < s
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"insurance row {int(row[i])}: coverage ends before it starts")
    o = np.lexsort((s, row))
    row, s, e = row[o], s[o], e[o]
    # Running max of ends within each row (a shifted key keeps rows apart), as for windows.
    running_end = np.maximum.accumulate((row << _COVER_SHIFT) | e) - (row << _COVER_SHIFT)
    new = np.ones(len(row), dtype=bool)
    new[1:] = (row[1:] != row[:-1]) | (s[1:] > running_end[:-1] + 1)
    starts = np.flatnonzero(new)
    return (
        row[starts].astype(np.int32),
        s[starts].astype(np.int32),
        np.maximum.reduceat(e, starts).astype(np.int32),
    )


def _check_columns(ids: np.ndarray, lat: np.ndarray, lng: np.ndarray, radius: np.ndarray) -> None:
    """The checks of ``VolunteerSnapshot`` on whole columns: the first bad row is named."""
    n = len(ids)
    for name, col in (("lat", lat), ("lng", lng), ("radius_km", radius)):
        if col.shape != (n,):
            raise ValueError(f"{name} has shape {col.shape}, expected ({n},) like ids")
    checks = (
        ("lat", lat, ~((lat >= -90.0) & (lat <= 90.0)), "a number in [-90, 90]"),
        ("lng", lng, ~((lng >= -180.0) & (lng <= 180.0)), "a number in [-180, 180]"),
        ("radius_km", radius, ~((radius >= 0.0) & (radius < np.inf)), "a finite number >= 0"),
    )
    for name, col, bad, rule in checks:  # NaN fails every comparison, so it is bad too
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(
                f"volunteer {int(ids[row])}: {name} must be {rule}, got {float(col[row])!r}"
                f" ({int(bad.sum())} bad rows)"
            )


@dataclass(frozen=True, eq=False)
class VolunteerTable:
    """Volunteers as columns; build with ``from_snapshots`` or ``from_columns``."""

    ids: np.ndarray
    lat: np.ndarray
    lng: np.ndarray
    unit: np.ndarray  # (n, 3) unit vectors
    radius_km: np.ndarray
    active: np.ndarray
    community_id: np.ndarray
    street_id: np.ndarray
    recent_hours: np.ndarray
    activities_this_month: np.ndarray
    completed: np.ndarray
    no_shows: np.ndarray
    rating_avg: np.ndarray  # NaN when unrated
    rating_count: np.ndarray
    skill_row: np.ndarray  # sorted by (row, skill)
    skill_id: np.ndarray
    avail_row: np.ndarray  # merged, two weeks, sorted by (row, start)
    avail_start: np.ndarray
    avail_end: np.ndarray
    blackout_row: np.ndarray  # sorted by (row, day)
    blackout_day: np.ndarray  # date.toordinal()
    commit_row: np.ndarray  # sorted by (row, start)
    commit_start: np.ndarray  # epoch seconds
    commit_end: np.ndarray
    commit_order: np.ndarray
    cred_row: np.ndarray  # one entry per (row, kind), sorted by (row, kind)
    cred_kind: np.ndarray  # index into credential_kinds
    cred_until: np.ndarray  # latest valid-through day of that kind (ordinal, inclusive)
    credential_kinds: tuple[str, ...]  # sorted
    cover_row: np.ndarray  # merged insurance periods, sorted by (row, start)
    cover_start: np.ndarray  # ordinals, inclusive
    cover_end: np.ndarray

    # ----------------------------------------------------------------- construction

    @classmethod
    def from_snapshots(cls, volunteers: Sequence[VolunteerSnapshot]) -> VolunteerTable:
        """Columns from snapshots (rows keep the given order)."""
        vs = list(volunteers)
        n = len(vs)
        sk_r, sk_i, av_r, av_w, av_s, av_e, bo_r, bo_d = ([] for _ in range(8))
        cm_r, cm_s, cm_e, cm_o = [], [], [], []
        cr_r, cr_k, cr_u, in_r, in_s, in_e = ([] for _ in range(6))
        for r, v in enumerate(vs):
            for c in v.credentials:
                cr_r.append(r)
                cr_k.append(c.kind)
                cr_u.append(c.valid_through.toordinal())
            for c in v.insurance:
                in_r.append(r)
                in_s.append(c.start.toordinal())
                in_e.append(c.end.toordinal())
            for s in v.skills:
                sk_r.append(r)
                sk_i.append(s)
            for w in v.weekly_availability:
                av_r.append(r)
                av_w.append(w.weekday)
                av_s.append(w.start_minute)
                av_e.append(w.end_minute)
            for d in v.blackout_dates:
                bo_r.append(r)
                bo_d.append(d.toordinal())
            for c in v.commitments:
                cm_r.append(r)
                cm_s.append(epoch_seconds(c.start))
                cm_e.append(epoch_seconds(c.end))
                cm_o.append(c.order_id)

        def col(attr, dtype):
            return np.fromiter((getattr(v, attr) for v in vs), dtype=dtype, count=n)

        def opt_id(attr):
            return np.fromiter(
                (_NONE if getattr(v, attr) is None else getattr(v, attr) for v in vs), np.int64, n
            )

        return cls.from_columns(
            ids=col("id", np.int64),
            lat=col("lat", np.float64),
            lng=col("lng", np.float64),
            radius_km=col("radius_km", np.float64),
            active=col("active", bool),
            community_id=opt_id("community_id"),
            street_id=opt_id("street_id"),
            recent_hours=col("recent_hours", np.float64),
            activities_this_month=col("activities_this_month", np.int64),
            completed=col("completed", np.int64),
            no_shows=col("no_shows", np.int64),
            rating_avg=np.fromiter(
                (np.nan if v.rating_avg is None else v.rating_avg for v in vs), np.float64, n
            ),
            rating_count=col("rating_count", np.int64),
            skills=(sk_r, sk_i),
            windows=(av_r, av_w, av_s, av_e),
            blackouts=(bo_r, bo_d),
            commitments=(cm_r, cm_s, cm_e, cm_o),
            credentials=(cr_r, cr_k, np.array(cr_u, dtype=np.int64)),
            insurance=(in_r, np.array(in_s, dtype=np.int64), np.array(in_e, dtype=np.int64)),
        )

    @classmethod
    def from_columns(
        cls,
        *,
        ids,
        lat,
        lng,
        radius_km,
        skills,
        windows,
        active=None,
        community_id=None,
        street_id=None,
        recent_hours=None,
        activities_this_month=None,
        completed=None,
        no_shows=None,
        rating_avg=None,
        rating_count=None,
        blackouts=((), ()),
        commitments=((), (), (), ()),
        credentials=((), (), ()),
        insurance=((), (), ()),
    ) -> VolunteerTable:
        """Columns from arrays; list fields are tuples of parallel (row, ...) arrays.

        ``credentials`` is (row, kind string, valid-through local date); ``insurance`` is (row,
        first local date, last local date). Dates may be ``date`` objects, numpy datetime64 or
        ``date.toordinal()`` numbers; both ends are inclusive.
        """
        ids = np.asarray(ids, dtype=np.int64)
        n = len(ids)

        def arr(x, dtype, default):
            return np.full(n, default, dtype=dtype) if x is None else np.asarray(x, dtype=dtype)

        lat = np.asarray(lat, dtype=np.float64)
        lng = np.asarray(lng, dtype=np.float64)
        radius_km = np.asarray(radius_km, dtype=np.float64)
        _check_columns(ids, lat, lng, radius_km)
        sk_r, sk_i = (np.asarray(a, dtype=np.int64) for a in skills)
        o = np.lexsort((sk_i, sk_r))
        # A skill listed twice for one volunteer is still one skill.
        o = o[_segment_starts((sk_r[o] << 32) | (sk_i[o] & 0xFFFFFFFF))] if len(o) else o
        av_r, av_s, av_e = merge_week_windows(*windows)
        bo_r, bo_d = (np.asarray(a, dtype=np.int64) for a in blackouts)
        ob = np.lexsort((bo_d, bo_r))
        cm_r, cm_s, cm_e, cm_o = (np.asarray(a, dtype=np.int64) for a in commitments)
        oc = np.lexsort((cm_s, cm_r))
        cr_r, cr_k, cr_u, kinds = best_credentials(*credentials)
        in_r, in_s, in_e = merge_coverage(*insurance)
        return cls(
            ids=ids,
            lat=lat,
            lng=lng,
            unit=unit_vectors(lat, lng),
            radius_km=radius_km,
            active=arr(active, bool, True),
            community_id=arr(community_id, np.int64, _NONE),
            street_id=arr(street_id, np.int64, _NONE),
            recent_hours=arr(recent_hours, np.float64, 0.0),
            activities_this_month=arr(activities_this_month, np.int64, 0),
            completed=arr(completed, np.int64, 0),
            no_shows=arr(no_shows, np.int64, 0),
            rating_avg=arr(rating_avg, np.float64, np.nan),
            rating_count=arr(rating_count, np.int64, 0),
            skill_row=sk_r[o].astype(np.int32),
            skill_id=sk_i[o],
            avail_row=av_r,
            avail_start=av_s,
            avail_end=av_e,
            blackout_row=bo_r[ob].astype(np.int32),
            blackout_day=bo_d[ob].astype(np.int32),
            commit_row=cm_r[oc].astype(np.int32),
            commit_start=cm_s[oc],
            commit_end=cm_e[oc],
            commit_order=cm_o[oc],
            cred_row=cr_r,
            cred_kind=cr_k,
            cred_until=cr_u,
            credential_kinds=kinds,
            cover_row=in_r,
            cover_start=in_s,
            cover_end=in_e,
        )

    @property
    def n(self) -> int:
        """Number of rows."""
        return len(self.ids)

    def take(self, rows: np.ndarray) -> VolunteerTable:
        """A new table with these rows, renumbered 0..len(rows)-1 in the given order."""
        rows = np.asarray(rows, dtype=np.int64)
        new_of_old = np.full(self.n, -1, dtype=np.int64)
        new_of_old[rows] = np.arange(len(rows))

        def sub(row_col, *cols):
            keep = new_of_old[row_col] >= 0
            return (new_of_old[row_col[keep]], *(c[keep] for c in cols))

        av = sub(self.avail_row, self.avail_start, self.avail_end)
        # Availability is already merged; re-sort by new row number.
        o = np.lexsort((av[1], av[0]))
        sk = sub(self.skill_row, self.skill_id)
        bo = sub(self.blackout_row, self.blackout_day)
        cm = sub(self.commit_row, self.commit_start, self.commit_end, self.commit_order)
        cr = sub(self.cred_row, self.cred_kind, self.cred_until)
        cv = sub(self.cover_row, self.cover_start, self.cover_end)
        osk, obo, ocm, ocr, ocv = (
            np.lexsort((sk[1], sk[0])),
            np.lexsort((bo[1], bo[0])),
            np.lexsort((cm[1], cm[0])),
            np.lexsort((cr[1], cr[0])),
            np.lexsort((cv[1], cv[0])),
        )
        return VolunteerTable(
            ids=self.ids[rows],
            lat=self.lat[rows],
            lng=self.lng[rows],
            unit=self.unit[rows],
            radius_km=self.radius_km[rows],
            active=self.active[rows],
            community_id=self.community_id[rows],
            street_id=self.street_id[rows],
            recent_hours=self.recent_hours[rows],
            activities_this_month=self.activities_this_month[rows],
            completed=self.completed[rows],
            no_shows=self.no_shows[rows],
            rating_avg=self.rating_avg[rows],
            rating_count=self.rating_count[rows],
            skill_row=sk[0][osk].astype(np.int32),
            skill_id=sk[1][osk],
            avail_row=av[0][o].astype(np.int32),
            avail_start=av[1][o],
            avail_end=av[2][o],
            blackout_row=bo[0][obo].astype(np.int32),
            blackout_day=bo[1][obo],
            commit_row=cm[0][ocm].astype(np.int32),
            commit_start=cm[1][ocm],
            commit_end=cm[2][ocm],
            commit_order=cm[3][ocm],
            cred_row=cr[0][ocr].astype(np.int32),
            cred_kind=cr[1][ocr],
            cred_until=cr[2][ocr],
            credential_kinds=self.credential_kinds,
            cover_row=cv[0][ocv].astype(np.int32),
            cover_start=cv[1][ocv],
            cover_end=cv[2][ocv],
        )

    @staticmethod
    def concat(tables: Sequence[VolunteerTable]) -> VolunteerTable:
        """Rows of several tables, one after the other."""
        offsets = np.cumsum([0] + [t.n for t in tables[:-1]])

        def cat(name):
            return np.concatenate([getattr(t, name) for t in tables])

        def cat_rows(name):
            return np.concatenate(
                [
                    getattr(t, name).astype(np.int64) + off
                    for t, off in zip(tables, offsets, strict=True)
                ]
            ).astype(np.int32)

        kinds = tuple(sorted(set().union(*(t.credential_kinds for t in tables))))
        fields = {
            name: cat(name)
            for name in VolunteerTable.__dataclass_fields__
            if name != "credential_kinds"
        }
        row_cols = ("skill_row", "avail_row", "blackout_row", "commit_row", "cred_row", "cover_row")
        for name in row_cols:
            fields[name] = cat_rows(name)
        # Each table codes kinds by its own sorted tuple: recode into the union's.
        fields["cred_kind"] = np.concatenate(
            [
                np.searchsorted(kinds, np.array(t.credential_kinds, dtype=str))
                .astype(np.int32)
                .reshape(-1)[t.cred_kind]
                if len(t.cred_kind)
                else t.cred_kind.astype(np.int32)
                for t in tables
            ]
        )
        return VolunteerTable(**fields, credential_kinds=kinds)

    # ----------------------------------------------------------------- lookups

    def skills_of(self, row: int) -> np.ndarray:
        """Skill ids of one row."""
        # Query in the array's own dtype: a mismatch makes numpy cast (copy) the whole array.
        lo, hi = np.searchsorted(
            self.skill_row, np.array([row, row + 1], dtype=self.skill_row.dtype)
        )
        return self.skill_id[lo:hi]

    def matched_skill_counts(self, skill_ids: np.ndarray) -> np.ndarray:
        """For every row, how many of these skill ids it has."""
        hit = np.isin(self.skill_id, skill_ids)
        return np.bincount(self.skill_row[hit], minlength=self.n)

    def availability_covers(self, rows: np.ndarray, begin_min: int, end_min: int) -> np.ndarray:
        """Per row: is [begin_min, end_min) (minutes from local Monday) inside its weekly union?"""
        starts, ends, overflow = self._avail_dense()
        b, e = np.asarray(begin_min), np.asarray(end_min)  # scalars, or one per row
        # One contiguous (k,) slice per row instead of a binary search in a large array.
        ok = ((starts[rows] <= b[..., None]) & (ends[rows] >= e[..., None])).any(axis=1)
        spill = overflow[rows]
        if spill.any():
            ok[spill] = self._covers_by_search(
                rows[spill], b[spill] if b.ndim else b, e[spill] if e.ndim else e
            )
        return ok

    def unit_xyz(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The unit vectors as three contiguous columns (1-D takes are much faster)."""
        return self._cached("_u3", lambda: tuple(np.ascontiguousarray(c) for c in self.unit.T))

    def hour_bitmap(self) -> tuple[np.ndarray, np.ndarray]:
        """Weekly availability as 168 hour bits per row, (n, 3) uint64, and an exactness flag.

        Bit h is set when the row's availability touches hour h of the local week. Covering a
        window [b, e) needs every hour it touches set, so the bitmap is a prefilter; for rows
        whose merged windows all start and end on the hour (``exact``) it is the whole test
        (touched hours are then fully free, and touching windows are merged).
        """

        def make():
            first = self.avail_start < MINUTES_PER_WEEK  # the second week repeats the first
            row = self.avail_row[first].astype(np.int64)
            h0 = self.avail_start[first].astype(np.int64) // 60
            h1 = (self.avail_end[first].astype(np.int64) - 1) // 60  # inclusive, may be >= 168
            # Split at the week's end: [h0, min(h1, 167)] and the wrapped [0, h1 - 168].
            wrap = h1 >= _HOURS
            row = np.concatenate([row, row[wrap]])
            lo = np.concatenate([h0, np.zeros(int(wrap.sum()), dtype=np.int64)])
            hi = np.concatenate([np.minimum(h1, _HOURS - 1), h1[wrap] - _HOURS])
            hi = np.minimum(hi, _HOURS - 1)
            bits = np.zeros((self.n, 3), dtype=np.uint64)
            for w in range(3):
                a = np.clip(lo - 64 * w, 0, 64)
                b = np.clip(hi - 64 * w + 1, 0, 64)
                width = (b - a).astype(np.uint64)
                full = width >= 64
                mask = np.where(
                    full,
                    np.uint64(0xFFFFFFFFFFFFFFFF),
                    (np.left_shift(np.uint64(1), np.minimum(width, 63).astype(np.uint64)))
                    - np.uint64(1),
                )
                mask = np.where(width > 0, mask << a.astype(np.uint64), np.uint64(0))
                if len(row):
                    np.bitwise_or.at(bits[:, w], row, mask.astype(np.uint64))
            aligned = (self.avail_start % 60 == 0) & (self.avail_end % 60 == 0)
            exact = np.ones(self.n, dtype=bool)
            exact[self.avail_row[~aligned]] = False
            return bits, exact

        return self._cached("_hb", make)

    def _covers_by_search(self, rows: np.ndarray, begin_min: int, end_min: int) -> np.ndarray:
        keys = self._avail_keys()
        q = (rows.astype(np.int64) << _AVAIL_SHIFT) | begin_min
        idx = np.searchsorted(keys, q, side="right") - 1
        safe = np.maximum(idx, 0)
        return (idx >= 0) & (self.avail_row[safe] == rows) & (self.avail_end[safe] >= end_min)

    def _avail_dense(self):
        """First-week intervals per row padded to a fixed width (int16), plus an overflow flag."""

        def make():
            # Only intervals starting in the first week can contain a start minute < one week.
            first = self.avail_start < MINUTES_PER_WEEK
            row, start, end = self.avail_row[first], self.avail_start[first], self.avail_end[first]
            counts = np.bincount(row, minlength=self.n)
            width = int(min(max(counts.max(initial=1), 1), _DENSE_WIDTH))
            rank = np.arange(len(row)) - np.repeat(np.cumsum(counts) - counts, counts)
            keep = rank < width
            starts = np.full((self.n, width), np.iinfo(np.int16).max, dtype=np.int16)
            ends = np.zeros((self.n, width), dtype=np.int16)
            starts[row[keep], rank[keep]] = start[keep]
            ends[row[keep], rank[keep]] = end[keep]
            return starts, ends, counts > width

        return self._cached("_ad", make)

    def blacked_out(self, rows: np.ndarray, day_ordinals: Sequence[int]) -> np.ndarray:
        """Per row: is any of these local dates a blackout date?"""
        days = np.broadcast_to(
            np.asarray(day_ordinals, dtype=np.int64), (len(rows), len(day_ordinals))
        )
        return self.blacked_out_pairs(rows, days)

    def blacked_out_pairs(self, rows: np.ndarray, days: np.ndarray) -> np.ndarray:
        """Per row: is any of its own dates (``days[i]``, -1 padded) a blackout date?"""
        keys = self._blackout_keys()
        hit = np.zeros(len(rows), dtype=bool)
        if len(keys) == 0:
            return hit
        some = np.flatnonzero(self._has("_hbo", self.blackout_row)[rows])  # only rows with any
        base = rows[some].astype(np.int64) << _DAY_SHIFT
        for j in range(days.shape[1]):
            d = days[some, j]
            q = base | np.maximum(d, 0)
            idx = np.minimum(np.searchsorted(keys, q), len(keys) - 1)
            hit[some] |= (keys[idx] == q) & (d >= 0)
        return hit

    def credential_valid_through(self, kind: str) -> np.ndarray:
        """Per row, the last day (ordinal) a credential of this kind is valid; 0 if none held.

        A dense int32 column per kind, built on first use: checking a kind is then one gather.
        """
        found = self.__dict__.get("_cv", {}).get(kind)
        if found is not None:
            return found
        until = np.zeros(self.n, dtype=np.int32)
        i = int(np.searchsorted(np.array(self.credential_kinds, dtype=str), kind))
        if i < len(self.credential_kinds) and self.credential_kinds[i] == kind:
            sel = self.cred_kind == i
            until[self.cred_row[sel]] = self.cred_until[sel]
        object.__setattr__(self, "_cv", {**self.__dict__.get("_cv", {}), kind: until})
        return until

    def credentials_valid(
        self, rows: np.ndarray, kinds: Iterable[str], last_day: int | np.ndarray
    ) -> np.ndarray:
        """Per row: does it hold every one of these kinds valid through ``last_day`` (ordinal;
        a scalar or one per row)? Validity has no start, so the last local date decides."""
        ok = np.ones(len(rows), dtype=bool)
        for kind in kinds:
            ok &= self.credential_valid_through(kind)[rows] >= last_day
        return ok

    def insured(
        self, rows: np.ndarray, first_day: int | np.ndarray, last_day: int | np.ndarray
    ) -> np.ndarray:
        """Per row: do its merged insurance periods cover every day first..last (ordinals,
        inclusive; scalars or one per row)? Merged periods are disjoint and not adjacent, so
        one period must hold them all: the last one starting on or before the first day."""
        out = np.zeros(len(rows), dtype=bool)
        if len(self.cover_row) == 0:
            return out
        some = np.flatnonzero(self._has("_hcv", self.cover_row)[rows])  # only rows with any
        first, last = np.asarray(first_day), np.asarray(last_day)
        first = first[some] if first.ndim else first
        last = last[some] if last.ndim else last
        rows = rows[some]
        keys = self._cached(
            "_cvk", lambda: (self.cover_row.astype(np.int64) << _COVER_SHIFT) | self.cover_start
        )
        q = (rows.astype(np.int64) << _COVER_SHIFT) | first
        idx = np.searchsorted(keys, q, side="right") - 1
        safe = np.maximum(idx, 0)
        out[some] = (idx >= 0) & (self.cover_row[safe] == rows) & (self.cover_end[safe] >= last)
        return out

    def _has(self, name: str, row_col: np.ndarray) -> np.ndarray:
        """Per row: does it have any entry in this (row, ...) list column?"""
        return self._cached(name, lambda: np.bincount(row_col, minlength=self.n) > 0)

    def commitment_conflict(
        self, rows: np.ndarray, start_s: int, end_s: int, buffer_s: int
    ) -> np.ndarray:
        """Per row: does an accepted commitment come within the buffer of [start_s, end_s)?"""
        keys, running_end = self._commit_keys()
        out = np.zeros(len(rows), dtype=bool)
        if len(keys) == 0:
            return out
        some = np.flatnonzero(self._has("_hcm", self.commit_row)[rows])  # only rows with any
        rows = rows[some]
        start_s, end_s = np.asarray(start_s), np.asarray(end_s)
        start_s = start_s[some] if start_s.ndim else start_s
        end_s = end_s[some] if end_s.ndim else end_s
        # Last commitment that starts before end + buffer; conflict if any such one ends after
        # start - buffer (running max of ends per row makes that one lookup).
        q = (rows.astype(np.int64) << _TIME_SHIFT) | np.maximum(end_s + buffer_s, 0)
        idx = np.searchsorted(keys, q, side="left") - 1
        safe = np.maximum(idx, 0)
        out[some] = (
            (idx >= 0) & (self.commit_row[safe] == rows) & (running_end[safe] > start_s - buffer_s)
        )
        return out

    def rows_committed_to(self, order_id: int) -> np.ndarray:
        """Rows holding a commitment to this order (excluded from its own conflict check)."""
        by_order = self._cached("_co", lambda: np.argsort(self.commit_order, kind="stable"))
        ordered = self._cached("_cos", lambda: self.commit_order[by_order])
        lo, hi = np.searchsorted(ordered, np.array([order_id, order_id + 1], dtype=ordered.dtype))
        return np.unique(self.commit_row[by_order[lo:hi]])

    # Cached derived keys (the dataclass is frozen, so cache through object.__setattr__).
    def _cached(self, name, make):
        val = self.__dict__.get(name)
        if val is None:
            val = make()
            object.__setattr__(self, name, val)
        return val

    def _avail_keys(self):
        return self._cached(
            "_ak", lambda: (self.avail_row.astype(np.int64) << _AVAIL_SHIFT) | self.avail_start
        )

    def _blackout_keys(self):
        return self._cached(
            "_bk", lambda: (self.blackout_row.astype(np.int64) << _DAY_SHIFT) | self.blackout_day
        )

    def _commit_keys(self):
        def make():
            r = self.commit_row.astype(np.int64) << _TIME_SHIFT
            keys = r | np.maximum(self.commit_start, 0)
            running_end = np.maximum.accumulate(r | np.maximum(self.commit_end, 0)) - r
            return keys, running_end

        return self._cached("_ck", make)
