"""Score parts (each in [0, 1]) and their weighted, rounded total.

Every function takes numpy arrays or scalars, so the per-order scan, the batch graph and the
single-pair explanation all run the same arithmetic.
"""

from __future__ import annotations

import numpy as np

from matching.params import MatchParams


def skill_value(matched_count, required_count):
    """Share of the order's required skills that the volunteer has (at least one, by eligibility)."""
    return np.asarray(matched_count, dtype=np.float64) / np.maximum(required_count, 1)


def proximity_value(distance_km, params: MatchParams):
    """1 at the venue, 0.5 at ``proximity_half_km``; strictly decreasing with distance."""
    d0 = params.proximity_half_km
    return d0 / (d0 + np.maximum(np.asarray(distance_km, dtype=np.float64), 0.0))


def fairness_value(recent_hours, params: MatchParams):
    """Less recent work ranks higher: 1 for no hours in 30 days, 0.5 at ``fairness_half_hours``."""
    h0 = params.fairness_half_hours
    return h0 / (h0 + np.maximum(np.asarray(recent_hours, dtype=np.float64), 0.0))


def completion_rate(completed, no_shows, params: MatchParams):
    """Completed share of finished engagements, smoothed towards ``completion_prior``."""
    k = params.completion_prior_weight
    completed = np.asarray(completed, dtype=np.float64)
    total = completed + np.asarray(no_shows, dtype=np.float64)
    return (completed + params.completion_prior * k) / (total + k)


def rating_value(rating_avg, rating_count, params: MatchParams):
    """Average stars smoothed towards ``rating_prior``, mapped from 1..5 to 0..1."""
    m = params.rating_prior_weight
    avg = np.asarray(rating_avg, dtype=np.float64)
    count = np.asarray(rating_count, dtype=np.float64)
    avg = np.where(np.isnan(avg) | (count <= 0), params.rating_prior, avg)
    count = np.maximum(count, 0.0)
    stars = (avg * count + params.rating_prior * m) / (count + m)
    return np.clip((stars - 1.0) / 4.0, 0.0, 1.0)


def reliability_value(completed, no_shows, rating_avg, rating_count, params: MatchParams):
    """Blend of smoothed completion rate and smoothed rating."""
    share = params.completion_share
    return share * completion_rate(completed, no_shows, params) + (1 - share) * rating_value(
        rating_avg, rating_count, params
    )


def locality_value(same_community, same_street, params: MatchParams):
    """1 in the order's community, ``same_street_value`` in its street, else 0."""
    return np.where(same_community, 1.0, np.where(same_street, params.same_street_value, 0.0))


def total_score(skill, distance, fairness, reliability, locality, params: MatchParams):
    """Weighted sum of the parts, rounded to ``score_decimals`` (ties then go to the lower id)."""
    w = params.weights
    raw = (
        w.skill * skill
        + w.distance * distance
        + w.fairness * fairness
        + w.reliability * reliability
        + w.locality * locality
    )
    return np.round(raw, params.score_decimals)


def score_upper_bound(params: MatchParams, *, fairness_max: float, reliability_max: float) -> float:
    """Largest score any volunteer whose static parts are capped by these maxima can reach."""
    w = params.weights
    return (
        w.skill
        + w.distance
        + w.locality
        + w.fairness * fairness_max
        + w.reliability * reliability_max
    )
