"""Turn scored rows into ``Candidate`` objects whose parts carry the raw facts pages render."""

from __future__ import annotations

import math

import numpy as np

from matching import scoring
from matching.params import MatchParams
from matching.pipeline import OrderContext
from matching.types import Candidate, ScorePart


def build_candidates(picks, ctx: OrderContext, params: MatchParams) -> list[Candidate]:
    """Explained candidates for picks [(table, evaluated, position, shown distance)]: every
    part is computed with one numpy call per table, not one per candidate."""
    out: list[Candidate | None] = [None] * len(picks)
    by_table: dict[int, list[int]] = {}
    for i, (_tab, ev, _, _) in enumerate(picks):
        by_table.setdefault(id(ev), []).append(i)
    w = params.weights
    order = ctx.order
    required = [int(s) for s in ctx.skill_ids]
    required_set = set(required)
    for members in by_table.values():
        tab, ev = picks[members[0]][0], picks[members[0]][1]
        pos = np.array([picks[i][2] for i in members], dtype=np.int64)
        rows = ev.rows[pos]
        lo = np.searchsorted(tab.skill_row, rows.astype(tab.skill_row.dtype), side="left")
        hi = np.searchsorted(tab.skill_row, rows.astype(tab.skill_row.dtype), side="right")
        matched = [
            sorted({int(s) for s in tab.skill_id[a:b].tolist() if s in required_set})
            for a, b in zip(lo.tolist(), hi.tolist(), strict=True)
        ]
        skill = scoring.skill_value(np.array([len(m) for m in matched]), len(ctx.skill_ids))
        proximity = scoring.proximity_value(ev.distance_km[pos], params)
        hours = tab.recent_hours[rows]
        fairness = scoring.fairness_value(hours, params)
        completed, no_shows = tab.completed[rows], tab.no_shows[rows]
        rating, rating_count = tab.rating_avg[rows], tab.rating_count[rows]
        reliability = scoring.reliability_value(completed, no_shows, rating, rating_count, params)
        same_comm = (
            tab.community_id[rows] == order.community_id
            if order.community_id is not None
            else np.zeros(len(rows), dtype=bool)
        )
        same_street = (
            tab.street_id[rows] == order.street_id
            if order.street_id is not None
            else np.zeros(len(rows), dtype=bool)
        )
        locality = scoring.locality_value(same_comm, same_street, params)
        cols = [
            a.tolist()
            for a in (
                skill,
                proximity,
                fairness,
                reliability,
                locality,
                hours,
                tab.activities_this_month[rows],
                completed,
                no_shows,
                rating,
                rating_count,
                same_comm,
                same_street,
                ev.limit_km[pos],
                ev.scores[pos],
                tab.ids[rows],
            )
        ]
        for j, i in enumerate(members):
            sk, px, fa, re, lc, hrs, acts, comp, ns, rt, rc, sc, ss, lim, score, vid = (
                c[j] for c in cols
            )
            shown = float(picks[i][3])
            parts = (
                ScorePart(
                    "skill",
                    float(sk),
                    w.skill,
                    {"matched_skill_ids": matched[j], "required_skill_ids": list(required)},
                ),
                ScorePart(
                    "distance",
                    float(px),
                    w.distance,
                    {"distance_km": shown, "limit_km": float(lim)},
                ),
                ScorePart(
                    "fairness",
                    float(fa),
                    w.fairness,
                    {"recent_hours": float(hrs), "activities_this_month": int(acts)},
                ),
                ScorePart(
                    "reliability",
                    float(re),
                    w.reliability,
                    {
                        "completed": int(comp),
                        "no_shows": int(ns),
                        "completion_rate": (comp / (comp + ns)) if comp + ns else None,
                        "rating_avg": None if math.isnan(rt) else float(rt),
                        "rating_count": int(rc),
                    },
                ),
                ScorePart(
                    "locality",
                    float(lc),
                    w.locality,
                    {"same_community": bool(sc), "same_street": bool(ss)},
                ),
            )
            out[i] = Candidate(
                volunteer_id=int(vid), score=float(score), distance_km=shown, parts=parts
            )
    return out  # type: ignore[return-value]
