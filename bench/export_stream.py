"""Streamed exports at district scale: ``python -m bench.export_stream [--rows N] [--reuse]``.

On its own PostgreSQL database (``kepu demo synth`` data, reused when its label matches and
``--reuse`` is given), topped up by bulk SQL to at least ``--rows`` exportable orders (not
drafts) and one service record per order, then each case runs in a fresh process while a thread
samples its RSS (psutil, every 5 ms):

* ``xlsx stream`` / ``csv stream``: the orders export of the whole district over the data's
  period through ``service.exports`` (server-side cursor, write-only XLSX in a worker thread,
  a temporary file read out in chunks) — what the page and ``kepu export`` do;
* ``hours xlsx stream``: service hours per volunteer (an aggregate in SQL);
* baselines: the same rows gathered in a list first, then openpyxl's normal (in-memory)
  workbook, or ``csv.writer`` over the list.

Prints a table (rows, seconds, RSS before / peak / after, growth = peak − before, file size) and
with ``--json PATH`` writes it. Target: RSS growth ≤ 100 MB for the 100k-row XLSX.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

import psutil
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bench._bench_db import DataSet, database_url, prepare

CASES = ("xlsx stream", "xlsx baseline", "csv stream", "csv baseline", "hours xlsx stream")
MB = 1024 * 1024


# ---------------------------------------------------------------- the data


async def top_up(url: str, rows: int) -> tuple[date, date, int]:
    """At least ``rows`` non-draft orders (copies of published ones, a month later each round)
    and a service record per completed-looking order; the local period that holds them."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as connection:

            async def count() -> int:
                query = "SELECT count(*) FROM orders WHERE status <> 'draft'"
                return await connection.scalar(sa.text(query))

            columns = (await connection.execute(sa.text(
                "SELECT column_name FROM information_schema.columns "
                "WHERE table_name = 'orders' AND column_name <> 'id' ORDER BY ordinal_position"
            ))).scalars().all()  # fmt: skip
            have, shift = await count(), 1
            while have < rows:
                copied = ", ".join(
                    f"{c} + interval '{30 * shift} days'" if c in ("starts_at", "ends_at") else c
                    for c in columns
                )
                await connection.execute(sa.text(
                    f"INSERT INTO orders ({', '.join(columns)}) SELECT {copied} FROM orders "
                    f"WHERE status = 'published' ORDER BY id LIMIT {rows - have}"
                ))  # fmt: skip
                have, shift = await count(), shift + 1
            if not await connection.scalar(sa.text("SELECT count(*) FROM service_records")):
                await connection.execute(sa.text("""
                    INSERT INTO service_records
                        (order_id, volunteer_id, hours, started_at, ended_at, confirmed_at, flags)
                    SELECT o.id, v.lo + (o.id * 7919) % (v.hi - v.lo + 1), 2.0, o.starts_at,
                           o.starts_at + interval '2 hours', o.starts_at + interval '3 hours',
                           '[]'
                    FROM orders o, (SELECT min(id) lo, max(id) hi FROM volunteers) v
                    WHERE o.status <> 'draft'
                """))  # fmt: skip
            first, last = (await connection.execute(sa.text(
                "SELECT min(starts_at AT TIME ZONE 'Asia/Shanghai')::date, "
                "max(starts_at AT TIME ZONE 'Asia/Shanghai')::date "
                "FROM orders WHERE status <> 'draft'"
            ))).one()  # fmt: skip
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.exec_driver_sql("ANALYZE")
        return first, last, have
    finally:
        await engine.dispose()


# ---------------------------------------------------------------- one case (child process)


class RssSampler:
    def __init__(self) -> None:
        self.process = psutil.Process()
        self.peak = self.process.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)


async def _streamed(sessions, export, zone: str, out: Path) -> None:
    from service.exports import service

    with out.open("wb") as handle:
        async for chunk in service.export_bytes(sessions, export, zone=zone):
            handle.write(chunk)


async def _baseline(sessions, export, zone: str, out: Path) -> None:
    """All rows in a list, then the whole file in memory (openpyxl normal mode, csv over a list)."""
    from openpyxl import Workbook

    from service.exports import service

    async with sessions() as session:
        table = service.table_of(session, export, zone=zone)
        rows = [row async for row in table.rows]
    if export.format == "csv":
        with out.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(table.header)
            writer.writerows(rows)
        return
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(table.header))
    for row in rows:
        sheet.append(list(row))
    workbook.save(out)


