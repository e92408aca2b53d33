"""一键派单, step one: the optimal batch assignment over an area's open orders of a period,
compared with greedy, explained per pair, and saved as a plan (nothing is sent yet).

Orders: published, not started, targeted or open mode (team orders are the team's), with a
free place — slots minus accepted minus invitations still waiting. Volunteers: this process's
live index of every active volunteer (``dispatch.live_index``), minus those already asked for
an order (any offer row). The graph is built with each order's slots raised by the number of
volunteers already asked, then those pairs are dropped and the slots set to the free places:
the pruning stays lossless for the free places (its exclusive prefix still holds enough
candidates after the asked are removed).
"""

from __future__ import annotations

import copy
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession

from matching.batch import build_candidate_graph, solve_graph
from matching.batch.graph import CandidateGraph
from matching.batch.greedy import greedy_assign
from matching.fairness import gini, top_share
from matching.geo_arrays import haversine_km
from matching.params import MatchParams
from matching.table import VolunteerTable
from matching.types import OrderRequest
from service.auth import policy
from service.batch import repository as repo
from service.batch.explaining import explain_pairs, rows_of
from service.batch.refusals import (
    AREA_OUT_OF_SCOPE,
    PERIOD_BACKWARDS,
    PERIOD_PAST,
    PERIOD_TOO_LONG,
    BatchRefusal,
)
from service.context import ActionContext
from service.dispatch.candidates import match_params
from service.dispatch.live_index import live_index_for
from service.dispatch.repository import skill_names
from service.localtime import to_local
from service.models import Area, DispatchPlan, Order
from service.vocab import OfferStatus

MAX_PERIOD_DAYS = 62
DEFAULT_PERIOD_DAYS = 14
Progress = Callable[[str], None]

# Why an order keeps free places after the plan (page text ids, said in the reader's language).
UNFILLED_NO_SKILLS = "no_skills"
UNFILLED_NOBODY = "nobody"
UNFILLED_TOO_FEW = "too_few"
UNFILLED_TAKEN = "taken"


@dataclass(frozen=True)
class Period:
    """Local days ``first`` … ``last`` (inclusive) and the UTC instants they span."""

    first: date
    last: date
    starts_from: datetime
    starts_before: datetime


