"""Messages set off by lower domains' events (identity cannot import notifications)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.domain_events import VolunteerApproved, subscribe
from service.messages import text
from service.notifications.outbox import notify


async def tell_approved_volunteer(
    session: AsyncSession, ctx: ActionContext, event: VolunteerApproved
) -> None:
    await notify(
        session, user_id=event.user_id, kind="volunteer_approved",
        title=text("notification.volunteer_approved.title"),
        body=text("notification.volunteer_approved.body"), now=ctx.now,
    )  # fmt: skip


def register() -> None:
    subscribe(VolunteerApproved, tell_approved_volunteer)
