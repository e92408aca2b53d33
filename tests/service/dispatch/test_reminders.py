"""Reminders before the start: confirm by POST /offers/{id}/confirm, or be flagged to the worker.

Rule (service.background.worker.send_reminders): the reminder goes out once the start is
``reminder_hours_before`` (24 h) away; still unconfirmed at half that window before the start
(12 h), the offer is flagged ``unconfirmed`` and the community's workers are told — but never
sooner than ``confirm_grace_minutes`` (60) after the reminder itself.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from service.background.worker import run_once
from service.models import Notification, Offer
from tests.factories import bearer
from tests.loop_helpers import staffed_order
from tests.races.world import seed_open_order


async def _sweep(app, at):
    report = await run_once(app.state.sessionmaker, app.state.settings, at)
    assert report.errors == []
    return report


async def _count(session, kind: str, offer_id: int | None = None) -> int:
    await session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one per transaction)
    rows = await session.scalars(sa.select(Notification).where(Notification.kind == kind))
    return sum(1 for n in rows if offer_id is None or n.payload.get("offer_id") == offer_id)


async def _offer(session, offer_id: int) -> Offer:
    await session.rollback()
    return await session.get(Offer, offer_id, populate_existing=True)


async def test_reminded_once_confirmed_stays_clear_silent_is_flagged_once(
    app, client, session, clock
):
    assert app.state.settings.reminder_hours_before == 24
    start = clock.now() + timedelta(days=2)
    _community, _worker, _order, people = await staffed_order(
        session, starts_at=start, volunteers=2
    )
    (_v1, auth1, offer1), (_v2, auth2, offer2) = people
    ids = offer1.id, offer2.id  # plain ints: the rows expire with each fresh snapshot

    assert (await _sweep(app, start - timedelta(hours=25))).reminders == 0
    assert (await _sweep(app, start - timedelta(hours=24))).reminders == 2
    assert (await _sweep(app, start - timedelta(hours=23, minutes=59))).reminders == 0
    assert await _count(session, "offer_reminder", ids[0]) == 1
    assert await _count(session, "offer_reminder", ids[1]) == 1

    clock.current = start - timedelta(hours=20)
    confirmed = await client.post(f"/api/v1/offers/{ids[0]}/confirm", headers=auth1)
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["confirmed_at"] is not None

    before_half = await _sweep(app, start - timedelta(hours=12, minutes=1))
    assert before_half.flagged_unconfirmed == 0
    at_half = await _sweep(app, start - timedelta(hours=12))
    assert at_half.flagged_unconfirmed == 1
    assert (await _offer(session, ids[0])).flags == []
    assert (await _offer(session, ids[1])).flags == ["unconfirmed"]
    assert await _count(session, "offer_unconfirmed", ids[1]) == 1  # the one worker, once
    assert await _count(session, "offer_unconfirmed", ids[0]) == 0
    again = await _sweep(app, start - timedelta(hours=11))
    assert (again.reminders, again.flagged_unconfirmed) == (0, 0)
    assert await _count(session, "offer_unconfirmed") == 1

    # Confirming late clears the flag, and the worker hears the call is no longer needed.
    clock.current = start - timedelta(hours=10)
    late = await client.post(f"/api/v1/offers/{ids[1]}/confirm", headers=auth2)
    assert late.status_code == 200, late.text
    assert late.json()["flags"] == [] and late.json()["confirmed_at"] is not None
    assert await _count(session, "order_changed") == 1
    last = await _sweep(app, start - timedelta(hours=1))
    assert (last.reminders, last.flagged_unconfirmed) == (0, 0)
    assert (await _offer(session, ids[1])).flags == []


async def test_confirming_before_the_reminder_means_no_reminder_and_no_flag(
    app, client, session, clock
):
    start = clock.now() + timedelta(days=2)
    *_, people = await staffed_order(session, starts_at=start, volunteers=1)
    [(_volunteer, auth, offer)] = people
    response = await client.post(f"/api/v1/offers/{offer.id}/confirm", headers=auth)
    assert response.status_code == 200, response.text
    for hours in (24, 12, 1):
        report = await _sweep(app, start - timedelta(hours=hours))
        assert (report.reminders, report.flagged_unconfirmed) == (0, 0)
    assert await _count(session, "offer_reminder") == 0


async def test_a_late_acceptance_gets_a_grace_period_before_being_flagged(app, session, clock):
    assert app.state.settings.confirm_grace_minutes == 60
    start = clock.now() + timedelta(hours=3)  # accepted well inside the reminder window
    *_, people = await staffed_order(session, starts_at=start, volunteers=1)
    [(_volunteer, _auth, offer)] = people
    offer_id = offer.id
    assert (await _sweep(app, clock.now())).reminders == 1
    soon = await _sweep(app, clock.now() + timedelta(minutes=59))
    assert (soon.reminders, soon.flagged_unconfirmed) == (0, 0)
    later = await _sweep(app, clock.now() + timedelta(minutes=60))
    assert later.flagged_unconfirmed == 1
    assert (await _offer(session, offer_id)).flags == ["unconfirmed"]
    # After the start nothing more happens here: the activity day records a no-show.
    assert (await _sweep(app, start + timedelta(minutes=1))).flagged_unconfirmed == 0


async def test_only_my_accepted_offers_can_be_confirmed(client, session, clock):
    start = clock.now() + timedelta(days=2)
    *_, people = await staffed_order(session, starts_at=start, volunteers=2)
    (_v1, auth1, _offer1), (_v2, _auth2, offer2) = people
    response = await client.post(f"/api/v1/offers/{offer2.id}/confirm", headers=auth1)
    assert response.status_code == 403, response.text
    assert (await _offer(session, offer2.id)).confirmed_at is None


async def test_accepting_again_after_withdrawing_needs_a_new_confirmation(
    app, client, session, clock
):
    world = await seed_open_order(session, volunteers=1, slots=2, now=clock.now())
    token = bearer(world.volunteer_tokens[0])
    accept = f"/api/v1/orders/{world.order_id}/accept"
    offer_id = (await client.post(accept, headers=token)).json()["id"]
    assert (await client.post(f"/api/v1/offers/{offer_id}/confirm", headers=token)).is_success
    withdrawn = await client.post(
        f"/api/v1/offers/{offer_id}/withdraw", json={"reason": "临时有事"}, headers=token
    )
    assert withdrawn.status_code == 200, withdrawn.text
    again = await client.post(accept, headers=token)
    assert again.status_code == 200 and again.json()["id"] == offer_id
    assert again.json()["confirmed_at"] is None
    start = clock.now() + timedelta(days=3)  # seed_open_order's activity
    assert (await _sweep(app, start - timedelta(hours=24))).reminders == 1


async def test_reminder_states_the_start_in_the_configured_time_zone(app, session, clock):
    start = (clock.now() + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)
    await staffed_order(session, starts_at=start, volunteers=1)
    urumqi = app.state.settings.model_copy(update={"timezone": "Asia/Urumqi"})  # UTC+6, no DST

    report = await run_once(app.state.sessionmaker, urumqi, start - timedelta(hours=24))

    assert report.errors == [] and report.reminders == 1
    await session.rollback()
    reminder = await session.scalar(
        sa.select(Notification).where(Notification.kind == "offer_reminder")
    )
    assert (
        reminder.body == f"活动将于 {start + timedelta(hours=6):%m月%d日 %H:%M} 开始，请点击确认。"
    )
    assert f"{start + timedelta(hours=8):%H:%M}" not in reminder.body  # not Beijing time