def period_of(ctx: ActionContext, first: date | None, last: date | None) -> Period:
    """The planning period, by default today and the next 13 days; refused when it runs
    backwards, is longer than ``MAX_PERIOD_DAYS`` or lies wholly in the past."""
    today = to_local(ctx.now, ctx.settings.timezone).date()
    first = first or today
    last = last or first + timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    if last < first:
        raise BatchRefusal(PERIOD_BACKWARDS, status_code=422, field="day_to")
    if (last - first).days + 1 > MAX_PERIOD_DAYS:
        raise BatchRefusal(PERIOD_TOO_LONG, status_code=422, field="day_to", days=MAX_PERIOD_DAYS)
    if last < today:
        raise BatchRefusal(PERIOD_PAST, status_code=422, field="day_to")
    zone = to_local(ctx.now, ctx.settings.timezone).tzinfo

    def midnight(day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(ctx.now.tzinfo)

    return Period(first, last, max(midnight(first), ctx.now), midnight(last + timedelta(days=1)))


def ensure_may_plan(ctx: ActionContext, area: Area | None) -> Area:
    """The area, when the actor oversees it (admin: any); else the same refusal as unknown."""
    if area is None or not policy.can_oversee_area(ctx.actor, area.path):
        raise BatchRefusal(AREA_OUT_OF_SCOPE, status_code=403, field="area")
    return area


@dataclass
class OpenOrder:
    order: Order
    community: str
    street_id: int | None
    skills: frozenset[int]
    asked: frozenset[int]
    free: int

    @property
    def fingerprint(self) -> dict:
        return fingerprint_of(self.order, self.skills)


def fingerprint_of(order: Order, skills) -> dict:
    """What the plan relied on: a change here means the pairs are checked again on applying."""
    return {
        "status": order.status,
        "dispatch_mode": order.dispatch_mode,
        "starts_at": order.starts_at.isoformat(),
        "ends_at": order.ends_at.isoformat(),
        "slots": order.slots,
        "max_distance_km": order.max_distance_km,
        "venue": [order.venue_lat, order.venue_lng],
        "skills": sorted(skills),
    }


def free_places(order: Order, statuses: list[tuple[int, str]]) -> int:
    """Slots minus accepted minus invitations still waiting for an answer."""
    waiting = sum(1 for _, status in statuses if status == OfferStatus.offered.value)
    return max(order.slots - order.accepted_count - waiting, 0)


async def load_open_orders(
    session: AsyncSession, ctx: ActionContext, area: Area, period: Period
) -> list[OpenOrder]:
    """The orders a plan of this area and period considers (with a free place or not)."""
    rows = await repo.open_orders(
        session=session,
        area_path=area.path,
        starts_from=period.starts_from,
        starts_before=period.starts_before,
    )
    ids = [order.id for order, _, _ in rows]
    skills = await repo.skill_ids_by_order(session=session, order_ids=ids)
    offers = await repo.offers_by_order(session=session, order_ids=ids)
    return [
        OpenOrder(
            order=order,
            community=community,
            street_id=street,
            skills=frozenset(skills.get(order.id, ())),
            asked=frozenset(v for v, _ in offers.get(order.id, ())),
            free=free_places(order, offers.get(order.id, [])),
        )
        for order, community, street in rows
    ]


def request_of(item: OpenOrder, slots: int) -> OrderRequest:
    return order_request(item.order, item.skills, slots=slots, street_id=item.street_id)


def order_request(order: Order, skills, *, slots: int, street_id: int | None) -> OrderRequest:
    """The matching core's view of a loaded order (its skills and street read in bulk)."""
    return OrderRequest(
        id=order.id,
        lat=order.venue_lat,
        lng=order.venue_lng,
        start=order.starts_at,
        end=order.ends_at,
        required_skills=frozenset(skills),
        slots=slots,
        max_distance_km=order.max_distance_km,
        community_id=order.community_id,
        street_id=street_id,
    )


@dataclass
class Solved:
    graph: CandidateGraph
    batch: np.ndarray  # chosen edges (bool per edge)
    greedy: np.ndarray
    batch_stats: dict
    upper_bound_filled: int | None
    upper_bound_score: float | None
    proven_optimal: bool
    method: str
    seconds: dict


def solve(items: list[OpenOrder], table_source, params: MatchParams, now: datetime) -> Solved:
    """Batch and greedy on one candidate graph without the pairs already asked."""
    t0 = time.perf_counter()
    requests = [request_of(i, i.free + len(i.asked)) for i in items]
    graph = build_candidate_graph(requests, table_source, params, now)
    t1 = time.perf_counter()
    graph = _without_asked(graph, {i.order.id: i for i in items})
    result = solve_graph(graph, params)
    t2 = time.perf_counter()
    greedy = greedy_assign(graph)
    t3 = time.perf_counter()
    chosen = np.zeros(graph.n_edges, dtype=bool)
    if result.assignments:
        keys = _pair_keys(graph.edge_order, graph.edge_volunteer)
        pos = {int(o): i for i, o in enumerate(graph.order_ids)}
        picked = _pair_keys(
            np.array([pos[a.order_id] for a in result.assignments], dtype=np.int64),
            np.array([a.volunteer_id for a in result.assignments], dtype=np.int64),
        )
        chosen = np.isin(keys, picked)
    return Solved(
        graph=graph,
        batch=chosen,
        greedy=np.asarray(greedy, dtype=bool),
        batch_stats=result.stats,
        upper_bound_filled=result.upper_bound_filled,
        upper_bound_score=result.upper_bound_score,
        proven_optimal=result.proven_optimal,
        method=result.method,
        seconds={"graph": t1 - t0, "batch": t2 - t1, "greedy": t3 - t2},
    )


def _pair_keys(order_index: np.ndarray, volunteer: np.ndarray) -> np.ndarray:
    return order_index.astype(np.int64) * (1 << 32) + volunteer.astype(np.int64)


def _without_asked(graph: CandidateGraph, items: dict[int, OpenOrder]) -> CandidateGraph:
    """The graph without pairs already asked, each order's slots its free places."""
    slots = np.array([items[int(o)].free for o in graph.order_ids], dtype=np.int64)
    asked = [(i, v) for i, o in enumerate(graph.order_ids.tolist()) for v in items[o].asked]
    keep = np.ones(graph.n_edges, dtype=bool)
    if asked:
        a = np.array(asked, dtype=np.int64)
        keep = ~np.isin(
            _pair_keys(graph.edge_order, graph.edge_volunteer), _pair_keys(a[:, 0], a[:, 1])
        )
    return dataclasses.replace(
        graph,
        slots=slots,
        edge_order=graph.edge_order[keep],
        edge_volunteer=graph.edge_volunteer[keep],
        edge_score=graph.edge_score[keep],
        edge_cover=graph.edge_cover[keep],
        stats=dict(graph.stats),
    )


def totals_of(
    solved: Solved, chosen: np.ndarray, table: VolunteerTable, items: dict[int, OpenOrder]
) -> dict:
    """Filled places, score, travel, how evenly the hours are spread, first-timers reached.

    Hours: each volunteer's hours of the last 30 days plus the hours of the activities the
    plan gives them, over every volunteer who was a candidate for some order of the plan.
    """
    g = solved.graph
    idx = np.flatnonzero(chosen)
    pool = np.unique(g.edge_volunteer)
    pool_rows = rows_of(table, pool)
    hours = table.recent_hours[pool_rows].astype(np.float64).copy()
    orders = g.order_ids[g.edge_order[idx]]
    vols = g.edge_volunteer[idx]
    travel = 0.0
    first_timers = 0
    if len(idx):
        rows = rows_of(table, vols)
        lat = np.array([items[int(o)].order.venue_lat for o in orders])
        lng = np.array([items[int(o)].order.venue_lng for o in orders])
        travel = float(haversine_km(table.lat[rows], table.lng[rows], lat, lng).sum())
        duration = np.array(
            [
                (items[int(o)].order.ends_at - items[int(o)].order.starts_at).total_seconds() / 3600
                for o in orders
            ]
        )
        np.add.at(hours, np.searchsorted(pool, vols), duration)
        first_timers = int(np.unique(vols[table.completed[rows] == 0]).size)
    return {
        "slots": int(g.slots.sum()),
        "filled": len(idx),
        "score": round(float(g.edge_score_int[idx].sum()) / g.score_scale, 2),
        "travel_km": round(travel, 1),
        "volunteers": int(np.unique(vols).size),
        "pool": len(pool),
        "gini": round(gini(hours), 3),
        "top10_share": round(top_share(hours, 10), 3),
        "first_timers": first_timers,
    }


def _unfilled(item: OpenOrder, n_candidates: int, assigned: int) -> str | None:
    if assigned >= item.free:
        return None
    if not item.skills:
        return UNFILLED_NO_SKILLS
    if n_candidates == 0:
        return UNFILLED_NOBODY
    if n_candidates < item.free:
        return UNFILLED_TOO_FEW
    return UNFILLED_TAKEN


async def make_plan(
    session: AsyncSession,
    ctx: ActionContext,
    *,
    area: Area | None,
    first: date | None = None,
    last: date | None = None,
    progress: Progress | None = None,
) -> DispatchPlan:
    """Plan the area's period and save the plan (status ``planned``); nothing is sent."""
    say = progress or (lambda _line: None)
    area = ensure_may_plan(ctx, area)
    period = period_of(ctx, first, last)
    started = time.perf_counter()
    all_items = await load_open_orders(session, ctx, area, period)
    items = [i for i in all_items if i.free > 0 and i.skills]
    t_orders = time.perf_counter()
    say(f"{len(all_items)} open orders, {len(items)} with a free place and skills")
    params = match_params(ctx.settings)
    live = live_index_for(session.bind, params, ctx.settings.candidate_index_rebuild_minutes)
    index = await live.current(ctx.now)
    t_index = time.perf_counter()
    say(f"index of {len(index)} volunteers ready")
    by_id = {i.order.id: i for i in all_items}
    if items:
        solved = solve(items, index, params, ctx.now)
        table = index.table  # compacted by the graph build: every volunteer, sorted by id
        say(
            f"solved: {solved.graph.n_edges} candidate pairs, "
            f"batch {int(solved.batch.sum())} / greedy {int(solved.greedy.sum())} places"
        )
    else:
        solved, table = None, None
    t_solve = time.perf_counter()
    names = await skill_names(
        session=session, skill_ids=sorted({s for i in items for s in i.skills})
    )
    orders_json = []
    per_order: dict[int, list[dict]] = {}
    candidates: dict[int, int] = {}
    if solved is not None:
        g = solved.graph
        idx = np.flatnonzero(solved.batch)
        requests = {i.order.id: request_of(i, i.free) for i in items}
        pairs = explain_pairs(
            table, requests, g.order_ids[g.edge_order[idx]], g.edge_volunteer[idx], params, names
        )
        for order_id, pair in zip(g.order_ids[g.edge_order[idx]].tolist(), pairs, strict=True):
            per_order.setdefault(order_id, []).append(pair)
        for found in per_order.values():
            found.sort(key=lambda p: (-p["score"], p["volunteer_id"]))
        counts = np.bincount(g.edge_order, minlength=g.n_orders)
        candidates = {int(o): int(c) for o, c in zip(g.order_ids, counts, strict=True)}
    planned = {i.order.id for i in items}
    for item in all_items:
        order = item.order
        pairs = per_order.get(order.id, [])
        n_candidates = candidates.get(order.id, 0)
        orders_json.append(
            {
                "order_id": order.id,
                "title": order.title,
                "community": item.community,
                "community_id": order.community_id,
                "street_id": item.street_id,
                "starts_at": order.starts_at.isoformat(),
                "ends_at": order.ends_at.isoformat(),
                "dispatch_mode": order.dispatch_mode,
                "slots": order.slots,
                "free": item.free,
                "candidates": n_candidates,
                "planned": order.id in planned,
                "fingerprint": item.fingerprint,
                "pairs": pairs,
                "unfilled": _unfilled(item, n_candidates, len(pairs)) if item.free else None,
            }
        )
    t_explain = time.perf_counter()
    totals = _totals(solved, table, by_id)
    totals["seconds"] = {
        "orders": round(t_orders - started, 3),
        "index": round(t_index - t_orders, 3),
        "solve": round(t_solve - t_index, 3),
        "explain": round(t_explain - t_solve, 3),
    }
    plan = DispatchPlan(
        area_id=area.id,
        period_from=period.first,
        period_to=period.last,
        status="planned",
        created_by_user_id=ctx.actor.user_id,
        created_at=ctx.now,
        orders=orders_json,
        totals=copy.deepcopy(totals),  # written again below with the time saving took
    )
    await repo.add_plan(session=session, plan=plan)
    totals["seconds"]["save"] = round(time.perf_counter() - t_explain, 3)
    totals["seconds"]["total"] = round(time.perf_counter() - started, 3)
    plan.totals = totals
    await session.flush()
    say(f"plan {plan.id} saved in {totals['seconds']['total']:.2f} s")
    return plan


def _totals(solved: Solved | None, table, items: dict[int, OpenOrder]) -> dict:
    empty = {
        "slots": 0, "filled": 0, "score": 0.0, "travel_km": 0.0, "volunteers": 0, "pool": 0,
        "gini": 0.0, "top10_share": 0.0, "first_timers": 0,
    }  # fmt: skip
    if solved is None:
        return {"batch": empty, "greedy": dict(empty), "solver": {"orders": 0, "edges": 0}}
    batch = totals_of(solved, solved.batch, table, items)
    greedy = totals_of(solved, solved.greedy, table, items)
    ub_filled, ub_score = solved.upper_bound_filled, solved.upper_bound_score
    return {
        "batch": batch,
        "greedy": greedy,
        "solver": {
            "orders": int(solved.graph.n_orders),
            "edges": int(solved.graph.n_edges),
            "method": solved.method,
            "proven_optimal": bool(solved.proven_optimal),
            "upper_bound_filled": ub_filled,
            "upper_bound_score": None if ub_score is None else round(float(ub_score), 2),
            "gap_filled": None if ub_filled is None else int(ub_filled - batch["filled"]),
            # + 0.0: a gap that rounds to zero is 0.0, never -0.0
            "gap_score": None
            if ub_score is None
            else round(float(ub_score) - batch["score"], 2) + 0.0,
            "seconds": {k: round(v, 3) for k, v in solved.seconds.items()},
        },
    }
