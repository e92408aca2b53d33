"""The demand (点单) machine: a new demand is adopted, declined or merged, and then stays so."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.lifecycle.engine import Machine, change_status
from service.models import Demand
from service.vocab import DEMAND_STATUS_LABELS, DemandStatus

DEMAND_TRANSITIONS: dict[tuple[DemandStatus, DemandStatus], str] = {
    (DemandStatus.new, DemandStatus.adopted): "社区采纳，已生成活动草稿",
    (DemandStatus.new, DemandStatus.declined): "社区未采纳",
    (DemandStatus.new, DemandStatus.merged): "与相同需求合并",
}

DEMAND = Machine(
    entity="demand",
    model=Demand,
    noun="点单",
    statuses=DemandStatus,
    labels=DEMAND_STATUS_LABELS,
    transitions=DEMAND_TRANSITIONS,
    why={
        DemandStatus.adopted: "该点单已被采纳并生成活动。",
        DemandStatus.declined: "该点单未被采纳，已关闭。",
        DemandStatus.merged: "该点单已与其他点单合并。",
    },
)


async def change_demand_status(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    demand_id: int,
    to: DemandStatus,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    order_id: int | None = None,
) -> DemandStatus:
    """Move a demand to ``to`` if the table allows it; returns the previous status."""
    previous = await change_status(
        session,
        ctx,
        DEMAND,
        entity_id=demand_id,
        to=to,
        reason=reason,
        values=values,
        order_id=order_id,
    )
    return DemandStatus(previous)
