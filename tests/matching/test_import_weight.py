"""What the service imports from matching loads no batch solver (a uvicorn worker must be ready
in 5 s; scipy and OR-tools alone took most of a second). The heavy solvers load with the batch
path only. Timing is measured by ``bench/import_time.py``, not here."""

import subprocess
import sys

import pytest

SOLVERS = ("scipy", "ortools")

_PROBE = """
import importlib, sys
for name in {modules!r}:
    importlib.import_module(name)
print(",".join(sorted({{m.split(".")[0] for m in sys.modules}})))
"""


def _loaded_top_level(*modules: str) -> set[str]:
    probe = _PROBE.format(modules=modules)
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(out.stdout.strip().split(","))


@pytest.mark.parametrize(
    "module",
    [
        "matching",
        "matching.eligibility",
        "matching.index",
        "matching.ranking",
        "matching.geo",
        "matching.explain",
        "matching.teams",
        "matching.batch",
    ],
)
def test_importing_a_matching_module_loads_no_solver(module):
    assert _loaded_top_level(module) & set(SOLVERS) == set()


def test_eligibility_loads_neither_numpy_nor_geopy():
    # The one-pair rules are plain Python; geographiclib alone gives the geodesic.
    assert _loaded_top_level("matching.eligibility") & {"numpy", "geopy", *SOLVERS} == set()


def test_probe_would_notice_a_solver():
    # Guard against a probe that can never fail: a solver imported by hand must be reported.
    assert "ortools" in _loaded_top_level("matching", "ortools.graph.python.min_cost_flow")
