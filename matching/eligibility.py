"""Hard constraints for one (volunteer, order) pair, with reasons a person can read.

This is the readable reference of the rules; the vectorized scan in ``pipeline.py`` implements
the same rules for many rows at once and the tests check that both agree.
"""

from __future__ import annotations

from datetime import datetime

from matching.geo import geodesic_km
from matching.params import DEFAULT_PARAMS, MatchParams
from matching.qualifications import (
    CREDENTIAL_LAPSED,
    MISSING_CREDENTIAL,
    NOT_INSURED,
    qualification_problems,
)
from matching.time_windows import (
    availability_covers,
    local_dates,
    local_week_interval,
    windows_conflict,
)
from matching.types import DistanceFn, OrderRequest, VolunteerSnapshot

# Reason codes, in the order they are checked. Pages map them to Chinese text.
ORDER_STARTED = "order_started"  # 活动已开始
INACTIVE = "inactive"  # 志愿者已暂停
NO_SHARED_SKILL = "no_shared_skill"  # 技能不匹配
TOO_FAR = "too_far"  # 超出服务半径
OUTSIDE_AVAILABILITY = "outside_availability"  # 不在可服务时段
BLACKOUT_DATE = "blackout_date"  # 当天不可服务
COMMITMENT_CONFLICT = "commitment_conflict"  # 与已接活动时间冲突
# MISSING_CREDENTIAL, CREDENTIAL_LAPSED, NOT_INSURED: see ``matching.qualifications``.

REASON_CODES = (
    ORDER_STARTED,
    INACTIVE,
    NO_SHARED_SKILL,
    TOO_FAR,
    OUTSIDE_AVAILABILITY,
    BLACKOUT_DATE,
    COMMITMENT_CONFLICT,
    MISSING_CREDENTIAL,
    CREDENTIAL_LAPSED,
    NOT_INSURED,
)


def distance_limit_km(
    volunteer: VolunteerSnapshot, order: OrderRequest, extra_km: float = 0.0
) -> float:
    """The largest allowed distance: min(volunteer radius, order maximum) plus any relaxation."""
    return min(volunteer.radius_km, order.max_distance_km) + extra_km


def check_eligibility(
    volunteer: VolunteerSnapshot,
    order: OrderRequest,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    *,
    distance: DistanceFn | None = None,
    extra_km: float = 0.0,
) -> list[str]:
    """Every hard rule the pair breaks, as reason codes; an empty list means eligible.

    ``now`` (when given) refuses orders that have already started; ``extra_km`` widens both
    distance limits (to answer "how many candidates within radius + 5 km").
    """
    reasons: list[str] = []
    if now is not None and order.start <= now:
        reasons.append(ORDER_STARTED)
    if not volunteer.active:
        reasons.append(INACTIVE)
    if not (volunteer.skills & order.required_skills):
        reasons.append(NO_SHARED_SKILL)
    d = (distance or geodesic_km)(volunteer.lat, volunteer.lng, order.lat, order.lng)
    if d > distance_limit_km(volunteer, order, extra_km):
        reasons.append(TOO_FAR)
    begin, end = local_week_interval(order.start, order.end, params.utc_offset)
    if not availability_covers(volunteer.weekly_availability, begin, end):
        reasons.append(OUTSIDE_AVAILABILITY)
    if any(
        d in volunteer.blackout_dates
        for d in local_dates(order.start, order.end, params.utc_offset)
    ):
        reasons.append(BLACKOUT_DATE)
    if any(
        c.order_id != order.id
        and windows_conflict(order.start, order.end, c.start, c.end, params.travel_buffer)
        for c in volunteer.commitments
    ):
        reasons.append(COMMITMENT_CONFLICT)
    if order.required_credentials or order.requires_insurance:
        reasons.extend(p.code for p in qualification_problems(volunteer, order, params))
    return reasons


def is_eligible(
    volunteer: VolunteerSnapshot,
    order: OrderRequest,
    params: MatchParams = DEFAULT_PARAMS,
    now: datetime | None = None,
    **kwargs,
) -> bool:
    """True when no hard rule is broken."""
    return not check_eligibility(volunteer, order, params, now, **kwargs)
