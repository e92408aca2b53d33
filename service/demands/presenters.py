"""ORM rows → response models for demands."""

from __future__ import annotations

from service.demands.schemas import DemandForWorker, DemandProgress, DemandPublic
from service.masking import mask_phone
from service.models import Demand, Order
from service.vocab import DEMAND_STATUS_LABELS, DemandStatus


def _common(demand: Demand, order: Order | None) -> dict:
    return {
        "id": demand.id,
        "community_id": demand.community_id,
        "skill_id": demand.skill_id,
        "topic": demand.topic,
        "target_group": demand.target_group,
        "description": demand.description,
        "preferred_start": demand.preferred_start,
        "preferred_end": demand.preferred_end,
        "status": demand.status,
        "status_label": DEMAND_STATUS_LABELS[DemandStatus(demand.status)],
        "merged_into_id": demand.merged_into_id,
        "order_id": order.id if order else None,
        "upvotes": demand.upvotes,
        "created_at": demand.created_at,
    }


def public(demand: Demand, order: Order | None = None) -> DemandPublic:
    return DemandPublic(**_common(demand, order))


def for_worker(demand: Demand, order: Order | None = None) -> DemandForWorker:
    return DemandForWorker(
        **_common(demand, order),
        contact_name=demand.contact_name,
        contact_phone_masked=mask_phone(demand.contact_phone),
        decline_reason=demand.decline_reason,
    )


def progress(demand: Demand, order: Order | None) -> DemandProgress:
    return DemandProgress(
        id=demand.id,
        topic=demand.topic,
        status=demand.status,
        status_label=DEMAND_STATUS_LABELS[DemandStatus(demand.status)],
        decline_reason=demand.decline_reason,
        merged_into_id=demand.merged_into_id,
        order_id=order.id if order else None,
        order_title=order.title if order else None,
        order_starts_at=order.starts_at if order else None,
        upvotes=demand.upvotes,
    )
