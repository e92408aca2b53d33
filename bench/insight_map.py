"""Benchmark of the activity map (活动地图): the map's queries and JSON over a synthetic district.

Loads (or reuses) a PostgreSQL database with ``kepu demo synth`` (200k volunteers and 100k
orders by default), spreads the synthetic orders — all published and upcoming as generated —
over the map's status groups (two thirds moved 200 days into the past: a sixth completed,
a sixth evaluated, a third expired), then times ``map_view`` + ``payload`` (what the page
does before rendering) for the whole district as admin and for one street as its
coordinator, and prints a table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from bench._bench_db import DataSet, database_url, prepare
from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.db import create_engine, create_sessionmaker
from service.insight_map import service as map_service
from service.insight_map.filters import MapFilter
from service.localtime import to_local
from service.models import Area, Order
from service.settings import Settings
from service.vocab import AreaLevel, Role


async def spread_statuses(url: str) -> int:
    """Move some orders into the past as done or expired (once); how many were moved."""
    engine = create_engine(Settings(database_url=url, _env_file=None))
    try:
        async with engine.begin() as connection:
            if await connection.scalar(
                sa.select(sa.func.count())
                .select_from(Order)
                .where(Order.status.in_(["completed", "evaluated", "expired"]))
            ):
                return 0
            moved = await connection.execute(
                sa.text(
                    "UPDATE orders SET "
                    " status = CASE id % 6 WHEN 2 THEN 'completed' WHEN 3 THEN 'evaluated'"
                    " ELSE 'expired' END,"
                    " starts_at = starts_at - interval '200 days',"
                    " ends_at = ends_at - interval '200 days',"
                    " accepted_count = CASE WHEN id % 6 >= 4 THEN 0 ELSE slots END"
                    " WHERE id % 6 >= 2"
                )
            )
            await connection.exec_driver_sql("ANALYZE orders")
            return moved.rowcount
    finally:
        await engine.dispose()


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def run(args) -> list[dict]:
    url = database_url(args.host, args.database)
    data = DataSet(args.volunteers, args.orders, args.seed)
    loaded = await prepare(args.host, args.database, data, reuse=args.reuse)
    if loaded is not None:
        print(f"loaded the synthetic district in {loaded:.1f} s")
    moved = await spread_statuses(url)
    if moved:
        print(f"moved {moved} orders into the past (completed, evaluated, expired)")
    settings = Settings(database_url=url, _env_file=None)
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    results = []
    try:
        async with sessions() as session:
            orders = await session.scalar(sa.select(sa.func.count()).select_from(Order))
            street = (
                (
                    await session.execute(
                        sa.select(Area).where(Area.level == AreaLevel.street).order_by(Area.code)
                    )
                )
                .scalars()
                .first()
            )
        now = datetime.now(UTC)
        today = to_local(now, settings.timezone).date()
        admin = Actor(user_id=1, grants=(RoleGrant(Role.admin),))
        coordinator = Actor(
            user_id=2,
            grants=(RoleGrant(Role.coordinator, area_id=street.id, area_path=street.path),),
        )
        year = (today - timedelta(days=200), today + timedelta(days=165))
        week = (today, today + timedelta(days=6))
        cases = [
            ("district, a year, all groups", admin, year, None),
            ("district, a year, unfilled", admin, year, "unfilled"),
            ("district, this month, all", admin, _month(today), None),
            (f"street ({street.name}), a year, all", coordinator, year, None),
            (f"street ({street.name}), next 7 days, open", coordinator, week, "open"),
        ]
        for label, actor, (first, last), group in cases:
            ctx = ActionContext(actor=actor, now=now, settings=settings)
            seconds, size, view = [], 0, None
            for _ in range(args.repeat):
                started = time.perf_counter()
                async with sessions() as session:
                    view = await map_service.map_view(session, ctx, MapFilter(first, last, group))
                    body = json.dumps(
                        map_service.payload(view, lambda i: f"/desk/orders/{i}"),
                        ensure_ascii=False,
                        separators=(",", ":"),
                    )
                seconds.append(time.perf_counter() - started)
                size = len(body.encode())
            results.append(
                {
                    "case": label,
                    "orders_in_db": orders,
                    "orders_drawn": view.total_orders,
                    "detailed": view.detailed,
                    "p50_ms": statistics.median(seconds) * 1000,
                    "p95_ms": _percentile(seconds, 0.95) * 1000,
                    "json_bytes": size,
                }
            )
    finally:
        await engine.dispose()
    return results


def _month(today: date) -> tuple[date, date]:
    first = today.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def table(results: list[dict], repeat: int) -> str:
    lines = [
        f"activity map: map_view + payload, {repeat} runs each "
        f"({results[0]['orders_in_db']} orders in the database)",
        f"{'case':44} {'orders':>7} {'drawn as':>13} {'p50 ms':>7} {'p95 ms':>7} {'JSON KB':>8}",
    ]
    for r in results:
        mode = "one by one" if r["detailed"] else "per community"
        lines.append(
            f"{r['case']:44} {r['orders_drawn']:>7} {mode:>13} {r['p50_ms']:>7.1f} "
            f"{r['p95_ms']:>7.1f} {r['json_bytes'] / 1024:>8.1f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--volunteers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--database", default="kepu_bench_map")
    parser.add_argument("--host", default="127.0.0.1:5432")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    results = asyncio.run(run(args))
    print(table(results, args.repeat))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(results, handle, ensure_ascii=False, indent=2)


if __name__ == "__main__":
    main()
