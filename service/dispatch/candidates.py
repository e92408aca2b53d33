"""The bridge to the matching core: database rows in, ranked candidates and suggestions out."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.eligibility import check_eligibility
from matching.params import MatchParams
from matching.ranking import count_candidates_with_relaxation, rank_candidates
from matching.types import AvailabilityWindow as WindowSnapshot
from matching.types import Candidate, Commitment, OrderRequest, VolunteerSnapshot
from service.dispatch import repository as repo
from service.dispatch.disclosure import public_explanation
from service.models import Order
from service.settings import Settings

RELAX_KM = 5.0
# Chinese reasons for the matching core's eligibility codes.
REASON_LABELS = {
    "order_started": "活动已开始",
    "inactive": "志愿者已暂停服务",
    "no_shared_skill": "技能与活动要求不匹配",
    "too_far": "超出服务距离",
    "outside_availability": "不在可服务时段",
    "blackout_date": "当天不可服务",
    "commitment_conflict": "与已接的其他活动时间冲突（含路途时间）",
}


def match_params(settings: Settings) -> MatchParams:
    """Matching parameters from the settings (the travel buffer is a dispatch rule)."""
    return MatchParams(travel_buffer=timedelta(minutes=settings.travel_buffer_minutes))


@dataclass(frozen=True)
class OrderDraft:
    """The fields matching needs, from a saved order or from unsaved form values."""

    id: int
    lat: float
    lng: float
    starts_at: datetime
    ends_at: datetime
    skill_ids: frozenset[int]
    slots: int
    max_distance_km: float
    community_id: int | None
    venue_id: int | None = None  # a saved venue of the community, when the place is one


async def draft_of(session: AsyncSession, order: Order) -> OrderDraft:
    """The matching view of a saved order."""
    from service.orders.repository import skill_ids_of

    return OrderDraft(
        id=order.id,
        lat=order.venue_lat,
        lng=order.venue_lng,
        starts_at=order.starts_at,
        ends_at=order.ends_at,
        skill_ids=frozenset(await skill_ids_of(session=session, order_id=order.id)),
        slots=order.slots,
        max_distance_km=order.max_distance_km,
        community_id=order.community_id,
        venue_id=order.venue_id,
    )


async def order_request(session: AsyncSession, draft: OrderDraft, *, slots: int | None = None):
    """The matching core's ``OrderRequest`` for a draft."""
    return OrderRequest(
        id=draft.id,
        lat=draft.lat,
        lng=draft.lng,
        start=draft.starts_at,
        end=draft.ends_at,
        required_skills=draft.skill_ids,
        slots=draft.slots if slots is None else slots,
        max_distance_km=draft.max_distance_km,
        community_id=draft.community_id,
        street_id=await repo.street_of(session=session, community_id=draft.community_id),
    )


async def volunteer_snapshots(
    session: AsyncSession,
    draft: OrderDraft,
    *,
    now: datetime,
    extra_km: float = 0.0,
    volunteer_ids: list[int] | None = None,
) -> list[VolunteerSnapshot]:
    """Snapshots of active volunteers who share a skill and live roughly within reach."""
    reach = draft.max_distance_km + extra_km + 1.0
    dlat = reach / 111.0
    dlng = reach / (111.0 * max(math.cos(math.radians(draft.lat)), 0.01))
    if volunteer_ids is not None:
        rows = await repo.active_volunteers_by_id(session=session, volunteer_ids=volunteer_ids)
    else:
        # A bounding box prefilter; the matching core decides the exact distance.
        rows = await repo.active_volunteers_in_box(
            session=session,
            lat_range=(draft.lat - dlat, draft.lat + dlat),
            lng_range=(draft.lng - dlng, draft.lng + dlng),
            skill_ids=draft.skill_ids,
        )
    ids = [volunteer.id for volunteer, _ in rows]
    if not ids:
        return []
    skills, windows, blackouts, commitments, hours, months = await _profiles(session, ids, now)
    return [
        VolunteerSnapshot(
            id=v.id,
            lat=v.home_lat,
            lng=v.home_lng,
            radius_km=v.radius_km,
            skills=frozenset(skills[v.id]),
            weekly_availability=tuple(windows[v.id]),
            blackout_dates=frozenset(blackouts[v.id]),
            community_id=v.home_area_id,
            street_id=street_id,
            recent_hours=hours.get(v.id, 0.0),
            activities_this_month=months.get(v.id, 0),
            completed=v.completed_count,
            no_shows=v.no_show_count,
            rating_avg=v.rating_avg,
            rating_count=v.rating_count,
            commitments=tuple(commitments[v.id]),
        )
        for v, street_id in rows
    ]


