"""The candidate preview over real HTTP on PostgreSQL: ``python -m bench.preview_http``.

Creates (or with ``--reuse`` reuses) a database holding a synthetic district (``kepu demo synth``),
a community worker with an API token, then starts the app under uvicorn once per candidate source
(``KEPU_CANDIDATE_SOURCE=index``, the in-memory index, and ``=database``, the reference and
baseline) and times sequential ``POST /api/v1/orders/preview`` calls (1–3 skills, 10 km, places
inside varied communities), each followed by a ``GET /api/v1/orders/{id}`` as a baseline.
Prints one table side by side; ``--json PATH`` also writes the rows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bench._bench_db import DataSet, District, bench_worker_token, prepare, read_district
from bench._bench_db import database_url as make_url
from bench._server import UvicornServer
from service.demo.timing import ACTIVITY_SLOTS, LOCAL, at_local

WARM_UPS = 5
AREA_RADIUS_KM = 2.0  # places within this of the centroid (the preview allows 3 km by default)
KM_PER_DEG = 111.32


@dataclass
class SourceRun:
    """One server start with one candidate source, and what its previews measured."""

    source: str
    volunteers: int
    ready_s: float = 0.0
    healthy_s: float = 0.0
    build_s: float | None = None
    index_volunteers: int | None = None
    preview_ms: list[float] = field(default_factory=list)
    get_ms: list[float] = field(default_factory=list)
    errors: int = 0  # of the timed previews
    first_error: str = ""
    server_error: str = ""  # the server log's last exception, when there were errors
    rss_mb: float = 0.0
    answers: list = field(default_factory=list)  # (count, candidate ids) per request, or None


def preview_bodies(district: District, n: int, seed: int) -> list[dict]:
    """``n`` preview requests over the communities in turn: a place within 2 km of the
    centroid, a usual activity time 1–14 days ahead, 1–3 skills, 10 km."""
    rng = random.Random(seed)
    today = datetime.now(LOCAL).date()
    bodies = []
    for i in range(n):
        place = district.communities[i % len(district.communities)]
        distance, bearing = AREA_RADIUS_KM * math.sqrt(rng.random()), rng.uniform(0, 2 * math.pi)
        lat = place.lat + distance * math.cos(bearing) / KM_PER_DEG
        lng = place.lng + distance * math.sin(bearing) / (
            KM_PER_DEG * math.cos(math.radians(place.lat))
        )
        start, end = rng.choice(ACTIVITY_SLOTS)
        day = today + timedelta(days=rng.randint(1, 14))
        bodies.append(
            {
                "community_id": place.community_id,
                "lat": round(lat, 6),
                "lng": round(lng, 6),
                "starts_at": at_local(day, start).isoformat(),
                "ends_at": at_local(day, end).isoformat(),
                "skill_ids": rng.sample(district.leaf_skill_ids, rng.randint(1, 3)),
                "slots": rng.randint(1, 5),
                "max_distance_km": 10.0,
            }
        )
    return bodies


def measure(
    url: str, source: str, district: District, token: str, bodies: list[dict], workers: int
) -> SourceRun:
    """Start the server with ``source``, wait until it is ready, time the previews, stop it."""
    run = SourceRun(source=source, volunteers=district.volunteers)
    server = UvicornServer(
        url,
        env={"KEPU_CANDIDATE_SOURCE": source, "KEPU_PREVIEW_MAX_PER_WINDOW": "1000000"},
        workers=workers,
    )
    try:
        ready = server.wait_ready(index=source == "index")
        run.healthy_s, run.ready_s = ready.healthy_s, ready.ready_s
        if ready.index and source == "index":
            run.build_s = ready.index.get("build_seconds")
            run.index_volunteers = ready.index.get("volunteers")
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=300) as http:
            for i, body in enumerate(bodies):
                took, answer = _timed_preview(http, body, run, timed=i >= WARM_UPS)
                order_id = district.order_ids[i % len(district.order_ids)]
                started = time.perf_counter()
                got = http.get(f"/api/v1/orders/{order_id}")
                get_ms = (time.perf_counter() - started) * 1000
                if got.status_code != 200:
                    raise RuntimeError(f"GET order {order_id}: {got.status_code} {got.text[:300]}")
                if i >= WARM_UPS:
                    run.preview_ms.append(took)
                    run.get_ms.append(get_ms)
                    run.answers.append(answer)
        run.rss_mb = server.rss_mb()
        if run.errors:
            run.server_error = server.last_exception()
    finally:
        server.stop()
    return run


def _timed_preview(
    http: httpx.Client, body: dict, run: SourceRun, *, timed: bool
) -> tuple[float, tuple | None]:
    """One preview: its milliseconds and (count, candidate ids), or an error (counted on ``run``
    when ``timed``; the first one kept, warm-up or not)."""
    started = time.perf_counter()
    try:
        response = http.post("/api/v1/orders/preview", json=body)
    except httpx.HTTPError as error:
        took = (time.perf_counter() - started) * 1000
        run.errors += timed
        run.first_error = run.first_error or f"{type(error).__name__}: {error}"[:160]
        return took, None
    took = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        run.errors += timed
        run.first_error = run.first_error or f"{response.status_code} {response.text}"[:160]
        return took, None
    data = response.json()
    return took, (data["count"], tuple(c["volunteer_id"] for c in data["candidates"]))


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def _row(run: SourceRun) -> dict[str, str]:
    ms = run.preview_ms
    return {
        "source": run.source,
        "volunteers": f"{run.volunteers:,}",
        "preview p50": f"{statistics.median(ms):,.1f} ms" if ms else "-",
        "p95": f"{_percentile(ms, 0.95):,.1f} ms" if ms else "-",
        "max": f"{max(ms):,.1f} ms" if ms else "-",
        "errors": f"{run.errors}/{len(ms)}",
        "GET p50": f"{statistics.median(run.get_ms):.1f} ms" if run.get_ms else "-",
        "healthz after": f"{run.healthy_s:.1f} s",
        "ready after": f"{run.ready_s:.1f} s",
        "index build": "-" if run.build_s is None else f"{run.build_s:.1f} s",
        "RSS after": f"{run.rss_mb:,.0f} MB",
    }


def print_table(runs: list[SourceRun]) -> None:
    rows = [_row(run) for run in runs]
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print(" | ".join(c.ljust(widths[c]) for c in columns))
    print("-+-".join("-" * widths[c] for c in columns))
    for row in rows:
        print(" | ".join(row[c].ljust(widths[c]) for c in columns))
    for run in runs:
        if run.first_error:
            print(f"first error ({run.source}): {run.first_error}")
        if run.server_error:
            print(f"server log ({run.source}): {run.server_error}")
        if run.index_volunteers is not None:
            print(f"index of {run.source}: {run.index_volunteers:,} volunteers")
    if len(runs) == 2:
        print(agreement(*runs))


def agreement(first: SourceRun, second: SourceRun) -> str:
    """Whether both sources gave the same count and the same top candidates in the same order."""
    pairs = [(a, b) for a, b in zip(first.answers, second.answers, strict=True) if a and b]
    same_count = sum(a[0] == b[0] for a, b in pairs)
    same_top = sum(a[1] == b[1] for a, b in pairs)
    counts = [a[0] for a, _ in pairs]
    mean = f"{statistics.mean(counts):,.0f}" if counts else "-"
    return (
        f"{first.source} vs {second.source}: same count {same_count}/{len(pairs)}, same top "
        f"candidates in order {same_top}/{len(pairs)} (comparable answers; mean count {mean})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--volunteers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=10_000, help="synthetic orders to load")
    parser.add_argument(
        "--requests", type=int, default=50, help=f"timed, after {WARM_UPS} warm-ups"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep the database if it holds the same data set"
    )
    parser.add_argument(
        "--skip-database-source", action="store_true", help="measure the index only"
    )
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--database", help="default: kepu_bench_preview_<volunteers>")
    parser.add_argument("--host", default="127.0.0.1:5432")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this path")
    args = parser.parse_args(argv)  # fmt: skip

    args.database = args.database or f"kepu_bench_preview_{args.volunteers}"
    data = DataSet(volunteers=args.volunteers, orders=args.orders, seed=args.seed)
    loaded_s = asyncio.run(prepare(args.host, args.database, data, reuse=args.reuse))
    print(
        f"database {args.database}: "
        + ("reused" if loaded_s is None else f"synthetic load took {loaded_s:.0f} s")
    )
    url = make_url(args.host, args.database)
    district = asyncio.run(read_district(url))
    token = asyncio.run(bench_worker_token(url))
    bodies = preview_bodies(district, WARM_UPS + args.requests, seed=args.seed)
    sources = ["index"] if args.skip_database_source else ["index", "database"]
    runs = []
    for source in sources:
        print(f"measuring {source} ({args.requests} previews after {WARM_UPS} warm-ups) …")
        runs.append(measure(url, source, district, token, bodies, args.workers))
    print_table(runs)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        rows = [{**asdict(run), "answers": None} | {"synthetic_load_s": loaded_s} for run in runs]
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
