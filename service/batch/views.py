"""What the 一键派单 pages show: a plan's orders with the people planned (name, masked phone,
distance band, score parts in words), its totals against greedy, and the report of applying.

Names and phones are read when the page is shown, never stored in the plan. Call the wording
functions inside ``page_text.use_locale`` (the routes do).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from types import SimpleNamespace

from sqlalchemy.ext.asyncio import AsyncSession

from service.batch import repository as repo
from service.batch.planning import ensure_may_plan
from service.batch.refusals import PLAN_NOT_FOUND, BatchRefusal
from service.context import ActionContext
from service.dispatch.preview_view import candidate_words
from service.dispatch.repository import skill_names
from service.masking import mask_phone
from service.models import DispatchPlan

ORDERS_PER_PAGE = 25


async def plan_for(
    session: AsyncSession, ctx: ActionContext, plan_id: int, *, for_update: bool = False
) -> DispatchPlan:
    """The plan, when the actor oversees its area; another area's plan is as unknown as a
    missing one (404)."""
    plan = await repo.get_plan(session=session, plan_id=plan_id, for_update=for_update)
    if plan is None:
        raise BatchRefusal(PLAN_NOT_FOUND, status_code=404)
    try:
        ensure_may_plan(ctx, await repo.area_by_id(session=session, area_id=plan.area_id))
    except BatchRefusal:
        raise BatchRefusal(PLAN_NOT_FOUND, status_code=404) from None
    return plan


@dataclass
class Person:
    volunteer_id: int
    name: str
    phone: str
    first_timer: bool
    band: str = ""
    words: str = ""
    explanation: str = ""
    fit: int = 0
    code: str = ""  # why skipped (report)
    detail: str = ""


@dataclass
class OrderRow:
    order_id: int
    title: str
    community: str
    starts_at: datetime
    slots: int
    free: int
    mode: str
    candidates: int
    unfilled: str | None
    people: list[Person] = field(default_factory=list)
    skipped: list[Person] = field(default_factory=list)
    changed: bool = False


@dataclass
class PlanView:
    plan: DispatchPlan
    area: str
    rows: list[OrderRow]
    total_orders: int
    page: int
    pages: int
    filter_unfilled: bool

    @property
    def totals(self) -> dict:
        return self.plan.totals


async def _people(session, ids) -> dict[int, tuple[str, str, int]]:
    return await repo.people(session=session, volunteer_ids=ids)


def _person(vid: int, people: dict) -> Person:
    name, phone, completed = people.get(vid, ("", "", 0))
    return Person(vid, name, mask_phone(phone) or "", completed == 0)


async def plan_view(
    session: AsyncSession,
    ctx: ActionContext,
    plan: DispatchPlan,
    *,
    page: int = 1,
    unfilled_only: bool = False,
) -> PlanView:
    """One page of the plan's orders (by start), each with the people planned."""
    entries = [o for o in plan.orders if o["free"] > 0 or o["pairs"]]
    if unfilled_only:
        entries = [o for o in entries if o["unfilled"]]
    pages = max(1, -(-len(entries) // ORDERS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * ORDERS_PER_PAGE : page * ORDERS_PER_PAGE]
    people = await _people(session, {p["volunteer_id"] for o in shown for p in o["pairs"]})
    names = await skill_names(
        session=session,
        skill_ids=sorted({s for o in shown for s in o["fingerprint"]["skills"]}),
    )
    rows = []
    for entry in shown:
        row = _row(entry)
        for pair in entry["pairs"]:
            person = _person(pair["volunteer_id"], people)
            parts = [SimpleNamespace(**p) for p in pair["parts"]]
            person.words = candidate_words(SimpleNamespace(parts=parts), names)
            person.explanation = pair["explanation"]
            person.band = pair["band"]
            person.fit = round(pair["score"] * 100)
            row.people.append(person)
        rows.append(row)
    area = await repo.area_names(session=session, area_ids=[plan.area_id])
    return PlanView(
        plan, area.get(plan.area_id, ""), rows, len(entries), page, pages, unfilled_only
    )


def _row(entry: dict) -> OrderRow:
    return OrderRow(
        order_id=entry["order_id"],
        title=entry["title"],
        community=entry["community"],
        starts_at=datetime.fromisoformat(entry["starts_at"]),
        slots=entry.get("slots", 0),
        free=entry.get("free", 0),
        mode=entry.get("dispatch_mode", ""),
        candidates=entry.get("candidates", 0),
        unfilled=entry.get("unfilled"),
    )


async def report_view(
    session: AsyncSession, ctx: ActionContext, plan: DispatchPlan, *, page: int = 1
) -> PlanView:
    """One page of what applying sent and skipped, per order."""
    report = plan.report or {"orders": []}
    entries = report["orders"]
    pages = max(1, -(-len(entries) // ORDERS_PER_PAGE))
    page = min(max(page, 1), pages)
    shown = entries[(page - 1) * ORDERS_PER_PAGE : page * ORDERS_PER_PAGE]
    ids = {v for o in shown for v in o["sent"]} | {
        s["volunteer_id"] for o in shown for s in o["skipped"]
    }
    people = await _people(session, ids)
    rows = []
    for entry in shown:
        row = OrderRow(
            order_id=entry["order_id"], title=entry["title"], community=entry["community"],
            starts_at=datetime.fromisoformat(entry["starts_at"]), slots=0, free=0, mode="",
            candidates=0, unfilled=None, changed=entry.get("changed", False),
        )  # fmt: skip
        row.people = [_person(v, people) for v in entry["sent"]]
        for skip in entry["skipped"]:
            person = _person(skip["volunteer_id"], people)
            person.code, person.detail = skip["code"], skip.get("detail", "")
            row.skipped.append(person)
        rows.append(row)
    area = await repo.area_names(session=session, area_ids=[plan.area_id])
    return PlanView(plan, area.get(plan.area_id, ""), rows, len(entries), page, pages, False)
