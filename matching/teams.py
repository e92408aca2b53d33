"""Rank volunteer teams (志愿队) for an order dispatched to a team.

A team is eligible when it is active, its base is within min(team radius, order maximum) of the
venue, its *available* members (active, free in the window, not blacked out, no conflicting
commitment, holding the order's required credentials and insurance on every local date of it)
are at least the order's slots, and together they cover every required skill.
Members travel with the team, so their own home radius does not apply.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from matching import scoring
from matching.eligibility import (
    BLACKOUT_DATE,
    COMMITMENT_CONFLICT,
    CREDENTIAL_LAPSED,
    INACTIVE,
    MISSING_CREDENTIAL,
    NOT_INSURED,
    ORDER_STARTED,
    OUTSIDE_AVAILABILITY,
    TOO_FAR,
    check_eligibility,
)
from matching.geo import geodesic_km
from matching.geo_arrays import haversine_km
from matching.params import DEFAULT_PARAMS, MatchParams
from matching.types import (
    DistanceFn,
    OrderRequest,
    ScorePart,
    TeamCandidate,
    TeamSnapshot,
    VolunteerSnapshot,
)

TEAM_INACTIVE = "team_inactive"
SKILLS_NOT_COVERED = "skills_not_covered"
NOT_ENOUGH_MEMBERS = "not_enough_members"

# A member who goes must be qualified like any volunteer: an uncertified member of a hospital
# team cannot be counted towards a first-aid class.
_MEMBER_BLOCKERS = {
    INACTIVE,
    OUTSIDE_AVAILABILITY,
    BLACKOUT_DATE,
    COMMITMENT_CONFLICT,
    MISSING_CREDENTIAL,
    CREDENTIAL_LAPSED,
    NOT_INSURED,
}


def available_members(
    team: TeamSnapshot, order: OrderRequest, params: MatchParams = DEFAULT_PARAMS
) -> list[VolunteerSnapshot]:
    """Members free for the order's window and qualified for it (distance and skills are judged
    for the team)."""
    out = []
    for m in team.members:
        reasons = check_eligibility(m, order, params, None, distance=lambda *_: 0.0)
        if not _MEMBER_BLOCKERS.intersection(reasons):
            out.append(m)
    return sorted(out, key=lambda m: m.id)


def check_team_eligibility(
    team: TeamSnapshot,
    order: OrderRequest,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    *,
    distance: DistanceFn | None = None,
) -> list[str]:
    """Reason codes why the team cannot take the order; empty means eligible."""
    reasons = []
    if now is not None and order.start <= now:
        reasons.append(ORDER_STARTED)
    if not team.active:
        reasons.append(TEAM_INACTIVE)
    d = (distance or geodesic_km)(team.base_lat, team.base_lng, order.lat, order.lng)
    limit = min(
        order.max_distance_km, team.radius_km if team.radius_km is not None else float("inf")
    )
    if d > limit:
        reasons.append(TOO_FAR)
    members = available_members(team, order, params)
    if len(members) < order.slots:
        reasons.append(NOT_ENOUGH_MEMBERS)
    covered = frozenset().union(*(m.skills for m in members))
    if not order.required_skills <= covered:
        reasons.append(SKILLS_NOT_COVERED)
    return reasons


def _team_candidate(
    team: TeamSnapshot, order: OrderRequest, params: MatchParams, shown_km: float
) -> TeamCandidate:
    members = available_members(team, order, params)
    required = sorted(order.required_skills)
    covered = sorted(order.required_skills & frozenset().union(*(m.skills for m in members)))
    skilled = sum(1 for m in members if m.skills & order.required_skills)
    skill = 0.5 * len(covered) / max(len(required), 1) + 0.5 * skilled / max(len(members), 1)
    spherical = float(haversine_km(team.base_lat, team.base_lng, order.lat, order.lng))
    n = max(len(members), 1)
    fair = sum(float(scoring.fairness_value(m.recent_hours, params)) for m in members) / n
    rel = (
        sum(
            float(
                scoring.reliability_value(
                    m.completed,
                    m.no_shows,
                    float("nan") if m.rating_avg is None else m.rating_avg,
                    m.rating_count,
                    params,
                )
            )
            for m in members
        )
        / n
    )
    same_comm = order.community_id is not None and team.community_id == order.community_id
    same_street = order.street_id is not None and team.street_id == order.street_id
    values = {
        "skill": skill,
        "distance": float(scoring.proximity_value(spherical, params)),
        "fairness": fair,
        "reliability": rel,
        "locality": float(scoring.locality_value(same_comm, same_street, params)),
    }
    w = params.weights
    score = float(scoring.total_score(*values.values(), params))
    acts = sum(m.activities_this_month for m in members)
    details = {
        "skill": {
            "matched_skill_ids": covered,
            "required_skill_ids": required,
            "skilled_members": skilled,
        },
        "distance": {"distance_km": shown_km},
        "fairness": {
            "recent_hours": sum(m.recent_hours for m in members),
            "activities_this_month": acts,
        },
        "reliability": {
            "completed": sum(m.completed for m in members),
            "no_shows": sum(m.no_shows for m in members),
        },
        "locality": {"same_community": same_comm, "same_street": same_street},
    }
    parts = tuple(ScorePart(code, values[code], getattr(w, code), details[code]) for code in values)
    return TeamCandidate(team.id, score, shown_km, parts, tuple(m.id for m in members))


def rank_teams(
    order: OrderRequest,
    teams: Sequence[TeamSnapshot],
    k: int = 10,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    distance: DistanceFn | None = None,
) -> list[TeamCandidate]:
    """Eligible teams for an order, best first, ties by ascending team id."""
    out = []
    for team in teams:
        if check_team_eligibility(team, order, params, now, distance=distance):
            continue
        shown = (distance or geodesic_km)(team.base_lat, team.base_lng, order.lat, order.lng)
        out.append(_team_candidate(team, order, params, shown))
    out.sort(key=lambda c: (-c.score, c.team_id))
    return out[:k]
