"""What others may learn of a volunteer's distance: a band, never a number to solve for.

The matching core ranks on exact distances. Everything about a candidate that reaches someone
other than the volunteer (the preview, a stored offer's score and explanation, the event log)
is built here: the distance as a band (< 1, 1–3, 3–5, 5–10, > 10 km), the distance part computed
from the band, the other parts and the total rounded. With exact values anyone could recompute
d = d0 (1/v − 1) from a few previews and find a home (issue #12).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from matching.explain import explain_zh
from matching.params import MatchParams
from matching.scoring import proximity_value
from matching.types import Candidate
from service.messages import text

BAND_EDGES_KM = (1.0, 3.0, 5.0, 10.0)
# Beyond the last edge a preview's distance limit is rounded up to a multiple of this.
FAR_STEP_KM = 5.0
PUBLIC_DECIMALS = 2


def _km(value: float) -> str:
    return f"{value:g}"


@dataclass(frozen=True)
class DistanceBand:
    """A range of distances shown instead of the distance (``upper_km`` None: open-ended)."""

    lower_km: float
    upper_km: float | None
    label: str

    @property
    def typical_km(self) -> float:
        """The distance the shown distance part is computed from (the same for the whole band)."""
        if self.upper_km is None:
            return self.lower_km * 1.5
        return (self.lower_km + self.upper_km) / 2


def distance_band(distance_km: float) -> DistanceBand:
    """The band a distance falls in, e.g. 2.3 → 「1–3 km」."""
    lower = 0.0
    for upper in BAND_EDGES_KM:
        if distance_km < upper:
            if lower == 0:
                label = text("name.distance_band.within", upper=_km(upper))
            else:
                label = text("name.distance_band.between", lower=_km(lower), upper=_km(upper))
            return DistanceBand(lower, upper, label)
        lower = upper
    return DistanceBand(lower, None, text("name.distance_band.beyond", lower=_km(lower)))


def band_radius_km(max_distance_km: float) -> float:
    """A preview's distance limit rounded up to a band edge.

    Otherwise who appears as the limit moves in small steps would give the distance away.
    """
    for edge in BAND_EDGES_KM:
        if max_distance_km <= edge:
            return edge
    return math.ceil(max_distance_km / FAR_STEP_KM) * FAR_STEP_KM


@dataclass(frozen=True)
class PublicScore:
    """A candidate's score as others see it: the band, rounded parts and their weighted total."""

    band: DistanceBand
    score: float
    parts: list[dict]


def public_score(candidate: Candidate, params: MatchParams) -> PublicScore:
    """The band, the parts (distance from the band, all rounded) and the total of those parts."""
    band = distance_band(candidate.distance_km)
    parts = []
    for part in candidate.parts:
        if part.code == "distance":
            value = float(proximity_value(band.typical_km, params))
            detail = {"band": band.label, "lower_km": band.lower_km, "upper_km": band.upper_km}
        else:
            value, detail = float(part.value), dict(part.detail)
        parts.append(
            {
                "code": part.code,
                "value": round(value, PUBLIC_DECIMALS),
                "weight": part.weight,
                "detail": detail,
            }
        )
    # The total of the shown parts: it cannot carry more than they do.
    score = round(sum(p["value"] * p["weight"] for p in parts), PUBLIC_DECIMALS)
    return PublicScore(band, score, parts)


def public_explanation(candidate: Candidate, skill_names) -> str:
    """The Chinese one-liner with the distance band instead of the distance."""
    return explain_zh(
        candidate, skill_names, distance_text=distance_band(candidate.distance_km).label
    )
