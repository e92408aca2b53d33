"""附近可接: the open orders near a volunteer that they can actually take.

One rule for the page (/v/nearby) and the API (GET /api/v1/orders/nearby): an order is listed
only when ``accept_open_order`` would take it — published in open mode, not started, before its
acceptance deadline, with a free place, not answered by the volunteer already — and when the
matching core's hard rules (``matching.eligibility.check_eligibility``: a shared skill, within
min(my radius, the order's distance), my weekly hours, no blackout day, no overlap with what I
hold including the travel buffer, not paused) pass for the volunteer as the candidate index holds
them — the same index the preview and the cascade ask (``VolunteerIndex.is_eligible``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from matching.geo import geodesic_km
from service.context import ActionContext
from service.dispatch.candidates import candidate_pool, draft_of, match_params, order_request
from service.models import Order
from service.orders import repository as orders_repo
from service.orders.service import nearby_open_orders
from service.volunteering import repository as repo

# The box query returns orders by start time; several are dropped by the rules, so it reads
# more than the caller wants (bounded: at most this many orders are checked).
CANDIDATE_FACTOR = 5
MAX_CANDIDATES = 300


@dataclass(frozen=True)
class TakeableOrder:
    order: Order
    distance_km: float  # exact; shown only as a band (``views.distance_band``)


async def orders_i_can_take(
    session: AsyncSession, ctx: ActionContext, *, limit: int
) -> list[TakeableOrder]:
    """Open orders within reach that the acting volunteer may accept now, soonest first."""
    candidates = await nearby_open_orders(
        session, ctx, limit=min(limit * CANDIDATE_FACTOR, MAX_CANDIDATES)
    )
    volunteer_id = ctx.actor.volunteer_id
    answered = await repo.answered_order_ids(
        session=session, volunteer_id=volunteer_id, order_ids=[o.id for o in candidates]
    )
    open_orders = [
        order
        for order in candidates
        if order.id not in answered
        and order.accepted_count < order.slots
        and (order.accept_deadline is None or order.accept_deadline > ctx.now)
    ]
    if not open_orders:
        return []
    drafts = [await draft_of(session, order) for order in open_orders]
    # The candidate index holds the volunteer as matching sees them (skills, hours, blackout
    # days, commitments, fresh from the change log); a paused volunteer is not in it.
    pool = await candidate_pool(session, drafts[0], settings=ctx.settings, now=ctx.now)
    if volunteer_id not in pool:
        return []
    me = await orders_repo.volunteer_by_id(session=session, volunteer_id=volunteer_id)
    params = match_params(ctx.settings)
    takeable = []
    for order, draft in zip(open_orders, drafts, strict=True):
        request = await order_request(session, draft)
        if not pool.is_eligible(volunteer_id, request, params, ctx.now):
            continue
        distance = geodesic_km(me.home_lat, me.home_lng, order.venue_lat, order.venue_lng)
        takeable.append(TakeableOrder(order=order, distance_km=distance))
        if len(takeable) == limit:
            break
    return takeable
