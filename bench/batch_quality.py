"""Batch quality on several generators: ``python -m bench.batch_quality [--quick] [--json PATH]``.

For each generator and size, one table row: the batch's filled slots and score, its gap to the
solver's own upper bound (the flow relaxation: no feasible plan can beat it), greedy on the same
candidate graph beside it, and the seconds of the graph build and of the solve (one process,
the solver modules imported before the clock starts, as in a running service), wall and, in
brackets, this process's CPU seconds (the better measure on a shared machine: the solve is
single-threaded).

The bound is the flow relaxation's, tightened per component by what the exact solvers prove
(an optimum found, or CP-SAT's objective bound): a valid upper bound of (filled, score), so
"gap" is how far the batch can at most be from the optimum.

Generators (``bench.matching_data``):

* ``city``: the project's own (clustered around 芝罘区, four weeks, 15 % two-skill orders).
* ``uniform``: volunteers and orders spread evenly over a 67 x 62 km box.
* ``tight-day``: every order on one day (a city festival): volunteers are scarce at once.
* ``multi-skill``: half the orders need 2-3 skills and require them covered
  (``cover_all_skills``).
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
from pathlib import Path

from bench import matching_data as data
from bench.matching import render_table

GENERATORS = {
    "city": ("city", {}),
    "uniform": ("uniform", {}),
    "tight-day": ("city", {"days": 1}),
    "multi-skill": ("city", {"multi_share": 0.5, "max_skills": 3, "cover_share": 1.0}),
}
SIZES = ((1_000, 10_000), (5_000, 50_000))


def measure(name: str, m: int, n: int) -> dict:
    """One generator at one size: batch vs bound vs greedy, and the times."""
    from matching.batch.assign import solve_graph
    from matching.batch.graph import build_candidate_graph
    from matching.batch.greedy import greedy_assign
    from matching.params import MatchParams

    kind, opts = GENERATORS[name]
    table = data.volunteers(n, kind, seed=21)
    orders = data.orders(m, kind, seed=22, **opts)
    params = MatchParams()
    t0, c0 = time.perf_counter(), time.process_time()
    graph = build_candidate_graph(orders, table, params, data.HORIZON_START)
    t1, c1 = time.perf_counter(), time.process_time()
    result = solve_graph(graph, params)
    t2, c2 = time.perf_counter(), time.process_time()
    greedy = greedy_assign(graph)
    return {
        "generator": name,
        "orders": m,
        "volunteers": n,
        "slots": graph.total_slots,
        "edges": graph.n_edges,
        "filled": result.filled,
        "score": result.total_score,
        "ub_filled": result.upper_bound_filled,
        "ub_score": result.upper_bound_score,
        "greedy_filled": int(greedy.sum()),
        "greedy_score": float(graph.edge_score[greedy].sum()),
        "proven_optimal": result.proven_optimal,
        "graph_s": t1 - t0,
        "solve_s": t2 - t1,
        "graph_cpu_s": c1 - c0,
        "solve_cpu_s": c2 - c1,
        "relaxation_filled": result.stats.get("relaxation_bound_filled", result.upper_bound_filled),
        "method": result.method,
        "exact_work": result.stats.get("exact_work", 0.0),
        "components": {
            k: result.stats.get(k, 0)
            for k in (
                "dirty_components",
                "bound_matched_components",
                "exact_components",
                "heuristic_components",
                "exact_unsolved_components",
            )
        },
    }


def _gap(value: float, bound: float, fmt: str) -> str:
    pct = 100 * (bound - value) / bound if bound else 0.0
    return f"{fmt.format(bound - value)} ({pct:.2f} %)"


def format_table(rows: list[dict]) -> str:
    """The printed table: one row per generator and size."""
    head = [
        "generator",
        "orders x volunteers",
        "slots",
        "batch fill / score",
        "bound fill / score",
        "gap fill",
        "gap score",
        "greedy fill / score",
        "greedy gap fill",
        "proven",
        "graph (cpu)",
        "solve (cpu)",
    ]
    lines = []
    for r in rows:
        lines.append(
            [
                r["generator"],
                f"{r['orders']:,} x {r['volunteers']:,}",
                f"{r['slots']:,}",
                f"{r['filled']:,} / {r['score']:.1f}",
                f"{r['ub_filled']:,} / {r['ub_score']:.1f}",
                _gap(r["filled"], r["ub_filled"], "{:d}"),
                _gap(r["score"], r["ub_score"], "{:.1f}"),
                f"{r['greedy_filled']:,} / {r['greedy_score']:.1f}",
                _gap(r["greedy_filled"], r["ub_filled"], "{:d}"),
                "yes" if r["proven_optimal"] else "no",
                f"{r['graph_s']:.2f} s ({r['graph_cpu_s']:.2f})",
                f"{r['solve_s']:.2f} s ({r['solve_cpu_s']:.2f})",
            ]
        )
    return render_table(head, lines)


def main(argv: list[str] | None = None) -> int:
    """Run every generator at every size, print the table, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only 1k x 10k")
    parser.add_argument("--only", action="append", choices=sorted(GENERATORS))
    parser.add_argument("--json", type=Path, help="also write the rows as JSON to this path")
    args = parser.parse_args(argv)
    for module in ("ortools.graph.python.min_cost_flow", "ortools.sat.python.cp_model"):
        importlib.import_module(module)  # a running service has them loaded
    rows = []
    for m, n in SIZES[:1] if args.quick else SIZES:
        for name in args.only or GENERATORS:
            print(f"... {name} {m:,} x {n:,}", file=sys.stderr, flush=True)
            rows.append(measure(name, m, n))
    print(format_table(rows))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
