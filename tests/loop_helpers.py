"""Helpers for order-loop tests: a bearer token for a user with roles, quick arrangements."""

from __future__ import annotations

import json
import re

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import User
from service.vocab import Role
from tests.factories import bearer, make_api_token, make_user


async def user_with_token(
    session: AsyncSession, *roles: tuple[Role, int | None, int | None], name: str = "测试用户"
) -> tuple[User, dict[str, str]]:
    """A user with these roles and the Authorization headers of a token of theirs."""
    user = await make_user(session, name=name, roles=roles)
    return user, bearer(await make_api_token(session, user_id=user.id))


async def staffed_order(session: AsyncSession, *, starts_at, volunteers: int = 2, **order_fields):
    """A staffed order with ``volunteers`` accepted offers, its worker and each volunteer's token.

    Arranged directly (not through the state machine): these tests start on the activity day.
    """
    from service.models import Offer
    from service.vocab import OfferStatus, OrderStatus
    from tests.factories import make_area_tree, make_order, make_skill, make_volunteer

    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    _, worker_auth = await user_with_token(
        session, (Role.worker, community.id, None), name="社区张老师"
    )
    order = await make_order(
        session,
        community=community,
        starts_at=starts_at,
        skills=[skill],
        slots=volunteers,
        status=OrderStatus.staffed,
        accepted_count=volunteers,
        **order_fields,
    )
    people = []
    for n in range(volunteers):
        user = await make_user(
            session, name=f"志愿者{n + 1}", roles=((Role.volunteer, None, None),)
        )
        volunteer = await make_volunteer(session, home_area=community, skills=[skill], user=user)
        offer = Offer(
            order_id=order.id,
            volunteer_id=volunteer.id,
            status=OfferStatus.accepted,
            offered_at=starts_at,
            responded_at=starts_at,
        )
        session.add(offer)
        await session.flush()
        people.append((volunteer, bearer(await make_api_token(session, user_id=user.id)), offer))
    await session.commit()
    return community, worker_auth, order, people


def texted(caplog) -> list[dict]:
    """The SMS texts the development log sender wrote (``to`` masked), oldest first.

    Needs ``caplog.set_level(logging.INFO, logger="kepu.notifications")`` before the request.
    """
    return [
        json.loads(record.getMessage().removeprefix("notification "))
        for record in caplog.records
        if record.name == "kepu.notifications" and record.getMessage().startswith("notification ")
    ]


def texted_code(caplog) -> str:
    """The one-time code of the latest text that carried one."""
    for message in reversed(texted(caplog)):
        found = re.search(r"验证码 (\d{6})", message.get("text", ""))
        if found:
            return found.group(1)
    raise AssertionError("no code was texted")