async def _count(sessions, export, zone: str) -> int:
    from service.exports import service

    async with sessions() as session:
        return await service.count_rows(session, export, zone=zone)


def run_case(case: str, url: str, first: date, last: date) -> dict:
    from service.db import create_engine, create_sessionmaker
    from service.exports.service import Export, ExportFormat, ExportKind
    from service.settings import Settings

    settings = Settings(database_url=url, env="test")
    kind = ExportKind.hours if case.startswith("hours") else ExportKind.orders
    fmt = ExportFormat.xlsx if "xlsx" in case else ExportFormat.csv
    export = Export(kind, fmt, None, first, last)
    out = Path(tempfile.mkdtemp(prefix="kepu-bench-")) / f"export.{fmt}"
    process = psutil.Process()

    async def main() -> tuple[int, float]:
        engine = create_engine(settings)
        sessions = create_sessionmaker(engine)
        try:
            rows = await _count(sessions, export, settings.timezone)
            started = time.perf_counter()
            work = _baseline if "baseline" in case else _streamed
            await work(sessions, export, settings.timezone, out)
            return rows, time.perf_counter() - started
        finally:
            await engine.dispose()

    import openpyxl  # noqa: F401 - loaded before "before", as a running server has it

    before = process.memory_info().rss
    with RssSampler() as sampler:
        rows, seconds = asyncio.run(main())
    after = process.memory_info().rss
    size = out.stat().st_size
    out.unlink()
    out.parent.rmdir()
    return {
        "case": case, "rows": rows, "seconds": round(seconds, 2), "rss_before_mb": before / MB,
        "rss_peak_mb": sampler.peak / MB, "rss_after_mb": after / MB,
        "growth_mb": (sampler.peak - before) / MB, "file_mb": size / MB,
    }  # fmt: skip


# ---------------------------------------------------------------- the table (parent process)


def table(results: list[dict]) -> str:
    head = f"{'case':<19} {'rows':>9} {'seconds':>8} {'RSS before':>11} {'peak':>9} {'after':>9} {'growth':>9} {'file':>8}"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r['case']:<19} {r['rows']:>9,} {r['seconds']:>8.2f} {r['rss_before_mb']:>8.0f} MB"
            f" {r['rss_peak_mb']:>6.0f} MB {r['rss_after_mb']:>6.0f} MB {r['growth_mb']:>6.0f} MB"
            f" {r['file_mb']:>5.1f} MB"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000, help="exportable orders at least")
    parser.add_argument("--host", default=os.environ.get("KEPU_BENCH_HOST", "127.0.0.1:5432"))
    parser.add_argument("--database", default="kepu_bench_export")
    parser.add_argument("--reuse", action="store_true", help="keep the database and its data")
    parser.add_argument("--only", action="append", choices=CASES, help="one case (repeatable)")
    parser.add_argument("--json", help="write the figures to this file")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    url = database_url(args.host, args.database)
    if args.child:
        case, first, last = json.loads(args.child)
        print(json.dumps(run_case(case, url, date.fromisoformat(first), date.fromisoformat(last))))
        return
    data = DataSet(volunteers=20_000, orders=100_000, seed=13)
    loaded = asyncio.run(prepare(args.host, args.database, data, reuse=args.reuse))
    first, last, orders = asyncio.run(top_up(url, args.rows))
    print(f"database {args.database}: {orders:,} exportable orders, {first} – {last}"
          + (f" (loaded in {loaded:.1f} s)" if loaded else " (reused)"))  # fmt: skip
    results = []
    for case in args.only or CASES:
        child = json.dumps([case, first.isoformat(), last.isoformat()])
        done = subprocess.run(
            [sys.executable, "-m", "bench.export_stream", "--host", args.host,
             "--database", args.database, "--child", child],
            capture_output=True, text=True,
        )  # fmt: skip
        if done.returncode:
            sys.exit(f"{case} failed:\n{done.stderr[-3000:]}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"  {case}: {results[-1]['seconds']:.2f} s", file=sys.stderr, flush=True)
    print(table(results))
    xlsx = next((r for r in results if r["case"] == "xlsx stream"), None)
    if xlsx:
        verdict = "met" if xlsx["growth_mb"] <= 100 else "MISSED"
        print(f"target: 100k-row XLSX RSS growth ≤ 100 MB: {xlsx['growth_mb']:.0f} MB ({verdict})")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
