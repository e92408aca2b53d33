"""The 数据看板 on PostgreSQL at district scale: ``python -m bench.insight_dashboard``.

Creates (or with ``--reuse`` reuses) a database holding a synthetic district (``kepu demo
synth``: volunteers and open orders), then gives it a year of history in SQL: the orders spread
over the last twelve months and the next one with the statuses a year brings, ~10 offers per
order (``--offers``), service records for the completed offers and residents' ratings. A
coordinator of the district and one of a street get API tokens; the app runs in this process
(httpx over ASGI, so no network in the numbers) and each dashboard URL is requested ``--runs``
times. Prints a table (p50, p95, max in ms).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import httpx
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench._bench_db import DataSet, prepare
from bench._bench_db import database_url as make_url
from service.app import create_app
from service.models import ApiToken, Area, RoleAssignment, User
from service.settings import Settings
from service.tokens import hash_secret, new_api_token
from service.vocab import AreaLevel, Role

HISTORY = [
    # Orders: a year back and a month ahead, statuses by age; accepted places follow them.
    """UPDATE orders o SET starts_at = s.at, ends_at = s.at + interval '2 hours',
         slots = 1 + (o.id % 4)
       FROM (SELECT id, now() - interval '365 days' + (random() * 395) * interval '1 day' AS at
             FROM orders) s
       WHERE s.id = o.id""",
    """UPDATE orders SET
         status = CASE
           WHEN starts_at > now() THEN (ARRAY['draft','published','published','staffed'])[1 + (id % 4)]
           ELSE (ARRAY['evaluated','evaluated','completed','completed','completed','expired','cancelled'])[1 + (id % 7)]
         END,
         published_at = starts_at - (3 + random() * 10) * interval '1 day'""",
    "UPDATE orders SET published_at = NULL WHERE status = 'draft'",
    """UPDATE orders SET accepted_count = slots,
         staffed_at = published_at + (random() * 96) * interval '1 hour'
       WHERE status IN ('staffed','completed','evaluated')""",
    "UPDATE orders SET accepted_count = slots - 1 WHERE status = 'expired' AND slots > 1",
]


def _offers(per_order: int) -> list[str]:
    return [
        f"""INSERT INTO offers (order_id, volunteer_id, status, offered_at, flags, updated_at)
            SELECT o.id,
              (SELECT min(id) FROM volunteers)
                + (o.id::bigint * 7919 + g * 104729) % (SELECT count(*) FROM volunteers),
              CASE WHEN o.status IN ('completed','evaluated')
                   THEN (ARRAY['completed','completed','completed','no_show','declined'])[1 + (g % 5)]
                   WHEN o.status = 'staffed' THEN 'accepted'
                   ELSE (ARRAY['offered','declined','expired'])[1 + (g % 3)] END,
              o.published_at, '[]', now()
            FROM orders o
            CROSS JOIN generate_series(1, {per_order}) AS g
            WHERE o.status <> 'draft'
            ON CONFLICT DO NOTHING""",
        """INSERT INTO service_records (order_id, volunteer_id, hours, started_at, ended_at,
                                        confirmed_at, flags)
           SELECT f.order_id, f.volunteer_id, 2.0, o.starts_at, o.ends_at, o.ends_at, '[]'
           FROM offers f JOIN orders o ON o.id = f.order_id WHERE f.status = 'completed'
           ON CONFLICT DO NOTHING""",
        """INSERT INTO evaluations (order_id, rater_kind, stars, comment, created_at)
           SELECT id, 'resident', 3 + (id % 3), '', ends_at FROM orders WHERE status = 'evaluated'""",
        "ANALYZE",
    ]


async def add_history(url: str, per_order: int) -> float:
    started = time.perf_counter()
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            # Volunteer ids are spread by multiplication (synthetic ids are contiguous).
            for statement in HISTORY + _offers(per_order):
                await connection.exec_driver_sql(statement)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def coordinator_tokens(url: str) -> dict[str, str]:
    """API tokens of a district coordinator and of the first street's coordinator."""
    engine = create_async_engine(url)
    tokens = {}
    try:
        async with engine.begin() as connection:
            district = await connection.scalar(
                sa.select(Area.id).where(Area.level == AreaLevel.district).order_by(Area.id)
            )
            street = await connection.scalar(
                sa.select(Area.id).where(Area.level == AreaLevel.street).order_by(Area.id)
            )
            for label, area_id, phone in (
                ("district", district, "19900000021"),
                ("street", street, "19900000022"),
            ):
                user_id = await connection.scalar(sa.select(User.id).where(User.phone == phone))
                if user_id is None:
                    user_id = await connection.scalar(
                        sa.insert(User).values(phone=phone, name="压测协调员").returning(User.id)
                    )
                await connection.execute(
                    sa.delete(RoleAssignment).where(RoleAssignment.user_id == user_id)
                )
                await connection.execute(
                    sa.insert(RoleAssignment).values(
                        user_id=user_id, role=Role.coordinator, area_id=area_id
                    )
                )
                raw = new_api_token()
                await connection.execute(sa.delete(ApiToken).where(ApiToken.user_id == user_id))
                await connection.execute(
                    sa.insert(ApiToken).values(
                        user_id=user_id, name="bench", token_hash=hash_secret(raw)
                    )
                )
                tokens[label] = raw
    finally:
        await engine.dispose()
    return tokens


async def counts(url: str) -> dict[str, int]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:
            return {
                table: await connection.scalar(sa.text(f"SELECT count(*) FROM {table}"))
                for table in ("volunteers", "orders", "offers", "service_records")
            }
    finally:
        await engine.dispose()


async def measure(url: str, tokens: dict[str, str], runs: int) -> list[tuple[str, list[float]]]:
    app = create_app(Settings(database_url=url, env="test"))
    cases = [
        ("district, this year", "district", "/desk/insight?period=this_year"),
        ("district, this month", "district", "/desk/insight?period=this_month"),
        ("street, this year", "street", "/desk/insight?period=this_year"),
        ("district, orders behind fill rate", "district",
         "/desk/insight/orders?period=this_year&figure=unfilled"),
        ("district, 上报 XLSX (year)", "district", "/desk/insight/report.xlsx?period=this_year"),
    ]  # fmt: skip
    found = []
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for label, who, path in cases:
                headers = {"Authorization": f"Bearer {tokens[who]}"}
                answer = await http.get(path, headers=headers)  # warm-up
                assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
                times = []
                for _ in range(runs):
                    started = time.perf_counter()
                    answer = await http.get(path, headers=headers)
                    times.append((time.perf_counter() - started) * 1000)
                found.append((label, times))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=200_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--offers", type=int, default=10, help="offers per order")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    parser.add_argument("--host", default="127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    data = DataSet(args.volunteers, args.orders, args.seed)
    name = f"kepu_bench_insight_{args.orders}"
    url = make_url(args.host, name)
    loaded = asyncio.run(prepare(args.host, name, data, reuse=args.reuse))
    if loaded is not None:
        print(f"synthetic load: {loaded:.1f} s")
        print(
            f"history (offers, records, ratings): {asyncio.run(add_history(url, args.offers)):.1f} s"
        )
    print(asyncio.run(counts(url)))
    tokens = asyncio.run(coordinator_tokens(url))
    rows = asyncio.run(measure(url, tokens, args.runs))
    print(f"{'request':<36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for label, times in rows:
        ordered = sorted(times)
        p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
        print(f"{label:<36} {statistics.median(times):>8.0f} {p95:>8.0f} {max(times):>8.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
