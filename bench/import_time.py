"""Import cost of the matching core: ``python -m bench.import_time [--runs N] [--json PATH]``.

Each row is a fresh interpreter running ``python -c "import <module>"``: the median and fastest
wall time over ``--runs`` runs (interpreter start-up included, as a uvicorn worker pays it), and
which heavy libraries the import left in ``sys.modules``. The first rows are the baselines: an
empty interpreter and the heavy libraries on their own.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("numpy", "scipy", "ortools", "geopy", "geographiclib")
BASELINES = ("", "numpy", "scipy.sparse.csgraph", "ortools.graph.python.min_cost_flow")
MODULES = (
    "matching.eligibility",
    "matching.index",
    "matching.ranking",
    "matching",
    "matching.batch",
)
_PROBE = "import sys{stmt}\nprint(','.join(h for h in {heavy!r} if h in sys.modules))"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def measure(module: str, runs: int) -> dict:
    """Wall times of ``runs`` fresh interpreters importing ``module``, and the heavy modules."""
    stmt = f"import {module}" if module else "pass"
    env = _env()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", stmt], env=env, check=True)
        times.append((time.perf_counter() - t) * 1000)
    probe = _PROBE.format(stmt=f"; {stmt}" if module else "", heavy=HEAVY)
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, check=True, capture_output=True, text=True
    )
    return {
        "module": module or "(empty interpreter)",
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "heavy": out.stdout.strip().split(",") if out.stdout.strip() else [],
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path, help="also write the rows to this file")
    args = parser.parse_args(argv)
    # A baseline library that is not installed (scipy, once dropped) is left out.
    baselines = [m for m in BASELINES if not m or importlib.util.find_spec(m.split(".")[0])]
    rows = [measure(m, args.runs) for m in (*baselines, *MODULES)]
    width = max(len(r["module"]) for r in rows)
    print(f"{'module':<{width}} | median ms | min ms | heavy modules loaded")
    print(f"{'-' * width}-+-----------+--------+---------------------")
    for i, r in enumerate(rows):
        if i == len(baselines):
            print(f"{'-' * width}-+-----------+--------+---------------------")
        heavy = ", ".join(r["heavy"]) or "-"
        print(f"{r['module']:<{width}} | {r['median_ms']:9.0f} | {r['min_ms']:6.0f} | {heavy}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")


if __name__ == "__main__":
    main()
