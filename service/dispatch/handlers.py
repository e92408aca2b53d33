"""How dispatch reacts to the order domain's events: the cascade asks, re-asks and recalls."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.dispatch.cascade import pull_outstanding_offers, top_up_offers
from service.domain_events import OrderPublished, OrderRedispatched, subscribe


async def offer_published_order(
    session: AsyncSession, ctx: ActionContext, event: OrderPublished
) -> None:
    """A targeted order just published: offer it to the best candidates (other modes: nothing)."""
    await top_up_offers(session, ctx, order=event.order)


async def restart_dispatch(
    session: AsyncSession, ctx: ActionContext, event: OrderRedispatched
) -> None:
    """Re-dispatch: withdraw the offers still waiting, then ask afresh under the new terms."""
    await pull_outstanding_offers(session, ctx, order_id=event.order.id, reason=event.reason)
    await top_up_offers(session, ctx, order=event.order)


def register() -> None:
    subscribe(OrderPublished, offer_published_order)
    subscribe(OrderRedispatched, restart_dispatch)
