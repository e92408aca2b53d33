"""The planned pairs in words: each pair's public score parts and one-line explanation, for all
pairs of a plan at once.

The same parts the preview and the cascade's offers carry (``dispatch.disclosure``: the
distance as a band, the distance part computed from the band, values rounded, the total of the
shown parts) and the same sentence (``matching.explain.explain_zh`` with the band), computed
with numpy over every pair instead of once per order — 15,000 pairs of a district take
milliseconds, not the seconds a per-order evaluation costs. A test checks the result against
``public_score`` of the matching core's own candidate for the same pair.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from matching import scoring
from matching.explain import explain_zh
from matching.geo_arrays import haversine_km, vincenty_km
from matching.params import MatchParams
from matching.table import VolunteerTable
from matching.types import Candidate, OrderRequest, ScorePart
from service.dispatch.disclosure import BAND_EDGES_KM, PUBLIC_DECIMALS, distance_band

# A distance inside each band (its label and typical distance are the band's, not the point's).
_BAND_PROBES = (0.5, 2.0, 4.0, 7.5, 20.0)


def rows_of(table: VolunteerTable, volunteer_ids: np.ndarray) -> np.ndarray:
    """Table rows of these volunteer ids (the table is sorted by id)."""
    rows = np.searchsorted(table.ids, volunteer_ids)
    rows = np.minimum(rows, max(table.n - 1, 0))
    if table.n == 0 or not np.array_equal(table.ids[rows], volunteer_ids):
        raise LookupError("a planned volunteer is not in the index")
    return rows


def explain_pairs(
    table: VolunteerTable,
    orders: Mapping[int, OrderRequest],
    order_ids: np.ndarray,
    volunteer_ids: np.ndarray,
    params: MatchParams,
    skill_names: Mapping[int, str],
) -> list[dict]:
    """Per pair (in the given order): volunteer id, public score, band, parts, explanation."""
    n = len(order_ids)
    if n == 0:
        return []
    rows = rows_of(table, np.asarray(volunteer_ids, dtype=np.int64))
    requests = [orders[int(o)] for o in order_ids]
    olat = np.array([r.lat for r in requests])
    olng = np.array([r.lng for r in requests])
    vlat, vlng = table.lat[rows], table.lng[rows]
    distance, converged = vincenty_km(vlat, vlng, olat, olng)
    distance = np.where(converged, distance, haversine_km(vlat, vlng, olat, olng))
    band_index = np.searchsorted(np.array(BAND_EDGES_KM), distance, side="right")
    bands = [distance_band(d) for d in _BAND_PROBES]
    band_value = [
        round(float(scoring.proximity_value(b.typical_km, params)), PUBLIC_DECIMALS) for b in bands
    ]
    fairness = np.round(scoring.fairness_value(table.recent_hours[rows], params), PUBLIC_DECIMALS)
    reliability = np.round(
        scoring.reliability_value(
            table.completed[rows],
            table.no_shows[rows],
            table.rating_avg[rows],
            table.rating_count[rows],
            params,
        ),
        PUBLIC_DECIMALS,
    )
    community = np.array([-1 if r.community_id is None else r.community_id for r in requests])
    street = np.array([-1 if r.street_id is None else r.street_id for r in requests])
    same_community = (community >= 0) & (table.community_id[rows] == community)
    same_street = (street >= 0) & (table.street_id[rows] == street)
    locality = np.round(
        scoring.locality_value(same_community, same_street, params), PUBLIC_DECIMALS
    )
    w = params.weights
    lo = np.searchsorted(table.skill_row, rows.astype(table.skill_row.dtype), side="left")
    hi = np.searchsorted(table.skill_row, rows.astype(table.skill_row.dtype), side="right")
    skill_ids = table.skill_id
    columns = zip(
        order_ids.tolist(), np.asarray(volunteer_ids).tolist(), band_index.tolist(),
        fairness.tolist(), reliability.tolist(), locality.tolist(),
        table.recent_hours[rows].tolist(), table.activities_this_month[rows].tolist(),
        table.completed[rows].tolist(), table.no_shows[rows].tolist(),
        table.rating_avg[rows].tolist(), table.rating_count[rows].tolist(),
        same_community.tolist(), same_street.tolist(), lo.tolist(), hi.tolist(), requests,
        strict=True,
    )  # fmt: skip
    out = []
    for (
        _oid,
        vid,
        b,
        fair,
        rel,
        loc,
        hours,
        acts,
        done,
        missed,
        rating,
        rated,
        sc,
        ss,
        a,
        z,
        req,
    ) in columns:
        required = sorted(req.required_skills)
        held = set(skill_ids[a:z].tolist())
        matched = [s for s in required if s in held]
        skill = round(len(matched) / max(len(required), 1), PUBLIC_DECIMALS)
        band = bands[b]
        details = {
            "skill": {"matched_skill_ids": matched, "required_skill_ids": required},
            "distance": {
                "band": str(band.label),
                "lower_km": band.lower_km,
                "upper_km": band.upper_km,
            },
            "fairness": {"recent_hours": float(hours), "activities_this_month": int(acts)},
            "reliability": {
                "completed": int(done),
                "no_shows": int(missed),
                "completion_rate": (done / (done + missed)) if done + missed else None,
                "rating_avg": None if math.isnan(rating) else float(rating),
                "rating_count": int(rated),
            },
            "locality": {"same_community": bool(sc), "same_street": bool(ss)},
        }
        values = {
            "skill": skill,
            "distance": band_value[b],
            "fairness": fair,
            "reliability": rel,
            "locality": loc,
        }
        weights = {
            "skill": w.skill,
            "distance": w.distance,
            "fairness": w.fairness,
            "reliability": w.reliability,
            "locality": w.locality,
        }
        parts = [
            {"code": code, "value": values[code], "weight": weights[code], "detail": details[code]}
            for code in ("skill", "distance", "fairness", "reliability", "locality")
        ]
        score = round(sum(p["value"] * p["weight"] for p in parts), PUBLIC_DECIMALS)
        said = Candidate(
            volunteer_id=vid,
            score=score,
            distance_km=0.0,
            parts=tuple(ScorePart(p["code"], p["value"], p["weight"], p["detail"]) for p in parts),
        )
        out.append(
            {
                "volunteer_id": vid,
                "score": score,
                "band": str(band.label),
                "parts": parts,
                "explanation": explain_zh(said, skill_names, distance_text=str(band.label)),
            }
        )
    return out
