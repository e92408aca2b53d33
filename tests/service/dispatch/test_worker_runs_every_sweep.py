"""One worker pass also closes forgotten check-outs and delivers the outbox."""

from datetime import timedelta

import sqlalchemy as sa

from service.background.worker import run_once
from service.models import Notification, Offer
from service.notifications.outbox import notify
from service.vocab import NotificationStatus, OfferStatus
from tests.loop_helpers import staffed_order


async def test_a_worker_pass_closes_forgotten_checkouts_and_sends_notifications(
    app, session, clock
):
    starts_at = clock.now() - timedelta(hours=3)
    _, _, order, people = await staffed_order(session, starts_at=starts_at, volunteers=1)
    _, _, offer = people[0]
    await session.execute(
        sa.update(Offer)
        .where(Offer.id == offer.id)
        .values(status=OfferStatus.checked_in, checked_in_at=starts_at)
    )
    volunteer_user_id = (people[0][0]).user_id
    await notify(session, user_id=volunteer_user_id, kind="test", title="测试消息", now=clock.now())
    await session.commit()

    report = await run_once(app.state.sessionmaker, app.state.settings, clock.now())

    assert report.checkouts_closed == 1
    async with app.state.sessionmaker() as check:
        closed = await check.get(Offer, offer.id)
        assert closed.checked_out_at == order.ends_at
        assert "auto_checkout" in closed.flags
        statuses = set(await check.scalars(sa.select(Notification.status)))
    assert statuses == {NotificationStatus.sent}


async def test_a_worker_pass_erases_stale_resident_phones_once(app, session, clock, settings):
    from service.models import AuditEntry, Demand
    from tests.factories import make_area_tree

    _, _, community = await make_area_tree(session)
    old = clock.now() - timedelta(days=settings.phone_retention_days + 1)
    session.add(
        Demand(
            community_id=community.id,
            topic="反诈",
            target_group="elderly",
            contact_phone="13600000001",
            created_at=old,
            updated_at=old,
        )
    )
    await session.commit()

    first = await run_once(app.state.sessionmaker, app.state.settings, clock.now())
    second = await run_once(app.state.sessionmaker, app.state.settings, clock.now())

    assert first.phones_erased.demand_contacts == 1
    assert second.phones_erased.demand_contacts == 0
    async with app.state.sessionmaker() as check:
        assert await check.scalar(sa.select(Demand.contact_phone)) is None
        audits = await check.scalar(
            sa.select(sa.func.count()).where(AuditEntry.action == "phones_erased")
        )
    assert audits == 1  # an empty pass leaves no audit row


async def test_a_worker_pass_keeps_the_change_log_short(app, session, clock, monkeypatch):
    from service.dispatch import live_index
    from service.models import VolunteerChange

    session.add_all(VolunteerChange(volunteer_id=i) for i in range(10))
    await session.commit()
    monkeypatch.setattr(live_index, "PRUNE_KEEP", 4)

    report = await run_once(app.state.sessionmaker, app.state.settings, clock.now())

    assert report.changes_pruned == 6
    async with app.state.sessionmaker() as check:
        kept = sorted(await check.scalars(sa.select(VolunteerChange.volunteer_id)))
    assert kept == [6, 7, 8, 9]  # the newest
