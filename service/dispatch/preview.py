"""The live candidate preview: how many volunteers could take an order, and the best of them.

No location oracle (issue #12): a preview costs a slot of the person's rate limit, is given only
for the community's own places, and shows distances as bands with rounded score parts.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from matching.geo import geodesic_km
from service.auth.throttle import Limit, ThrottleStore, enforce_rate_limit
from service.context import ActionContext
from service.dispatch import repository as repo
from service.dispatch.candidates import (
    OrderDraft,
    count_and_best,
    draft_of,
    explain,
    match_params,
    suggestion_for,
)
from service.dispatch.disclosure import band_radius_km, public_score
from service.errors import Forbidden
from service.masking import mask_phone
from service.messages import text
from service.models import Order
from service.orders import repository as orders_repo
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


async def count_preview(throttle: ThrottleStore, ctx: ActionContext) -> None:
    """Every preview costs one slot of the person's window (429 past the limit)."""
    limit = Limit(
        key=f"preview:user:{ctx.actor.user_id}", max_failures=ctx.settings.preview_max_per_window
    )
    await enforce_rate_limit(throttle, [limit], now=ctx.now)


async def ensure_inside_area(session: AsyncSession, ctx: ActionContext, draft: OrderDraft) -> None:
    """A preview only for the community's own places: a saved venue, or near its centroid.

    Areas have centroids but no polygons, so "within the community" is a radius
    (``KEPU_PREVIEW_AREA_RADIUS_KM``) around the community's centroid.
    """
    if draft.venue_id is not None:
        venue = await orders_repo.get_venue(session=session, venue_id=draft.venue_id)
        if (
            venue is not None
            and venue.community_id == draft.community_id
            and (venue.lat, venue.lng) == (draft.lat, draft.lng)
        ):
            return
    radius = ctx.settings.preview_area_radius_km
    community = await orders_repo.get_area(session=session, area_id=draft.community_id)
    if (
        community is None
        or geodesic_km(community.lat, community.lng, draft.lat, draft.lng) > radius
    ):
        raise Forbidden(
            text("refusal.preview.outside_area", radius_km=f"{radius:g}"), code="outside_area"
        )


async def preview_form(
    session: AsyncSession, ctx: ActionContext, data: PreviewRequest, *, throttle: ThrottleStore
) -> PreviewPublic:
    """The preview of unsaved form values (rate-limited, inside the community only)."""
    await count_preview(throttle, ctx)
    draft = await draft_from_form(session, ctx, data)
    await ensure_inside_area(session, ctx, draft)
    return await preview(session, ctx, draft)


async def preview_order(
    session: AsyncSession, ctx: ActionContext, order: Order, *, throttle: ThrottleStore, limit: int
) -> PreviewPublic:
    """The preview of a saved order (rate-limited, inside the community only)."""
    await count_preview(throttle, ctx)
    draft = await draft_of(session, order)
    await ensure_inside_area(session, ctx, draft)
    banded = replace(draft, max_distance_km=band_radius_km(draft.max_distance_km))
    return await preview(session, ctx, banded, limit=limit)


async def draft_from_form(session: AsyncSession, ctx: ActionContext, data: PreviewRequest):
    """The matching view of unsaved form values (the venue is resolved like on save).

    The distance limit is rounded up to a band edge (see ``disclosure.band_radius_km``).
    """
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
        max_distance_km=band_radius_km(
            data.max_distance_km or ctx.settings.default_max_distance_km
        ),
        community_id=data.community_id,
        venue_id=place.venue_id,
    )


async def preview(
    session: AsyncSession, ctx: ActionContext, draft: OrderDraft, *, limit: int = 10
) -> PreviewPublic:
    """Count and top candidates with banded distances and rounded parts; else a suggestion."""
    count, top = await count_and_best(session, draft, settings=ctx.settings, now=ctx.now, k=limit)
    people = await repo.names_and_phones(
        session=session, volunteer_ids=[c.volunteer_id for c in top]
    )
    params = match_params(ctx.settings)
    candidates = []
    for c, explanation in await explain(session, draft, top):
        shown = public_score(c, params)
        candidates.append(
            CandidatePublic(
                volunteer_id=c.volunteer_id,
                name=people[c.volunteer_id][0],
                phone_masked=mask_phone(people[c.volunteer_id][1]),
                distance_band=shown.band.label,
                score=shown.score,
                parts=[
                    ScorePartPublic(
                        code=p["code"],
                        label=PART_LABELS.get(p["code"], p["code"]),
                        value=p["value"],
                        weight=p["weight"],
                        detail=p["detail"],
                    )
                    for p in shown.parts
                ],
                explanation=explanation,
            )
        )
    suggestion = None
    if count == 0:
        suggestion = await suggestion_for(session, draft, settings=ctx.settings, now=ctx.now)
    return PreviewPublic(count=count, candidates=candidates, suggestion=suggestion)
