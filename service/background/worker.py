"""Background dispatch work: expire offers (then cascade), expire orders, send reminders.

Safe with several processes: each unit of work is one short transaction that first locks its
row with ``FOR UPDATE SKIP LOCKED`` (PostgreSQL), so a row another process (or a request) holds
is simply left for the next sweep; every status change is still a compare-and-set through the
state machine, so a row processed twice would be refused, not applied twice. On SQLite the
write transaction (BEGIN IMMEDIATE) serializes writers, so the same code is safe in one process.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.activity.sweeps import close_forgotten_checkouts_sweep
from service.actor import Actor
from service.auth.retention import erase_stale_phones_sweep
from service.background import repository
from service.background.repository import UNCONFIRMED
from service.clock import Clock
from service.context import ActionContext
from service.db import open_session
from service.dispatch.candidates import draft_of, suggestion_for
from service.dispatch.cascade import pull_outstanding_offers, top_up_offers
from service.dispatch.live_index import prune_change_log
from service.errors import AppError
from service.lifecycle.machine import change_offer_status, change_order_status
from service.localtime import local_text
from service.messages import text
from service.notifications.outbox import notify, notify_workers
from service.notifications.worker import deliver_notifications
from service.orders import repository as orders_repo
from service.settings import Settings
from service.vocab import OfferStatus, OrderStatus

log = logging.getLogger("kepu.dispatch")
SYSTEM = Actor(name="系统")


@dataclass
class SweepReport:
    """What one sweep did (tests and the CLI print it)."""

    offers_expired: int = 0
    offers_made: int = 0
    orders_expired: int = 0
    reminders: int = 0
    flagged_unconfirmed: int = 0
    checkouts_closed: int = 0
    phones_erased: object = None  # the retention pass's ErasureReport (PIPL)
    changes_pruned: int = 0  # old rows of the candidate index's change log
    notifications: object = None  # the notification dispatcher's own DeliveryReport
    skipped_locked: int = 0
    # Units rolled back because the state machine refused a change someone else made first.
    refused: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, unit: SweepReport) -> None:
        """Count a committed unit of work (its counters only: a rolled-back unit did nothing)."""
        for item in fields(self):
            value = getattr(unit, item.name)
            if isinstance(value, int) and not isinstance(value, bool):
                setattr(self, item.name, getattr(self, item.name) + value)


def system_context(settings: Settings, now: datetime) -> ActionContext:
    return ActionContext(
        actor=SYSTEM, now=now, settings=settings, request_id=f"worker-{uuid.uuid4().hex[:12]}"
    )


async def _each_in_own_transaction(sessionmaker, ids, work, report: SweepReport) -> None:
    for item_id in ids:
        unit = SweepReport()
        session = await open_session(sessionmaker, write=True)
        try:
            await work(session, item_id, unit)
            await session.commit()
            report.add(unit)
        except AppError as refusal:  # someone changed the row first: nothing to do
            await session.rollback()
            report.refused += 1
            log.info("dispatch sweep skipped %s: %s", item_id, refusal.detail)
        except Exception as error:  # one bad row must not stop the sweep
            await session.rollback()
            report.errors.append(f"{item_id}: {type(error).__name__}: {error}"[:300])
            log.exception("dispatch sweep failed on %s", item_id)
        finally:
            await session.close()


async def expire_due_offers(sessionmaker, settings: Settings, now: datetime, report: SweepReport):
    """Offers past their expiry become expired; the order is offered to the next candidates."""
    async with sessionmaker() as session:
        order_ids = await repository.orders_with_expired_offers(session=session, now=now)

    async def work(session: AsyncSession, order_id: int, unit: SweepReport) -> None:
        ctx = system_context(settings, now)
        order = await repository.locked_order(session=session, order_id=order_id)
        if order is None:
            unit.skipped_locked += 1
            return
        due = await repository.expired_offer_ids(session=session, order_id=order_id, now=now)
        for offer_id in due:
            await change_offer_status(
                session, ctx, offer_id=offer_id, to=OfferStatus.expired, reason="超时未回复"
            )
            unit.offers_expired += 1
        unit.offers_made += await top_up_offers(session, ctx, order=order)

    await _each_in_own_transaction(sessionmaker, order_ids, work, report)


async def expire_orders(sessionmaker, settings: Settings, now: datetime, report: SweepReport):
    """Orders whose deadline passed with open slots: expired, into the coordinator's queue."""
    async with sessionmaker() as session:
        order_ids = await repository.orders_past_deadline(session=session, now=now)

    async def work(session: AsyncSession, order_id: int, unit: SweepReport) -> None:
        ctx = system_context(settings, now)
        order = await repository.locked_order(session=session, order_id=order_id)
        if order is None:
            unit.skipped_locked += 1
            return
        if not await repository.still_past_deadline(session=session, order_id=order_id, now=now):
            return
        asked = {
            o.volunteer_id for o in await orders_repo.offers_of(session=session, order_id=order_id)
        }
        suggestion = await suggestion_for(
            session, await draft_of(session, order), settings=settings, now=now, exclude=asked
        )
        await change_order_status(
            session,
            ctx,
            order_id=order_id,
            to=OrderStatus.expired,
            reason=f"接单截止仍缺 {order.slots - order.accepted_count} 人",
            values={"needs_attention_at": now, "suggestion": suggestion},
        )
        await pull_outstanding_offers(session, ctx, order_id=order_id, reason="接单已截止")
        await notify_workers(
            session,
            community_id=order.community_id,
            kind="order_expired",
            title=text("notification.order_expired.title", order_title=order.title),
            body=suggestion["text"],
            payload={"order_id": order_id},
            now=now,
        )
        unit.orders_expired += 1

    await _each_in_own_transaction(sessionmaker, order_ids, work, report)


