"""Coordinator insight at district scale, over real HTTP: the dashboard, the orders behind a
figure, the map and the 上报 pack for the whole district and for one street, on PostgreSQL
holding 200k volunteers and a year of 100k orders with ~1M offers, their events and hours.

    python -m bench.insight_http [--reuse] [--requests 40]

Prints p50/p95 per page beside a baseline measured in the same run against the same server:
the signed-in 我的账户 page, which reads one row (what any page costs before its own work).
Target (issue #13): dashboard p95 ≤ 300 ms for the district and for one street.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench._bench_db import DataSet, bench_login, database_url, prepare
from bench._server import UvicornServer
from service.demo.accounts import DEMO_PASSWORD
from service.models import Area
from service.vocab import AreaLevel, Role

WARM_UPS = 3
SHANGHAI = ZoneInfo("Asia/Shanghai")
DISTRICT_PHONE, STREET_PHONE = "19900000021", "19900000022"


@dataclass(frozen=True)
class Target:
    label: str
    phone: str
    path: str


@dataclass
class Timing:
    target: Target
    ms: list[float]
    errors: int
    first_error: str = ""
    size_kb: float = 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


async def areas(url: str) -> tuple[int, int, str]:
    """(district id, the street with most communities' id, its name)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            district = await connection.scalar(
                sa.select(Area.id).where(Area.level == AreaLevel.district)
            )
            street = (
                await connection.execute(
                    sa.text(
                        "SELECT s.id, s.name FROM areas s JOIN areas c ON c.parent_id = s.id "
                        "WHERE s.level = 'street' GROUP BY s.id, s.name "
                        "ORDER BY count(*) DESC, s.id LIMIT 1"
                    )
                )
            ).one()
            return district, street.id, street.name
    finally:
        await engine.dispose()


def sign_in(client: httpx.Client, phone: str) -> None:
    answer = client.post("/api/v1/auth/login", json={"phone": phone, "password": DEMO_PASSWORD})
    answer.raise_for_status()


def measure(base: str, target: Target, requests: int) -> Timing:
    timing = Timing(target, [], 0)
    with httpx.Client(base_url=base, timeout=60) as client:
        sign_in(client, target.phone)
        for n in range(WARM_UPS + requests):
            started = time.perf_counter()
            answer = client.get(target.path)
            took = (time.perf_counter() - started) * 1000
            if answer.status_code != 200:
                timing.errors += 1
                timing.first_error = (
                    timing.first_error or f"{answer.status_code} {answer.text[:200]}"
                )
            elif n >= WARM_UPS:
                timing.ms.append(took)
                timing.size_kb = len(answer.content) / 1024
    return timing


def print_table(timings: list[Timing]) -> None:
    rows = [
        {
            "page": t.target.label,
            "p50": f"{statistics.median(t.ms):,.1f} ms" if t.ms else "-",
            "p95": f"{percentile(t.ms, 0.95):,.1f} ms" if t.ms else "-",
            "max": f"{max(t.ms):,.1f} ms" if t.ms else "-",
            "errors": f"{t.errors}/{len(t.ms) + t.errors}",
            "size": f"{t.size_kb:,.0f} KB",
        }
        for t in timings
    ]
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for row in rows:
        print(" | ".join(row[c].ljust(widths[c]) for c in columns))
    for t in timings:
        if t.first_error:
            print(f"first error ({t.target.label}): {t.first_error}")


def targets(street_name: str, today: date) -> list[Target]:
    """What a coordinator opens, for the district and for one street (``street_name``): this
    month (the dashboard's default) and this year."""
    year = f"from={today.replace(month=1, day=1)}&to={today}"
    pages = [
        ("dashboard, this month", "/desk/insight"),
        ("dashboard, this year", "/desk/insight?period=this_year"),
        ("orders behind a figure", "/desk/insight/orders?period=this_year&figure=expired"),
        ("map, this month", "/desk/insight/map"),
        ("map, this year", f"/desk/insight/map?{year}"),
        ("上报 XLSX, this year", "/desk/insight/report.xlsx?period=this_year"),
    ]
    found = [Target("baseline: 我的账户 (/me)", DISTRICT_PHONE, "/me")]
    for scope, phone in (("district", DISTRICT_PHONE), (f"street {street_name}", STREET_PHONE)):
        found += [Target(f"{label} · {scope}", phone, path) for label, path in pages]
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200_000)
    parser.add_argument("--history-orders", type=int, default=100_000)
    parser.add_argument(
        "--requests", type=int, default=40, help=f"timed, after {WARM_UPS} warm-ups"
    )
    parser.add_argument("--reuse", action="store_true", help="keep a database holding this data")
    parser.add_argument("--database", default="kepu_bench_insight")
    parser.add_argument("--host", default="127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    data = DataSet(
        volunteers=args.volunteers, orders=0, seed=args.seed, history_orders=args.history_orders
    )
    loaded_s = asyncio.run(prepare(args.host, args.database, data, reuse=args.reuse))
    print(
        f"database {args.database}: "
        + ("reused" if loaded_s is None else f"synthetic load took {loaded_s:.0f} s")
    )
    url = database_url(args.host, args.database)
    district, street, street_name = asyncio.run(areas(url))
    asyncio.run(bench_login(url, DISTRICT_PHONE, "区科协压测", [(Role.coordinator, district)]))
    asyncio.run(bench_login(url, STREET_PHONE, "街道压测", [(Role.coordinator, street)]))
    server = UvicornServer(url, env={"KEPU_CANDIDATE_INDEX_WARM_START": "false"})
    try:
        server.wait_ready(index=False)
        timings = []
        for target in targets(street_name, datetime.now(SHANGHAI).date()):
            print(f"measuring {target.label} …", flush=True)
            timings.append(measure(server.base_url, target, args.requests))
        print_table(timings)
        print(f"server RSS after: {server.rss_mb():,.0f} MB")
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
