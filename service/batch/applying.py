"""一键派单, step two: send a saved plan's invitations in one unit of work, re-checking each.

Locks, in one order everywhere: the plan row (two applies of one plan take turns; the second
finds it applied and sends nothing), then the planned volunteers by id, then the orders by id
(an individual accept locks its volunteer, then its order: the same order, so no deadlock; and
a planned volunteer accepting at the same moment either waits for us and finds our invitation,
or we wait for it and find the acceptance). Under the locks every pair is checked again against
the database: the order still published, not started, before its deadline, not a team order,
a free place left (slots − accepted − invitations waiting); no offer row yet for the pair; the
volunteer active and eligible (``snapshots_by_id`` + ``check_eligibility``, commitments
included). Orders whose facts changed since planning are scored again and reported as such.

Open-mode orders keep their mode: the invited volunteer accepts through the invitation, others
may still take the order from 附近可接; the free places counted include waiting invitations.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from matching.eligibility import check_eligibility
from matching.table import VolunteerTable
from service.batch import repository as repo
from service.batch.planning import (
    explained_pairs,
    fingerprint_of,
    free_places,
    order_request,
)
from service.batch.views import plan_for
from service.context import ActionContext
from service.dispatch.candidates import REASON_LABELS, match_params
from service.dispatch.cascade import clear_attention
from service.dispatch.repository import skill_names
from service.dispatch.snapshots import snapshots_by_id
from service.lifecycle.engine import role_of
from service.localtime import local_text
from service.messages import text
from service.models import DispatchPlan, Event, Notification, Offer, Order
from service.notifications.texts import remember_texts
from service.vocab import DispatchMode, NotificationStatus, OfferStatus, OrderStatus

# TEST ONLY (tests/races/test_batch_apply_race.py): False reads the rows without locking
# them, to show that the race test catches what the locks prevent.
LOCK_ROWS = True

# Why a planned pair was not sent (codes kept in the report; the page words them).
SKIP_ORDER_GONE = "order_gone"
SKIP_ORDER_CLOSED = "order_closed"
SKIP_ORDER_STARTED = "order_started"
SKIP_DEADLINE = "deadline_passed"
SKIP_TEAM_MODE = "team_mode"
SKIP_NO_PLACE = "no_free_place"
SKIP_ASKED = "already_asked"
SKIP_INACTIVE = "volunteer_inactive"
SKIP_NOT_ELIGIBLE = "not_eligible"


async def _pause() -> None:
    """A seam for the race test: the moment between the checks and the writes."""


def _skip(volunteer_id: int, code: str, detail: str = "") -> dict:
    return {"volunteer_id": volunteer_id, "code": code, "detail": detail}


@dataclass(frozen=True)
class Applied:
    """The plan after applying, and whether it had been applied before (nothing sent now)."""

    plan: DispatchPlan
    repeated: bool


async def apply_plan(session: AsyncSession, ctx: ActionContext, *, plan_id: int) -> Applied:
    """Send the plan's invitations that still hold; the plan keeps the report.

    A plan applied before sends nothing and counts the attempt in
    ``report['repeat_attempts']``: nobody is invited twice.
    """
    started = time.perf_counter()
    plan = await plan_for(session, ctx, plan_id, for_update=LOCK_ROWS)
    if plan.status == "applied":
        report = dict(plan.report or {})
        report["repeat_attempts"] = int(report.get("repeat_attempts", 0)) + 1
        plan.report = report
        await session.flush()
        return Applied(plan, repeated=True)

    planned = [o for o in plan.orders if o["pairs"]]
    volunteer_ids = sorted({p["volunteer_id"] for o in planned for p in o["pairs"]})
    order_ids = sorted(o["order_id"] for o in planned)
    if LOCK_ROWS:
        await repo.lock_volunteers(session=session, volunteer_ids=volunteer_ids)
        orders = await repo.lock_orders(session=session, order_ids=order_ids)
    else:
        orders = await repo.read_orders(session=session, order_ids=order_ids)
    offers = await repo.offers_by_order(session=session, order_ids=order_ids)
    skills = await repo.skill_ids_by_order(session=session, order_ids=order_ids)
    fresh = {v.id: v for v in await snapshots_by_id(session, volunteer_ids, now=ctx.now)}
    users = await repo.user_ids_of_volunteers(session=session, volunteer_ids=volunteer_ids)
    params = match_params(ctx.settings)

    new_offers: list[Offer] = []
    events: list[Event] = []
    notes: list[Notification] = []
    report_orders = []
    role = role_of(ctx.actor)
    for entry in sorted(planned, key=lambda o: o["order_id"]):
        order = orders.get(entry["order_id"])
        pairs = entry["pairs"]
        if order is None:
            report_orders.append(
                _order_report(
                    entry, [], [_skip(p["volunteer_id"], SKIP_ORDER_GONE) for p in pairs], False
                )
            )
            continue
        order_skills = skills.get(order.id, set())
        changed = fingerprint_of(order, order_skills) != entry["fingerprint"]
        problem = _order_problem(order, ctx.now)
        if problem is not None:
            skipped = [_skip(p["volunteer_id"], problem, order.status) for p in pairs]
            report_orders.append(_order_report(entry, [], skipped, changed))
            continue
        statuses = offers.get(order.id, [])
        asked = {v: s for v, s in statuses}
        free = free_places(order, statuses)
        request = order_request(
            order, order_skills, slots=max(order.slots, 1), street_id=entry.get("street_id")
        )
        if changed:
            pairs = await _rescored(session, request, pairs, fresh, params, ctx.now)
        sent, skipped = [], []
        for pair in pairs:
            vid = pair["volunteer_id"]
            if vid in asked:
                skipped.append(_skip(vid, SKIP_ASKED, asked[vid]))
                continue
            if free <= 0:
                skipped.append(_skip(vid, SKIP_NO_PLACE))
                continue
            snapshot = fresh.get(vid)
            if snapshot is None or vid not in users:
                skipped.append(_skip(vid, SKIP_INACTIVE))
                continue
            codes = check_eligibility(snapshot, request, params, ctx.now)
            if codes:
                words = "、".join(REASON_LABELS.get(code, code) for code in codes)
                skipped.append(_skip(vid, SKIP_NOT_ELIGIBLE, words))
                continue
            free -= 1
            asked[vid] = OfferStatus.offered.value
            sent.append(vid)
            _stage(ctx, order, pair, users[vid], len(new_offers), role, new_offers, events, notes)
        if sent:
            await clear_attention(session, order)
        report_orders.append(_order_report(entry, sent, skipped, changed))

    await _pause()
    await repo.insert_offers(session=session, offers=new_offers, events=events, notes=notes)
    plan.status = "applied"
    plan.applied_at = ctx.now
    plan.applied_by_user_id = ctx.actor.user_id
    plan.report = {
        "sent": len(new_offers),
        "skipped": sum(len(o["skipped"]) for o in report_orders),
        "orders": report_orders,
        "repeat_attempts": 0,
        "seconds": round(time.perf_counter() - started, 3),
    }
    await session.flush()
    return Applied(plan, repeated=False)


def _order_problem(order: Order, now: datetime) -> str | None:
    if order.status != OrderStatus.published:
        return SKIP_ORDER_CLOSED
    if order.starts_at <= now:
        return SKIP_ORDER_STARTED
    if order.accept_deadline is not None and order.accept_deadline <= now:
        return SKIP_DEADLINE
    if order.dispatch_mode not in (DispatchMode.targeted, DispatchMode.open):
        return SKIP_TEAM_MODE
    return None


def _order_report(entry: dict, sent: list[int], skipped: list[dict], changed: bool) -> dict:
    return {
        "order_id": entry["order_id"],
        "title": entry["title"],
        "community": entry["community"],
        "starts_at": entry["starts_at"],
        "changed": changed,
        "sent": sent,
        "skipped": skipped,
    }


async def _rescored(session, request, pairs, fresh, params, now) -> list[dict]:
    """The pairs of a changed order scored again for the order as it now is (the ones that
    no longer qualify keep their planned score; the eligibility check then says why)."""
    present = [fresh[p["volunteer_id"]] for p in pairs if p["volunteer_id"] in fresh]
    if not present:
        return pairs
    table = VolunteerTable.from_snapshots(sorted(present, key=lambda v: v.id))
    names = await skill_names(session=session, skill_ids=sorted(request.required_skills))
    scored = explained_pairs(table, request, [v.id for v in present], params, now, names)
    found = {p["volunteer_id"]: p for p in scored}
    return [found.get(p["volunteer_id"], p) for p in pairs]


def _stage(ctx, order, pair, user_id, index, role, offers, events, notes) -> None:
    """One invitation, its creation event and the volunteer's notification (written in bulk
    by ``repo.insert_offers``; the same rows ``lifecycle.create_offer`` and ``notify`` make)."""
    settings = ctx.settings
    expires_at = ctx.now + timedelta(minutes=settings.offer_expiry_minutes)
    if order.accept_deadline is not None:
        expires_at = min(expires_at, order.accept_deadline)
    expires_at = min(expires_at, order.starts_at)
    reason = f"一键派单：{pair['explanation']}"
    offers.append(
        Offer(
            order_id=order.id,
            volunteer_id=pair["volunteer_id"],
            status=OfferStatus.offered,
            offered_at=ctx.now,
            updated_at=ctx.now,
            score=pair["score"],
            score_parts=[*pair["parts"], {"code": "explanation", "text": pair["explanation"]}],
            expires_at=expires_at,
        )
    )
    events.append(
        Event(
            at=ctx.now,
            entity="offer",
            entity_id=index,
            order_id=order.id,
            from_status=None,
            to_status=OfferStatus.offered.value,
            actor_user_id=ctx.actor.user_id,
            actor_role=role,
            reason=reason[:500],
            request_id=ctx.request_id[:64] if ctx.request_id else None,
        )
    )
    title = text("notification.offer_new.title", order_title=order.title)
    body = text("notification.offer_new.body", expires_at=local_text(expires_at, settings.timezone))
    notes.append(
        Notification(
            user_id=user_id,
            channel="inapp",
            kind="offer_new",
            title=title,
            body=body,
            payload=remember_texts(
                {"order_id": order.id, "offer_id": index}, title=title, body=body
            ),
            status=NotificationStatus.pending,
            next_attempt_at=ctx.now,
            created_at=ctx.now,
        )
    )
