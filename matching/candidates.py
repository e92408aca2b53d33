"""Turn scored rows into ``Candidate`` objects whose parts carry the raw facts pages render."""

from __future__ import annotations

import math

import numpy as np

from matching import scoring
from matching.params import MatchParams
from matching.pipeline import Evaluated, OrderContext
from matching.table import VolunteerTable
from matching.types import Candidate, ScorePart


def build_candidate(
    table: VolunteerTable,
    ev: Evaluated,
    pos: int,
    ctx: OrderContext,
    params: MatchParams,
    distance_km: float,
) -> Candidate:
    """The explained candidate at position ``pos`` of an evaluation; ``distance_km`` is shown."""
    row = int(ev.rows[pos])
    order = ctx.order
    w = params.weights
    matched = sorted(int(s) for s in np.intersect1d(table.skills_of(row), ctx.skill_ids))
    rating = float(table.rating_avg[row])
    completed, no_shows = int(table.completed[row]), int(table.no_shows[row])
    rating_count = int(table.rating_count[row])
    same_comm = (
        order.community_id is not None and int(table.community_id[row]) == order.community_id
    )
    same_street = order.street_id is not None and int(table.street_id[row]) == order.street_id
    parts = (
        ScorePart(
            "skill",
            float(scoring.skill_value(len(matched), len(ctx.skill_ids))),
            w.skill,
            {"matched_skill_ids": matched, "required_skill_ids": [int(s) for s in ctx.skill_ids]},
        ),
        ScorePart(
            "distance",
            float(scoring.proximity_value(ev.distance_km[pos], params)),
            w.distance,
            {"distance_km": distance_km, "limit_km": float(ev.limit_km[pos])},
        ),
        ScorePart(
            "fairness",
            float(scoring.fairness_value(table.recent_hours[row], params)),
            w.fairness,
            {
                "recent_hours": float(table.recent_hours[row]),
                "activities_this_month": int(table.activities_this_month[row]),
            },
        ),
        ScorePart(
            "reliability",
            float(scoring.reliability_value(completed, no_shows, rating, rating_count, params)),
            w.reliability,
            {
                "completed": completed,
                "no_shows": no_shows,
                "completion_rate": (completed / (completed + no_shows))
                if completed + no_shows
                else None,
                "rating_avg": None if math.isnan(rating) else rating,
                "rating_count": rating_count,
            },
        ),
        ScorePart(
            "locality",
            float(scoring.locality_value(same_comm, same_street, params)),
            w.locality,
            {"same_community": bool(same_comm), "same_street": bool(same_street)},
        ),
    )
    return Candidate(
        volunteer_id=int(table.ids[row]),
        score=float(ev.scores[pos]),
        distance_km=float(distance_km),
        parts=parts,
    )
