"""Two worker processes sweeping at the same moment: every due item is handled exactly once.

Two ``run_once`` calls run concurrently, each with its own sessions (as two ``kepu worker``
processes would on one database), over 30 orders whose offers just expired and 10 accepted
offers due a reminder. Afterwards each expired offer has exactly one expiry event, each order got
exactly one round of cascade offers, each volunteer exactly one reminder — and neither sweep
tripped over the other (no refusals, no errors): the row locks (SKIP LOCKED on PostgreSQL, the
write lock on SQLite) split the work instead of letting both try it.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import timedelta

import sqlalchemy as sa

from service.background.worker import SweepReport, run_once
from service.models import Event, Notification, Offer
from service.vocab import DispatchMode, OfferStatus, OrderStatus
from tests.factories import make_area_tree, make_order, make_skill, make_volunteer

ORDERS = 30
REMINDED = 10
CANDIDATES = 4  # one already asked per order, three left for the cascade


async def _world(session, clock):
    """Orders whose one offer expires at ``due``, and staffed orders starting 12 h after it."""
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    candidates = [
        await make_volunteer(session, home_area=community, skills=[skill], radius_km=10)
        for _ in range(CANDIDATES)
    ]
    due = clock.now() + timedelta(hours=2)
    expiring = []
    for n in range(ORDERS):
        order = await make_order(
            session,
            community=community,
            starts_at=clock.now() + timedelta(days=2, hours=n),
            skills=[skill],
            status=OrderStatus.published,
            dispatch_mode=DispatchMode.targeted,
            published_at=clock.now(),
        )
        offer = Offer(
            order_id=order.id,
            volunteer_id=candidates[0].id,
            status=OfferStatus.offered,
            offered_at=clock.now(),
            expires_at=due,
            rank=1,
        )
        session.add(offer)
        await session.flush()
        expiring.append(offer.id)
    accepted = []
    for _ in range(REMINDED):
        # No skills: never a cascade candidate, so the two parts of the sweep stay independent.
        volunteer = await make_volunteer(session, home_area=community)
        order = await make_order(
            session,
            community=community,
            starts_at=due + timedelta(hours=12),
            status=OrderStatus.staffed,
            accepted_count=1,
        )
        offer = Offer(
            order_id=order.id,
            volunteer_id=volunteer.id,
            status=OfferStatus.accepted,
            offered_at=clock.now(),
        )
        session.add(offer)
        await session.flush()
        accepted.append(offer.id)
    await session.commit()
    return due, expiring, accepted


def _total(reports: list[SweepReport], name: str) -> int:
    return sum(getattr(report, name) for report in reports)


async def test_two_concurrent_sweeps_process_each_due_item_exactly_once(app, session, clock):
    due, expiring, accepted = await _world(session, clock)
    sessionmaker, settings = app.state.sessionmaker, app.state.settings
    reports = list(
        await asyncio.gather(
            run_once(sessionmaker, settings, due), run_once(sessionmaker, settings, due)
        )
    )
    assert [r.errors for r in reports] == [[], []]
    await session.rollback()  # a fresh snapshot

    expiries = Counter(
        await session.scalars(
            sa.select(Event.entity_id).where(
                Event.entity == "offer", Event.to_status == OfferStatus.expired.value
            )
        )
    )
    assert expiries == dict.fromkeys(expiring, 1)
    assert _total(reports, "offers_expired") == ORDERS

    made = Counter(
        await session.scalars(
            sa.select(Offer.order_id).where(Offer.status == OfferStatus.offered.value)
        )
    )
    assert set(made.values()) == {CANDIDATES - 1}, made  # one cascade round per order
    creations = Counter(
        await session.scalars(
            sa.select(Event.entity_id).where(Event.entity == "offer", Event.from_status.is_(None))
        )
    )
    assert set(creations.values()) == {1} and len(creations) == ORDERS * (CANDIDATES - 1)
    assert _total(reports, "offers_made") == ORDERS * (CANDIDATES - 1)

    reminders = Counter(
        n.payload["offer_id"]
        for n in await session.scalars(
            sa.select(Notification).where(Notification.kind == "offer_reminder")
        )
    )
    assert reminders == dict.fromkeys(accepted, 1)
    assert _total(reports, "reminders") == REMINDED
    # Neither sweep did work the other had done (a refusal means it tried, and the state
    # machine's compare-and-set caught it; the lock should have kept it away in the first place).
    assert _total(reports, "refused") == 0
