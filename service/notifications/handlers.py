"""Messages set off by lower domains' events (identity cannot import notifications)."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext
from service.domain_events import PhoneTextReady, VolunteerApproved, subscribe
from service.messages import text
from service.models import Notification, User
from service.notifications.outbox import notify
from service.notifications.senders import DeliveryError, build_sender, log_phone

log = logging.getLogger("kepu.notifications")


async def tell_approved_volunteer(
    session: AsyncSession, ctx: ActionContext, event: VolunteerApproved
) -> None:
    await notify(
        session, user_id=event.user_id, kind="volunteer_approved",
        title=text("notification.volunteer_approved.title"),
        body=text("notification.volunteer_approved.body"), now=ctx.now,
    )  # fmt: skip


async def text_phone(session: AsyncSession, ctx: ActionContext, event: PhoneTextReady) -> None:
    """Send at once by SMS (no outbox: the number may have no account, and a code is urgent).

    A failed send is logged, not raised: the requester gets the same answer either way and can
    ask for a new code, and the answer must not tell whether a text went out.
    """
    message = Notification(
        channel="sms", kind=event.kind, title=event.title, body=event.body, payload={}
    )
    try:
        await build_sender(ctx.settings).send(message, User(phone=event.phone, name=""))
    except DeliveryError as error:
        log.warning("text to %s failed: %s", log_phone(event.phone), error)


def register() -> None:
    subscribe(VolunteerApproved, tell_approved_volunteer)
    subscribe(PhoneTextReady, text_phone)