async def send_reminders(sessionmaker, settings: Settings, now: datetime, report: SweepReport):
    """Ask accepted volunteers to confirm before the start; flag the silent ones to the worker.

    * The reminder goes out once the start is ``reminder_hours_before`` away (or at once for a
      later acceptance), exactly once per acceptance (``reminded_at``).
    * Unconfirmed at half the reminder window before the start (12 h with the default 24 h),
      the offer is flagged ``unconfirmed`` and the community's workers are told once, so they
      have time to call or find someone else. A volunteer reminded late still gets
      ``confirm_grace_minutes`` to answer before they are flagged; an activity that starts
      first is left to the activity day (no-show).

    Each batch only selects rows that still need this work and locks them SKIP LOCKED, so
    concurrent sweeps split the rows and no row is reminded or flagged twice.
    """
    ahead = timedelta(hours=settings.reminder_hours_before)
    grace = timedelta(minutes=settings.confirm_grace_minutes)
    session = await open_session(sessionmaker, write=True)
    try:
        for offer, order, user_id in await repository.offers_to_remind(
            session=session, now=now, until=now + ahead
        ):
            offer.reminded_at = offer.updated_at = now
            await notify(
                session,
                user_id=user_id,
                kind="offer_reminder",
                title=text("notification.offer_reminder.title", order_title=order.title),
                body=text(
                    "notification.offer_reminder.body",
                    starts_at=local_text(order.starts_at, settings.timezone),
                ),
                payload={"order_id": order.id, "offer_id": offer.id},
                now=now,
            )
            report.reminders += 1
        for offer, order, _user_id in await repository.offers_to_flag_unconfirmed(
            session=session, now=now, reminded_before=now - grace, until=now + ahead / 2
        ):
            offer.flags = [*(offer.flags or []), UNCONFIRMED]
            offer.updated_at = now
            await notify_workers(
                session,
                community_id=order.community_id,
                kind="offer_unconfirmed",
                title=text("notification.offer_unconfirmed.title", order_title=order.title),
                body=text("notification.offer_unconfirmed.body"),
                payload={"order_id": order.id, "offer_id": offer.id},
                now=now,
            )
            report.flagged_unconfirmed += 1
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    finally:
        await session.close()


async def prune_change_log_sweep(sessionmaker) -> int:
    """Keep the change log short; an index further behind than what is kept rebuilds."""
    async with await open_session(sessionmaker, write=True) as session:
        pruned = await prune_change_log(session)
        await session.commit()
    return pruned


async def run_once(
    sessionmaker: async_sessionmaker, settings: Settings, now: datetime
) -> SweepReport:
    """One sweep of every kind of background dispatch work, as of ``now``."""
    report = SweepReport()
    await expire_due_offers(sessionmaker, settings, now, report)
    await expire_orders(sessionmaker, settings, now, report)
    await send_reminders(sessionmaker, settings, now, report)
    report.checkouts_closed = await close_forgotten_checkouts_sweep(sessionmaker, settings, now)
    report.phones_erased = await erase_stale_phones_sweep(sessionmaker, settings, now)
    report.changes_pruned = await prune_change_log_sweep(sessionmaker)
    # Last, so messages written by the sweeps above go out in this same pass.
    report.notifications = await deliver_notifications(sessionmaker, settings, now)
    return report


async def run_forever(sessionmaker, settings: Settings, clock: Clock, stop: asyncio.Event):
    """Sweep every ``worker_interval_seconds`` until ``stop`` is set."""
    while not stop.is_set():
        try:
            report = await run_once(sessionmaker, settings, clock.now())
            if report.offers_expired or report.orders_expired or report.errors:
                log.info("dispatch sweep: %s", report)
        except Exception:
            log.exception("dispatch sweep failed")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=settings.worker_interval_seconds)
