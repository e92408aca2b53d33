"""The live candidate preview: how many volunteers could take an order, and the best of them."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from matching.ranking import count_candidates_with_relaxation
from service.context import ActionContext
from service.dispatch import repository as repo
from service.dispatch.candidates import (
    OrderDraft,
    draft_of,
    explain,
    match_params,
    order_request,
    ranked_candidates,
    suggestion_for,
    volunteer_snapshots,
)
from service.masking import mask_phone
from service.models import Order
from service.orders import service as orders_service
from service.orders.geocoding import resolve_place
from service.orders.schemas import CandidatePublic, PreviewPublic, PreviewRequest, ScorePartPublic

PART_LABELS = {
    "skill": "技能匹配",
    "distance": "距离",
    "fairness": "工作量均衡",
    "reliability": "可靠度",
    "locality": "同社区/街道",
}


async def draft_from_form(session: AsyncSession, ctx: ActionContext, data: PreviewRequest):
    """The matching view of unsaved form values (the venue is resolved like on save)."""
    await orders_service.managed_community(session, ctx, data.community_id)
    place = await resolve_place(
        session,
        ctx.settings,
        community_id=data.community_id,
        venue_id=data.venue_id,
        venue_name=data.venue_name,
        venue_address=data.venue_address,
        lat=data.lat,
        lng=data.lng,
        coord_system=data.coord_system,
    )
    return OrderDraft(
        id=0,
        lat=place.lat,
        lng=place.lng,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        skill_ids=frozenset(data.skill_ids),
        slots=data.slots,
        max_distance_km=data.max_distance_km or ctx.settings.default_max_distance_km,
        community_id=data.community_id,
    )


async def preview(
    session: AsyncSession, ctx: ActionContext, draft: OrderDraft, *, limit: int = 10
) -> PreviewPublic:
    """Count and top candidates with score parts; a suggestion when there are none."""
    volunteers = await volunteer_snapshots(session, draft, now=ctx.now)
    request = await order_request(session, draft)
    count = (
        count_candidates_with_relaxation(
            request, volunteers, match_params(ctx.settings), ctx.now, 0.0
        ).eligible_now
        if draft.skill_ids
        else 0
    )
    top = await ranked_candidates(session, draft, settings=ctx.settings, now=ctx.now, k=limit)
    people = await repo.names_and_phones(
        session=session, volunteer_ids=[c.volunteer_id for c in top]
    )
    candidates = [
        CandidatePublic(
            volunteer_id=c.volunteer_id,
            name=people[c.volunteer_id][0],
            phone_masked=mask_phone(people[c.volunteer_id][1]),
            distance_km=round(c.distance_km, 2),
            score=c.score,
            parts=[
                ScorePartPublic(
                    code=p.code,
                    label=PART_LABELS.get(p.code, p.code),
                    value=p.value,
                    weight=p.weight,
                )
                for p in c.parts
            ],
            explanation=text,
        )
        for c, text in await explain(session, draft, top)
    ]
    suggestion = None
    if count == 0:
        suggestion = await suggestion_for(session, draft, settings=ctx.settings, now=ctx.now)
    return PreviewPublic(count=count, candidates=candidates, suggestion=suggestion)


async def preview_order(session: AsyncSession, ctx: ActionContext, order: Order, *, limit: int):
    return await preview(session, ctx, await draft_of(session, order), limit=limit)
