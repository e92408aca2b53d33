"""Personal data on the way out: masked phone numbers, and the audited reveal of a full one."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.auth import policy, repository
from service.auth.audit import AuditAction, record_action
from service.context import ActionContext
from service.errors import Forbidden, NotFound
from service.masking import mask_phone
from service.messages import text

__all__ = [
    "mask_phone",
    "phone_for",
    "reveal_phone",
]


def phone_for(ctx_actor, *, subject_user_id: int, phone: str | None) -> str:
    """What a list or page may show: the full number only to its owner, else masked."""
    if policy.can_see_full_phone(ctx_actor, subject_user_id):
        return phone or "—"
    return mask_phone(phone) or "—"


async def reveal_phone(
    session: AsyncSession, *, ctx: ActionContext, user_id: int, order_id: int | None
) -> str:
    """The full number, when policy allows it; every reveal of someone else's is audited."""
    via_order = None
    if order_id is not None:
        facts = await repository.order_contact_facts(
            session=session,
            order_id=order_id,
            subject_user_id=user_id,
            engaged_statuses=policy.ENGAGED_OFFER_STATUSES,
        )
        if facts is None:
            raise NotFound(text("refusal.phone.order_not_found"))
        community_id, accepted = facts
        via_order = policy.OrderContact(order_id, community_id, accepted)
    if not policy.can_see_full_phone(ctx.actor, user_id, via_order=via_order):
        raise Forbidden(text("refusal.phone.not_allowed"))
    subject = await repository.user_by_id(session=session, user_id=user_id)
    if subject is None:
        raise NotFound(text("refusal.account.user_not_found"))
    if ctx.actor.user_id != user_id:
        await record_action(
            session, ctx, AuditAction.phone_revealed, target_user_id=user_id,
            detail={"order_id": order_id},
        )  # fmt: skip
    return subject.phone
