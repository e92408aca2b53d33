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

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from matching.batch import build_candidate_graph
from matching.eligibility import check_eligibility
from matching.table import VolunteerTable
from service.batch import repository as repo
from service.batch.explaining import explain_pairs
from service.batch.planning import (
    fingerprint_of,
    free_places,
    order_request,
)
from service.batch.views import plan_for
from service.context import ActionContext
from service.dispatch.candidates import REASON_LABELS, match_params
from service.dispatch.cascade import clear_attention
from service.dispatch.index_loader import load_table
from service.dispatch.repository import skill_names
from service.dispatch.snapshots import snapshots_by_id
from service.lifecycle.engine import role_of
from service.localtime import local_text
from service.messages import text
from service.models import DispatchPlan, Order
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
    # Profiles in bulk before the locks (parallel reads on connections of their own must not
    # wait while we hold rows others wait for); what the locks protect is read again after.
    table = await _planned_table(session, ctx, volunteer_ids)
    if LOCK_ROWS:
        await repo.lock_volunteers(session=session, volunteer_ids=volunteer_ids)
        orders = await repo.lock_orders(session=session, order_ids=order_ids)
    else:
        orders = await repo.read_orders(session=session, order_ids=order_ids)
    offers = await repo.offers_by_order(session=session, order_ids=order_ids)
    skills = await repo.skill_ids_by_order(session=session, order_ids=order_ids)
    fresh = await repo.active_among(session=session, volunteer_ids=volunteer_ids)
    moved = _moved_since_read(
        table, await repo.held_pairs(session=session, volunteer_ids=volunteer_ids, now=ctx.now)
    )
    users = await repo.user_ids_of_volunteers(session=session, volunteer_ids=volunteer_ids)
    params = match_params(ctx.settings)
    by_id = {o["order_id"]: o for o in planned}
    requests = {
        order.id: order_request(
            order,
            skills.get(order.id, set()),
            slots=max(order.slots, 1),
            street_id=by_id[order.id].get("street_id"),
        )
        for order in orders.values()
        if skills.get(order.id) and _order_problem(order, ctx.now) is None
    }
    eligible = _eligible_pairs(list(requests.values()), table, params, ctx.now)
    changed_ids = {
        oid
        for oid, order in orders.items()
        if fingerprint_of(order, skills.get(oid, set())) != by_id[oid]["fingerprint"]
    }
    rescored = _rescored(
        table,
        requests,
        planned,
        changed_ids,
        params,
        await skill_names(
            session=session,
            skill_ids=sorted({s for r in requests.values() for s in r.required_skills}),
        ),
    )

    staged = _Staged(ctx)
    report_orders = []
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
        changed = order.id in changed_ids
        problem = _order_problem(order, ctx.now)
        if problem is not None:
            skipped = [_skip(p["volunteer_id"], problem, order.status) for p in pairs]
            report_orders.append(_order_report(entry, [], skipped, changed))
            continue
        statuses = offers.get(order.id, [])
        asked = {v: s for v, s in statuses}
        free = free_places(order, statuses)
        request = requests.get(order.id)
        pairs = [rescored.get((order.id, p["volunteer_id"]), p) for p in pairs]
        sent, skipped = [], []
        for pair in pairs:
            vid = pair["volunteer_id"]
            if vid in asked:
                skipped.append(_skip(vid, SKIP_ASKED, asked[vid]))
                continue
            if free <= 0:
                skipped.append(_skip(vid, SKIP_NO_PLACE))
                continue
            if vid not in fresh or vid not in users:
                skipped.append(_skip(vid, SKIP_INACTIVE))
                continue
            if request is None or (order.id, vid) not in eligible or vid in moved:
                codes = await _why_not(session, ctx, vid, request, params)
                if codes:
                    words = "、".join(REASON_LABELS.get(code, code) for code in codes)
                    skipped.append(_skip(vid, SKIP_NOT_ELIGIBLE, words))
                    continue
            free -= 1
            asked[vid] = OfferStatus.offered.value
            sent.append(vid)
            staged.add(order, pair, users[vid])
        if sent:
            await clear_attention(session, order)
        report_orders.append(_order_report(entry, sent, skipped, changed))

    await _pause()
    await repo.insert_offers(
        session=session, offers=staged.offers, events=staged.events, notes=staged.notes
    )
    plan.status = "applied"
    plan.applied_at = ctx.now
    plan.applied_by_user_id = ctx.actor.user_id
    plan.report = {
        "sent": len(staged.offers),
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


async def _planned_table(
    session: AsyncSession, ctx: ActionContext, volunteer_ids
) -> VolunteerTable:
    """The planned volunteers that are active, with their profiles, in bulk: the columnar
    read of the candidate index (PostgreSQL: binary COPY; a district's 50,000 volunteers in
    about a second, where row-by-row snapshots of 15,000 took ten)."""
    everyone = await load_table(session, now=ctx.now)
    wanted = np.asarray(sorted(volunteer_ids), dtype=np.int64)
    return everyone.take(np.flatnonzero(np.isin(everyone.ids, wanted)))


def _moved_since_read(table: VolunteerTable, held_now: set[tuple[int, int]]) -> set[int]:
    """Volunteers whose held orders differ from the bulk read's (an accept or a withdrawal in
    between): their pairs are checked row by row, in this transaction, under the locks."""
    held_then = set(
        zip(table.ids[table.commit_row].tolist(), table.commit_order.tolist(), strict=True)
    )
    return {volunteer for volunteer, _ in held_now ^ held_then}


async def _why_not(session, ctx, volunteer_id: int, request, params) -> list[str]:
    """The eligibility codes of one pair the bulk check refused (read row by row: few)."""
    if request is None:
        return ["no_shared_skill"]
    found = await snapshots_by_id(session, [volunteer_id], now=ctx.now)
    if not found:
        return ["inactive"]
    return check_eligibility(found[0], request, params, ctx.now)


def _eligible_pairs(requests, table: VolunteerTable, params, now) -> set[tuple[int, int]]:
    """Every (order, volunteer) that passes the matching core's hard rules on the fresh rows
    (the batch graph's bulk path, unpruned: one vectorized pass instead of a check a pair)."""
    if not requests or table.n == 0:
        return set()
    graph = build_candidate_graph(requests, table, params, now, prune=False)
    return set(
        zip(
            graph.order_ids[graph.edge_order].tolist(),
            graph.edge_volunteer.tolist(),
            strict=True,
        )
    )


def _rescored(table, requests, planned, changed_ids, params, names) -> dict:
    """The pairs of orders changed since planning, scored again as the orders now are."""
    present = set(table.ids.tolist())
    pairs = [
        (entry["order_id"], p["volunteer_id"])
        for entry in planned
        if entry["order_id"] in changed_ids and entry["order_id"] in requests
        for p in entry["pairs"]
        if p["volunteer_id"] in present
    ]
    if not pairs:
        return {}
    order_ids = np.array([o for o, _ in pairs], dtype=np.int64)
    volunteer_ids = np.array([v for _, v in pairs], dtype=np.int64)
    scored = explain_pairs(table, requests, order_ids, volunteer_ids, params, names)
    return {pair: found for pair, found in zip(pairs, scored, strict=True)}


class _Staged:
    """The rows of the invitations to send: offers, creation events, notifications (the same
    columns ``lifecycle.create_offer`` and ``notify`` write), for one bulk insert."""

    def __init__(self, ctx: ActionContext) -> None:
        self.ctx = ctx
        self.role = role_of(ctx.actor)
        self.offers: list[dict] = []
        self.events: list[dict] = []
        self.notes: list[dict] = []
        self._texts: dict[int, tuple] = {}

    def _order_texts(self, order: Order):
        """Expiry and message texts: the same for every invitation of an order."""
        if order.id not in self._texts:
            settings, now = self.ctx.settings, self.ctx.now
            expires_at = now + timedelta(minutes=settings.offer_expiry_minutes)
            if order.accept_deadline is not None:
                expires_at = min(expires_at, order.accept_deadline)
            expires_at = min(expires_at, order.starts_at)
            title = text("notification.offer_new.title", order_title=order.title)
            body = text(
                "notification.offer_new.body",
                expires_at=local_text(expires_at, settings.timezone),
            )
            payload = remember_texts({"order_id": order.id}, title=title, body=body)
            self._texts[order.id] = (expires_at, str(title), str(body), payload)
        return self._texts[order.id]

    def add(self, order: Order, pair: dict, user_id: int) -> None:
        ctx = self.ctx
        expires_at, title, body, payload = self._order_texts(order)
        index = len(self.offers)
        reason = f"一键派单：{pair['explanation']}"
        self.offers.append(
            {
                "order_id": order.id,
                "volunteer_id": pair["volunteer_id"],
                "team_id": None,
                "status": OfferStatus.offered.value,
                "score": pair["score"],
                "score_parts": [
                    *pair["parts"],
                    {"code": "explanation", "text": pair["explanation"]},
                ],
                "rank": None,
                "offered_at": ctx.now,
                "expires_at": expires_at,
                "flags": [],
                "updated_at": ctx.now,
            }
        )
        self.events.append(
            {
                "at": ctx.now,
                "entity": "offer",
                "entity_id": index,
                "order_id": order.id,
                "from_status": None,
                "to_status": OfferStatus.offered.value,
                "actor_user_id": ctx.actor.user_id,
                "actor_role": self.role,
                "reason": reason[:500],
                "request_id": ctx.request_id[:64] if ctx.request_id else None,
            }
        )
        self.notes.append(
            {
                "user_id": user_id,
                "channel": "inapp",
                "kind": "offer_new",
                "title": title,
                "body": body,
                "payload": {**payload, "offer_id": index},
                "status": NotificationStatus.pending.value,
                "attempts": 0,
                "next_attempt_at": ctx.now,
                "created_at": ctx.now,
            }
        )