async def _profiles(session: AsyncSession, ids: list[int], now: datetime):
    skills: dict[int, list[int]] = defaultdict(list)
    for vid, sid in await repo.skill_pairs(session=session, volunteer_ids=ids):
        skills[vid].append(sid)
    windows: dict[int, list[WindowSnapshot]] = defaultdict(list)
    for w in await repo.availability_windows(session=session, volunteer_ids=ids):
        windows[w.volunteer_id].append(WindowSnapshot(w.weekday, w.start_minute, w.end_minute))
    blackouts: dict[int, list] = defaultdict(list)
    for vid, day in await repo.blackout_days(session=session, volunteer_ids=ids):
        blackouts[vid].append(day)
    commitments: dict[int, list[Commitment]] = defaultdict(list)
    for vid, oid, start, end in await repo.commitments(session=session, volunteer_ids=ids, now=now):
        commitments[vid].append(Commitment(oid, start, end))
    since = now - timedelta(days=30)
    hours, months = {}, {}
    for vid, total, count in await repo.service_totals_since(
        session=session, volunteer_ids=ids, since=since
    ):
        hours[vid], months[vid] = float(total or 0), int(count)
    return skills, windows, blackouts, commitments, hours, months


async def ranked_candidates(
    session: AsyncSession,
    draft: OrderDraft,
    *,
    settings: Settings,
    now: datetime,
    k: int,
    exclude: set[int] = frozenset(),
) -> list[Candidate]:
    """The ``k`` best eligible volunteers for a draft, best first, skipping ``exclude``."""
    if not draft.skill_ids:
        return []
    volunteers = [
        v for v in await volunteer_snapshots(session, draft, now=now) if v.id not in exclude
    ]
    request = await order_request(session, draft)
    return rank_candidates(request, volunteers, k, match_params(settings), now)


async def explain(session: AsyncSession, draft: OrderDraft, candidates: list[Candidate]):
    """(candidate, Chinese one-line explanation with the distance band) pairs."""
    names = await repo.skill_names(session=session, skill_ids=draft.skill_ids)
    return [(c, public_explanation(c, names)) for c in candidates]


async def eligibility_reasons(
    session: AsyncSession, draft: OrderDraft, volunteer_id: int, *, settings: Settings, now
) -> list[str]:
    """Chinese reasons why one volunteer may not take a draft (empty: eligible).

    Commitments are left out here: the accept path checks overlaps under a row lock.
    """
    found = await volunteer_snapshots(session, draft, now=now, volunteer_ids=[volunteer_id])
    if not found:
        return [REASON_LABELS["inactive"]]
    volunteer = found[0]
    request = await order_request(session, draft)
    codes = check_eligibility(
        volunteer.__class__(**{**_fields(volunteer), "commitments": ()}),
        request,
        match_params(settings),
        now,
    )
    return [REASON_LABELS.get(code, code) for code in codes]


def _fields(snapshot: VolunteerSnapshot) -> dict:
    return {name: getattr(snapshot, name) for name in snapshot.__dataclass_fields__}


async def suggestion_for(
    session: AsyncSession, draft: OrderDraft, *, settings: Settings, now: datetime, exclude=()
) -> dict:
    """What a coordinator could change when nobody is left: a wider radius, or Saturday."""
    params = match_params(settings)
    request = await order_request(session, draft)
    wide = [
        v
        for v in await volunteer_snapshots(session, draft, now=now, extra_km=RELAX_KM)
        if v.id not in exclude
    ]
    relaxed = count_candidates_with_relaxation(request, wide, params, now, RELAX_KM)
    saturday = _next_saturday(draft, params)
    moved = OrderDraft(**{**draft.__dict__, "starts_at": saturday[0], "ends_at": saturday[1]})
    moved_request = await order_request(session, moved)
    on_saturday = [
        c.volunteer_id for c in rank_candidates(moved_request, wide, len(wide) or 1, params, now)
    ]
    lines = []
    if relaxed.gained:
        lines.append(f"服务半径放宽 {RELAX_KM:g} 公里后有 {relaxed.gained} 名候选志愿者")
    if on_saturday:
        lines.append(
            f"改到周六（{saturday[0] + params.utc_offset:%m月%d日}）有 {len(on_saturday)} 名候选志愿者"
        )
    if not lines:
        lines.append("附近暂无符合条件的志愿者，建议调整技能要求或联系志愿队")
    return {
        "text": "；".join(lines),
        "candidates_now": relaxed.eligible_now,
        "extra_km": RELAX_KM,
        "candidates_with_extra_km": relaxed.eligible_relaxed,
        "saturday_starts_at": saturday[0].isoformat(),
        "candidates_on_saturday": len(on_saturday),
    }


def _next_saturday(draft: OrderDraft, params: MatchParams) -> tuple[datetime, datetime]:
    """The same local time of day on the next Saturday after the order's start."""
    local = draft.starts_at + params.utc_offset
    days = (5 - local.weekday()) % 7 or 7
    shift = timedelta(days=days)
    return draft.starts_at + shift, draft.ends_at + shift
