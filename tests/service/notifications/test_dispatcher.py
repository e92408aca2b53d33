"""deliver_due: sends due rows once, backs off on failure, gives up after the last attempt."""

import asyncio
from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.models import Event, Notification
from service.notifications.dispatcher import RetryPolicy, deliver_due
from service.notifications.outbox import notify
from service.vocab import NotificationStatus
from tests.factories import make_user

POLICY = RetryPolicy(max_attempts=3, backoff_seconds=60, backoff_max_seconds=600)


class Collecting:
    def __init__(self, *, fail: bool = False, delay: float = 0.0):
        self.sent: list[int] = []
        self.fail = fail
        self.delay = delay

    async def send(self, notification, user):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.fail:
            raise RuntimeError("gateway down")
        self.sent.append(notification.id)


async def queue(session, clock, count=1):
    user = await make_user(session)
    rows = [
        await notify(session, user_id=user.id, kind="test", title=f"消息{i}", now=clock.now())
        for i in range(count)
    ]
    await session.commit()
    return user, rows


async def reload(session, notification_id) -> Notification:
    await session.rollback()  # end the read snapshot (SQLite WAL keeps it until then)
    session.expire_all()
    return await session.get(Notification, notification_id)


async def test_due_rows_are_sent_once(app, session, clock):
    _, rows = await queue(session, clock, count=3)
    sender = Collecting()
    report = await deliver_due(app.state.sessionmaker, clock.now(), sender, policy=POLICY)
    assert report.sent == 3 and sorted(sender.sent) == sorted(r.id for r in rows)
    again = await deliver_due(app.state.sessionmaker, clock.now(), sender, policy=POLICY)
    assert again.claimed == 0
    row = await reload(session, rows[0].id)
    assert row.status == NotificationStatus.sent and row.sent_at == clock.now()
    assert row.attempts == 1


async def test_rows_not_yet_due_wait(app, session, clock):
    await queue(session, clock)
    report = await deliver_due(
        app.state.sessionmaker, clock.now() - timedelta(seconds=1), Collecting(), policy=POLICY
    )
    assert report.claimed == 0


async def test_batch_limits_how_many_are_claimed(app, session, clock):
    await queue(session, clock, count=5)
    report = await deliver_due(app.state.sessionmaker, clock.now(), Collecting(), batch=2)
    assert report.claimed == 2


async def test_failure_backs_off_exponentially_then_goes_dead(app, session, clock):
    _, (row,) = await queue(session, clock)
    sender = Collecting(fail=True)
    now = clock.now()
    await deliver_due(app.state.sessionmaker, now, sender, policy=POLICY)
    first = await reload(session, row.id)
    assert first.status == NotificationStatus.failed and first.attempts == 1
    assert first.next_attempt_at == now + timedelta(seconds=60)
    assert "gateway down" in first.last_error

    # Not due again until the backoff has passed.
    early = await deliver_due(
        app.state.sessionmaker, now + timedelta(seconds=59), sender, policy=POLICY
    )
    assert early.claimed == 0
    now += timedelta(seconds=60)
    await deliver_due(app.state.sessionmaker, now, sender, policy=POLICY)
    second = await reload(session, row.id)
    assert second.attempts == 2 and second.next_attempt_at == now + timedelta(seconds=120)

    now += timedelta(seconds=120)
    report = await deliver_due(app.state.sessionmaker, now, sender, policy=POLICY)
    assert report.dead == 1
    dead = await reload(session, row.id)
    assert dead.status == NotificationStatus.dead and dead.next_attempt_at is None
    later = await deliver_due(
        app.state.sessionmaker, now + timedelta(days=1), sender, policy=POLICY
    )
    assert later.claimed == 0
    # One event per status change, not per attempt: the second failure changed no status.
    assert await delivery_events(session, row.id) == [("pending", "failed"), ("failed", "dead")]


async def delivery_events(session, notification_id) -> list[tuple[str, str]]:
    """The (from, to) pairs logged for one message; the dispatcher always acts as the system."""
    rows = await session.execute(
        sa.select(Event.from_status, Event.to_status, Event.actor_role)
        .where(Event.entity == "notification", Event.entity_id == notification_id)
        .order_by(Event.id)
    )
    events = rows.all()
    assert all(event.actor_role == "system" for event in events)
    return [(event.from_status, event.to_status) for event in events]


async def test_a_sent_message_leaves_one_event(app, session, clock):
    _, (row,) = await queue(session, clock)
    await deliver_due(app.state.sessionmaker, clock.now(), Collecting(), policy=POLICY)
    await session.rollback()
    assert await delivery_events(session, row.id) == [("pending", "sent")]


async def test_a_crashed_sender_is_retried_after_the_claim_lease(app, session, clock):
    _, (row,) = await queue(session, clock)
    policy = RetryPolicy(claim_seconds=300)

    class Crashing:
        async def send(self, notification, user):
            raise asyncio.CancelledError  # the process "dies" mid-send

    with pytest.raises(asyncio.CancelledError):
        await deliver_due(app.state.sessionmaker, clock.now(), Crashing(), policy=policy)
    claimed = await reload(session, row.id)
    assert claimed.status == NotificationStatus.pending
    assert claimed.next_attempt_at == clock.now() + timedelta(seconds=300)
    sender = Collecting()
    await deliver_due(app.state.sessionmaker, clock.now() + timedelta(seconds=300), sender)
    assert sender.sent == [row.id]


async def test_concurrent_dispatchers_never_send_a_row_twice(app, session, clock):
    _, rows = await queue(session, clock, count=12)
    sender = Collecting(delay=0.02)

    async def worker():
        # Keep claiming while others are still sending what they claimed.
        while (await deliver_due(app.state.sessionmaker, clock.now(), sender, batch=2)).claimed:
            pass

    await asyncio.gather(*(worker() for _ in range(4)))
    assert sorted(sender.sent) == sorted(r.id for r in rows)  # each exactly once
    await session.rollback()
    statuses = await session.scalars(sa.select(Notification.status))
    assert set(statuses) == {NotificationStatus.sent}


def test_backoff_is_capped():
    policy = RetryPolicy(backoff_seconds=60, backoff_max_seconds=300)
    assert [policy.delay_after(n).total_seconds() for n in (1, 2, 3, 4, 9)] == [
        60,
        120,
        240,
        300,
        300,
    ]
