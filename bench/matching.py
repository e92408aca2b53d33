"""Benchmark of the matching core: ``python -m bench.matching [--quick] [--json PATH]``.

Prints one table. Per-order rows: top-20 latency over 200 queries against a ``VolunteerIndex``,
its build time and array memory, next to the naive baseline (a Python loop of geopy geodesic
over every volunteer, timed on a 2,000-volunteer sample and extrapolated); "top-20 qualified"
rows ask the same index the same queries requiring a first-aid certificate and insurance (the
volunteers hold some: ``matching_data.qualifications``). Batch rows: end-to-
end ``assign_batch`` (candidate graph + solve) time and peak memory measured in a fresh process,
fill rate and score next to greedy on the same graph, the relaxation upper bound, and the exact
optimum (CP-SAT, unpruned graph) where it is computable.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from bench import matching_data as data

PER_ORDER_SIZES = (10_000, 100_000, 1_000_000)
BATCH_SIZES = ((1_000, 10_000), (5_000, 50_000), (20_000, 200_000))
EXACT_MAX_ORDERS = 1_000  # the unpruned graph (for the exact optimum) is built only up to here
EXACT_MAX_EDGES = 60_000  # and solved only up to this many edges
QUERIES = 200
NAIVE_SAMPLE = 2_000


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _latencies(index, orders, now) -> tuple[list[float], list[int]]:
    for o in orders[:20]:  # warm caches (lazy keys, dense availability, credential columns)
        index.top_k(o, 20, now=now)
    lat, found = [], []
    for o in orders[20:]:
        t = time.perf_counter_ns()
        found.append(len(index.top_k(o, 20, now=now)))
        lat.append((time.perf_counter_ns() - t) / 1e6)
    return lat, found


def per_order(n: int, kind: str, qualified: bool = False) -> list[dict]:
    """Top-20 latency, build time and memory for n volunteers of one distribution; with
    ``qualified``, a second row for the same queries requiring a first-aid certificate and
    insurance (the first row's orders require nothing)."""
    from matching.geo import geopy_geodesic_km
    from matching.index import VolunteerIndex
    from matching.params import MatchParams

    table = data.volunteers(n, kind, seed=11)
    t0 = time.perf_counter()
    index = VolunteerIndex(table, MatchParams())
    build_s = time.perf_counter() - t0
    orders = data.orders(QUERIES + 20, kind, seed=12)
    now = data.HORIZON_START
    lat, found = _latencies(index, orders, now)
    sample = np.random.default_rng(13).choice(n, min(NAIVE_SAMPLE, n), replace=False)
    o = orders[20]
    geopy_geodesic_km(o.lat, o.lng, o.lat, o.lng)  # imports geopy before the clock starts
    t = time.perf_counter()
    for i in sample:
        geopy_geodesic_km(float(table.lat[i]), float(table.lng[i]), o.lat, o.lng)
    naive_s = (time.perf_counter() - t) / len(sample) * n
    rows = [
        {
            "case": "top-20",
            "dist": kind,
            "volunteers": n,
            "orders": f"{QUERIES} queries",
            "median_ms": float(np.median(lat)),
            "p95_ms": float(np.percentile(lat, 95)),
            "build_s": build_s,
            "memory_mb": index.nbytes / 2**20,
            "naive_s_per_order": naive_s,
            "naive_note": f"extrapolated from {len(sample)} volunteers",
            "mean_found": float(np.mean(found)),
        }
    ]
    if qualified:
        need = {"required_credentials": frozenset({data.FIRST_AID}), "requires_insurance": True}
        lat, found = _latencies(index, [replace(o, **need) for o in orders], now)
        rows.append(
            {
                **rows[0],
                "case": "top-20 qualified",
                "median_ms": float(np.median(lat)),
                "p95_ms": float(np.percentile(lat, 95)),
                "memory_mb": index.nbytes / 2**20,
                "naive_s_per_order": None,
                "mean_found": float(np.mean(found)),
            }
        )
    return rows


class _PeakRss:
    """Peak resident memory of this process while active: sampled every 2 ms, and checked
    against ``ru_maxrss`` (which catches short spikes once they exceed the earlier peak)."""

    def __enter__(self):
        import threading

        self.base_mb = _rss_mb()
        self.maxrss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.peak_mb = self.base_mb
        self._stop = threading.Event()

        def sample():
            while not self._stop.wait(0.002):
                self.peak_mb = max(self.peak_mb, _rss_mb())

        self._thread = threading.Thread(target=sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, _rss_mb())
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if maxrss > self.maxrss_before:  # the solve set a new high-water mark
            self.peak_mb = max(self.peak_mb, maxrss)

    @property
    def used_mb(self) -> float:
        """Peak during the block minus the resident size when it started."""
        return self.peak_mb - self.base_mb


def _batch_child(path: str, queue) -> None:
    """Runs in a fresh process fed from a saved instance, so that the measured peak memory
    belongs to the batch alone (not to generating the data)."""
    import pickle

    from matching.batch.assign import solve_graph
    from matching.batch.graph import build_candidate_graph
    from matching.batch.greedy import greedy_assign
    from matching.params import MatchParams

    with open(path, "rb") as f:
        m, n, table, orders = pickle.load(f)
    params = MatchParams()
    now = data.HORIZON_START
    # Solver modules are imported up front, as a long-running service would have them: their
    # memory is not the batch's, and their one-time import is reported apart (import_s).
    import importlib

    t_import = time.perf_counter()
    for name in ("ortools.graph.python.min_cost_flow", "ortools.sat.python.cp_model"):
        importlib.import_module(name)
    import_s = time.perf_counter() - t_import

    peak = _PeakRss()
    with peak:
        t0 = time.perf_counter()
        graph = build_candidate_graph(orders, table, params, now)
        t1 = time.perf_counter()
        result = solve_graph(graph, params)
        t2 = time.perf_counter()
    peak_mb = peak.used_mb
    chosen = greedy_assign(graph)
    t3 = time.perf_counter()
    row = {
        "case": "batch",
        "dist": "city",
        "volunteers": n,
        "orders": m,
        "total_s": t2 - t0,
        "graph_s": t1 - t0,
        "solve_s": t2 - t1,
        "peak_mb": peak_mb,
        "edges": graph.n_edges,
        "slots": graph.total_slots,
        "filled": result.filled,
        "score": result.total_score,
        "method": result.method,
        "proven_optimal": result.proven_optimal,
        "pruning_lossless": bool(graph.stats["pruning_lossless"]),
        "ub_filled": result.upper_bound_filled,
        "ub_score": result.upper_bound_score,
        "greedy_filled": int(chosen.sum()),
        "greedy_score": float(graph.edge_score[chosen].sum()),
        "greedy_s": t3 - t2,
        "import_s": import_s,
    }
    full = None
    if m <= EXACT_MAX_ORDERS:
        full = build_candidate_graph(orders, table, params, now, prune=False)
        row["unpruned_edges"] = full.n_edges
    if full is not None and full.n_edges <= EXACT_MAX_EDGES:
        exact_params = MatchParams(
            exact_max_edges=10**9, exact_work_limit=120.0, exact_work_budget=10**9
        )
        t4 = time.perf_counter()
        exact = solve_graph(full, exact_params)
        row.update(
            exact_filled=exact.filled,
            exact_score=exact.total_score,
            exact_proven=exact.proven_optimal,
            exact_s=time.perf_counter() - t4,
        )
    queue.put(row)


def batch(m: int, n: int) -> dict:
    """One batch size: data generated here and saved, solved in a fresh process."""
    import pickle
    import tempfile

    table = data.volunteers(n, "city", seed=21)
    orders = data.orders(m, "city", seed=22)
    with tempfile.NamedTemporaryFile(suffix=".pickle", delete=False) as f:
        pickle.dump((m, n, table, orders), f, protocol=pickle.HIGHEST_PROTOCOL)
        path = f.name
    del table, orders
    try:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        proc = ctx.Process(target=_batch_child, args=(path, queue))
        proc.start()
        row = queue.get()
        proc.join()
    finally:
        Path(path).unlink(missing_ok=True)
    return row


def _pct(a: float, b: float) -> str:
    return f"{100 * (a - b) / b:+.2f} %" if b else "n/a"


def format_table(rows: list[dict]) -> str:
    """The one printed table."""
    head = [
        "case",
        "dist",
        "volunteers",
        "orders",
        "time",
        "p95",
        "build",
        "memory",
        "naive geopy loop",
        "fill",
        "score",
        "vs greedy (fill / score)",
        "vs exact or bound",
    ]
    lines = []
    for r in rows:
        if r["case"].startswith("top-20"):
            naive = r["naive_s_per_order"]
            lines.append(
                [
                    r["case"],
                    r["dist"],
                    f"{r['volunteers']:,}",
                    r["orders"],
                    f"{r['median_ms']:.2f} ms",
                    f"{r['p95_ms']:.2f} ms",
                    f"{r['build_s']:.2f} s",
                    f"{r['memory_mb']:.0f} MB",
                    "" if naive is None else f"{naive:.2f} s/order ({r['naive_note']})",
                    "",
                    "",
                    "",
                    "",
                ]
            )
        else:
            if "exact_filled" in r:
                exact = (
                    f"exact{'' if r['exact_proven'] else '?'} {r['exact_filled']:,} / "
                    f"{r['exact_score']:.1f}: fill {r['filled'] - r['exact_filled']:+d}, "
                    f"score {_pct(r['score'], r['exact_score'])}"
                )
            else:
                exact = (
                    f"exact n/a; bound {r['ub_filled']:,} / {r['ub_score']:.1f}: "
                    f"score {_pct(r['score'], r['ub_score'])}"
                )
            lines.append(
                [
                    "batch",
                    r["dist"],
                    f"{r['volunteers']:,}",
                    f"{r['orders']:,}",
                    f"{r['total_s']:.2f} s",
                    "",
                    f"graph {r['graph_s']:.2f} s",
                    f"{r['peak_mb']:.0f} MB peak",
                    "",
                    f"{r['filled']:,}/{r['slots']:,} ({100 * r['filled'] / r['slots']:.1f} %)",
                    f"{r['score']:.1f}",
                    f"{r['filled'] - r['greedy_filled']:+d} / {_pct(r['score'], r['greedy_score'])}",
                    exact + ("" if r["proven_optimal"] else " (batch not proven)"),
                ]
            )
    return render_table(head, lines)


def render_table(head: list[str], lines: list[list[str]]) -> str:
    """Columns padded to their widest cell, " | " between them, a rule under the head."""
    widths = [max(len(h), *(len(line[i]) for line in lines)) for i, h in enumerate(head)]

    def fmt(cells):
        return " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    sep = "-+-".join("-" * w for w in widths)
    return "\n".join([fmt(head), sep, *(fmt(line) for line in lines)])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the smallest sizes")
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this path")
    parser.add_argument(
        "--only",
        action="append",
        metavar="CASE",
        help="run only these cases (repeatable): top-20, top-20-qualified (the same queries "
        "requiring a certificate and insurance, beside top-20), batch, or one batch size by its "
        "orders, e.g. batch-20k, batch-1k",
    )
    args = parser.parse_args(argv)
    sizes = PER_ORDER_SIZES[:1] if args.quick else PER_ORDER_SIZES
    qualified = True
    batches = BATCH_SIZES[:1] if args.quick else BATCH_SIZES
    if args.only:
        only = set(args.only)
        qualified = "top-20-qualified" in only
        if "top-20" not in only and not qualified:
            sizes = ()
        if "batch" not in only:
            batches = tuple((m, n) for m, n in batches if f"batch-{m // 1000}k" in only)
    rows = []
    for kind in ("city", "nationwide") if sizes else ():
        for n in sizes:
            print(f"... top-20 {kind} {n:,}", file=sys.stderr, flush=True)
            rows.extend(per_order(n, kind, qualified))
    for m, n in batches:
        print(f"... batch {m:,} x {n:,}", file=sys.stderr, flush=True)
        rows.append(batch(m, n))
    print(format_table(rows))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
