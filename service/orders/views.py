"""The public shape of orders, shared by every route that answers with one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import Order
from service.orders import repository
from service.orders.schemas import OrderPublic


async def orders_public(session: AsyncSession, orders: list[Order]) -> list[OrderPublic]:
    """Orders with their skill ids (one query for all of them)."""
    skills = await repository.skill_ids_by_order(session=session, order_ids=[o.id for o in orders])
    return [
        OrderPublic.model_validate(o).model_copy(update={"skill_ids": skills[o.id]}) for o in orders
    ]


async def order_public(session: AsyncSession, order: Order) -> OrderPublic:
    """The API view of a single order (what every action on one order answers with)."""
    return (await orders_public(session, [order]))[0]
