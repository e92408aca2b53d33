"""一键派单 at district scale: ``python -m bench.batch_dispatch [--volunteers N] [--orders M]``.

On its own PostgreSQL database (dropped and created again unless ``--reuse``): migrations,
``kepu demo synth`` data (published open/targeted orders over the next 30 days), then

* plan, cold: a fresh process, so the candidate index is built from the database first;
* plan, warm: the same again with the index in memory (what a running server does);
* apply: the cold plan's invitations, every pair re-checked under the row locks, one commit.

Each plan is the whole district over the 30 days. Prints a table (batch against greedy: filled
places, score, gap to the solver's bound, seconds; the phases of planning; apply) and, with
``--json PATH``, writes the figures. Targets at 5,000 × 50,000: plan ≤ 10 s, apply ≤ 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from service.actor import Actor, RoleGrant
from service.batch import applying, planning
from service.clock import SystemClock
from service.context import ActionContext
from service.db import create_engine, create_sessionmaker
from service.demo.synthetic import load_synthetic
from service.localtime import to_local
from service.models import Area
from service.settings import Settings
from service.vocab import Role

ADMIN_URL = os.environ.get(
    "KEPU_BENCH_ADMIN_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
)
OPERATOR = Actor(name="bench", grants=(RoleGrant(Role.admin),))


async def _admin(statement: str) -> None:
    engine = create_async_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text(statement))
    finally:
        await engine.dispose()


def _database_url(name: str) -> str:
    return sa.make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)


async def _district(sessions) -> Area:
    async with sessions() as session:
        return await session.scalar(sa.select(Area).where(Area.level == "district").limit(1))


async def _plan(sessions, settings, area) -> tuple[int, dict, float]:
    ctx = ActionContext(actor=OPERATOR, now=SystemClock().now(), settings=settings)
    today = to_local(ctx.now, settings.timezone).date()
    started = time.perf_counter()
    async with sessions() as session:
        plan = await planning.make_plan(
            session, ctx, area=area, first=today, last=today + timedelta(days=30)
        )
        await session.commit()
    return plan.id, plan.totals, time.perf_counter() - started


async def _apply(sessions, settings, plan_id: int) -> tuple[dict, float]:
    ctx = ActionContext(actor=OPERATOR, now=SystemClock().now(), settings=settings)
    started = time.perf_counter()
    async with sessions() as session:
        applied = await applying.apply_plan(session, ctx, plan_id=plan_id)
        await session.commit()
    return applied.plan.report, time.perf_counter() - started


async def run(volunteers: int, orders: int, database: str, reuse: bool, seed: int) -> dict:
    url = _database_url(database)
    if not reuse:
        await _admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await _admin(f'CREATE DATABASE "{database}"')
        await asyncio.to_thread(migrate.upgrade, url)
        settings = Settings(database_url=url, env="test", _env_file=None)
        print(f"synthetic data: {volunteers} volunteers, {orders} orders …", flush=True)
        print(await load_synthetic(settings, volunteers=volunteers, orders=orders, seed=seed))
    settings = Settings(database_url=url, env="test", _env_file=None, run_worker_in_process=False)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    try:
        area = await _district(sessions)
        cold_id, cold, cold_s = await _plan(sessions, settings, area)
        _warm_id, warm, warm_s = await _plan(sessions, settings, area)
        report, apply_s = await _apply(sessions, settings, cold_id)
        _again, again_s = await _apply(sessions, settings, cold_id)
    finally:
        await engine.dispose()
    return {
        "volunteers": volunteers,
        "orders": orders,
        "plan_cold": {"seconds": cold_s, "totals": cold},
        "plan_warm": {"seconds": warm_s, "totals": warm},
        "apply": {"seconds": apply_s, "sent": report["sent"], "skipped": report["skipped"]},
        "apply_again_seconds": again_s,
    }


def table(result: dict) -> str:
    cold = result["plan_cold"]["totals"]
    batch, greedy, solver = cold["batch"], cold["greedy"], cold["solver"]
    gap = solver.get("gap_filled")
    lines = [
        f"一键派单: {result['orders']} orders × {result['volunteers']} volunteers "
        f"({solver['orders']} orders with a free place, {batch['slots']} places, "
        f"{solver['edges']} candidate pairs)",
        "",
        f"{'':10} {'filled':>8} {'score':>10} {'gap places':>11} {'gap score':>10} "
        f"{'gini':>6} {'1st-timers':>11} {'seconds':>8}",
    ]
    s = solver["seconds"]
    for name, t, secs, g, gs in (
        ("batch", batch, s["batch"], gap, solver.get("gap_score")),
        ("greedy", greedy, s["greedy"], None if gap is None else solver["upper_bound_filled"] - greedy["filled"], None if solver.get("upper_bound_score") is None else round(solver["upper_bound_score"] - greedy["score"], 2)),
    ):  # fmt: skip
        lines.append(
            f"{name:10} {t['filled']:>8} {t['score']:>10.2f} {g!s:>11} {gs!s:>10} "
            f"{t['gini']:>6.3f} {t['first_timers']:>11} {secs:>8.2f}"
        )
    lines += [
        f"bound: {solver['upper_bound_filled']} places, score {solver['upper_bound_score']}; "
        f"proven optimal: {solver['proven_optimal']} ({solver['method']}); "
        f"graph {s['graph']:.2f} s",
        "",
        f"{'step':34} {'seconds':>8}",
    ]
    for label, key in (("plan, cold (index built)", "plan_cold"), ("plan, warm (index ready)", "plan_warm")):  # fmt: skip
        phases = result[key]["totals"]["seconds"]
        detail = ", ".join(f"{k} {v:.2f}" for k, v in phases.items() if k != "total")
        lines.append(f"{label:34} {result[key]['seconds']:>8.2f}   ({detail})")
    a = result["apply"]
    lines.append(f"{'apply (' + str(a['sent']) + ' sent, ' + str(a['skipped']) + ' skipped)':34} {a['seconds']:>8.2f}")  # fmt: skip
    lines.append(f"{'apply again (nothing sent)':34} {result['apply_again_seconds']:>8.2f}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--volunteers", type=int, default=50_000)
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--database", default="kepu_bench_batch")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    result = asyncio.run(run(args.volunteers, args.orders, args.database, args.reuse, args.seed))
    print(table(result))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, ensure_ascii=False, indent=2, default=str)


if __name__ == "__main__":
    main()
