"""The bridge to the matching core: orders in, ranked candidates, counts and suggestions out.

Candidates come from the process's live index (``live_index``); only the few about to be offered
are read again from the database (``ranked_candidates(recheck=True)``).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.eligibility import check_eligibility
from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.types import Candidate, OrderRequest
from service.dispatch import repository as repo
from service.dispatch.disclosure import public_explanation
from service.dispatch.live_index import live_index_for
from service.dispatch.snapshots import snapshots_by_id, snapshots_in_box
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


async def candidate_pool(
    session: AsyncSession,
    draft: OrderDraft,
    *,
    settings: Settings,
    now: datetime,
    extra_km: float = 0.0,
) -> VolunteerIndex:
    """Where an order's candidates are looked up: this process's live index (every active
    volunteer, fresh from the change log), or with ``KEPU_CANDIDATE_SOURCE=database`` an index
    of the volunteers read row by row from a box around the order (the old, exact path)."""
    params = match_params(settings)
    if settings.candidate_source == "index":
        live = live_index_for(session.bind, params, settings.candidate_index_rebuild_minutes)
        return await live.current(now)
    volunteers = await snapshots_in_box(
        session,
        lat=draft.lat,
        lng=draft.lng,
        reach_km=draft.max_distance_km + extra_km,
        skill_ids=draft.skill_ids,
        now=now,
    )
    return VolunteerIndex.build(volunteers, params, tiers=1)


async def ranked_candidates(
    session: AsyncSession,
    draft: OrderDraft,
    *,
    settings: Settings,
    now: datetime,
    k: int,
    exclude: Collection[int] = frozenset(),
    recheck: bool = False,
) -> list[Candidate]:
    """The ``k`` best eligible volunteers for a draft, best first, skipping ``exclude``.

    With ``recheck`` (about to offer them the order) each pick is checked once more against the
    database — status, profile, commitments, read in this transaction — and dropped if it no
    longer passes: the index may not yet hold a change this very transaction made.
    """
    if not draft.skill_ids or k <= 0:
        return []
    pool = await candidate_pool(session, draft, settings=settings, now=now)
    request = await order_request(session, draft)
    params = match_params(settings)
    want = k + len(exclude)
    while True:
        found = pool.top_k(request, want, params, now)
        picks = [c for c in found if c.volunteer_id not in exclude]
        if recheck:
            picks = await _still_eligible(session, request, picks, params, now)
        if len(picks) >= k or len(found) < want:
            return picks[:k]
        want *= 2


async def _still_eligible(session, request, picks: list[Candidate], params, now):
    fresh = {
        v.id: v for v in await snapshots_by_id(session, [c.volunteer_id for c in picks], now=now)
    }
    return [
        c
        for c in picks
        if c.volunteer_id in fresh
        and not check_eligibility(fresh[c.volunteer_id], request, params, now)
    ]


async def count_and_best(
    session: AsyncSession, draft: OrderDraft, *, settings: Settings, now: datetime, k: int
) -> tuple[int, list[Candidate]]:
    """How many volunteers could take the draft as it is, and the ``k`` best of them: one look
    at the index (one change-log read) for both."""
    if not draft.skill_ids:
        return 0, []
    pool = await candidate_pool(session, draft, settings=settings, now=now)
    request = await order_request(session, draft)
    return pool.count_and_top(request, k, match_params(settings), now)


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
    found = await snapshots_by_id(session, [volunteer_id], now=now)
    if not found:
        return [REASON_LABELS["inactive"]]
    request = await order_request(session, draft)
    codes = check_eligibility(
        replace(found[0], commitments=()), request, match_params(settings), now
    )
    return [REASON_LABELS.get(code, code) for code in codes]


async def suggestion_for(
    session: AsyncSession, draft: OrderDraft, *, settings: Settings, now: datetime, exclude=()
) -> dict:
    """What a coordinator could change when nobody is left: a wider radius, or Saturday."""
    params = match_params(settings)
    request = await order_request(session, draft)
    pool = await candidate_pool(session, draft, settings=settings, now=now, extra_km=RELAX_KM)

    def eligible(order: OrderRequest, extra_km: float = 0.0) -> int:
        ids = pool.eligible_ids(order, params, now, extra_km=extra_km)
        return sum(1 for i in ids if i not in exclude)

    eligible_now = eligible(request)
    eligible_relaxed = eligible(request, RELAX_KM)
    gained = eligible_relaxed - eligible_now
    saturday = _next_saturday(draft, params)
    on_saturday = eligible(replace(request, start=saturday[0], end=saturday[1]))
    lines = []
    if gained:
        lines.append(f"服务半径放宽 {RELAX_KM:g} 公里后有 {gained} 名候选志愿者")
    if on_saturday:
        lines.append(
            f"改到周六（{saturday[0] + params.utc_offset:%m月%d日}）有 {on_saturday} 名候选志愿者"
        )
    if not lines:
        lines.append("附近暂无符合条件的志愿者，建议调整技能要求或联系志愿队")
    return {
        "text": "；".join(lines),
        "candidates_now": eligible_now,
        "extra_km": RELAX_KM,
        "candidates_with_extra_km": eligible_relaxed,
        "saturday_starts_at": saturday[0].isoformat(),
        "candidates_on_saturday": on_saturday,
    }


def _next_saturday(draft: OrderDraft, params: MatchParams) -> tuple[datetime, datetime]:
    """The same local time of day on the next Saturday after the order's start."""
    local = draft.starts_at + params.utc_offset
    days = (5 - local.weekday()) % 7 or 7
    shift = timedelta(days=days)
    return draft.starts_at + shift, draft.ends_at + shift
