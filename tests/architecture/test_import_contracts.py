"""The import contracts in .importlinter hold, and each one fails when its rule is broken.

The second half copies the packages to a temporary folder, adds one forbidden import there and
runs the same linter: a contract that cannot fail would protect nothing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = str(Path(sys.executable).with_name("lint-imports"))


def lint(tree: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    return subprocess.run(
        [LINT, "--no-cache", "--no-logo", ".importlinter"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    """A copy of the importable code and the contracts (sources only)."""
    target = tmp_path_factory.mktemp("tree")
    for package in ("service", "matching"):
        shutil.copytree(
            ROOT / package, target / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / ".importlinter", target / ".importlinter")
    return target


def test_every_contract_is_kept_on_the_real_tree():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


BREAKS = {
    # contract name (as printed) → (file, import line that breaks it)
    "matching is pure": ("matching/eligibility.py", "import service.models"),
    "Only the HTTP layer imports FastAPI": ("service/orders/service.py", "import fastapi"),
    "Route modules are imported only by the router": (
        "service/offers/service.py",
        "import service.orders.routes_api",
    ),
    "Domains import only downward": (
        "service/orders/repository.py",
        "import service.offers.service",
    ),
    "Repositories import no domain service": (
        "service/demands/repository.py",
        "import service.demands.service",
    ),
    "No import cycle between the packages": (
        "service/lifecycle/machine.py",
        "import service.background.worker",
    ),
}


@pytest.mark.parametrize("contract", sorted(BREAKS))
def test_a_forbidden_import_breaks_the_contract(tree: Path, contract: str):
    path, line = BREAKS[contract]
    source = tree / path
    original = source.read_text()
    source.write_text(original + f"\n{line}  # noqa\n")
    try:
        result = lint(tree)
    finally:
        source.write_text(original)
    assert result.returncode != 0
    broken = [row for row in result.stdout.splitlines() if "BROKEN" in row]
    assert any(contract.split()[0] in row or contract in row for row in broken), result.stdout
    # The names in the report are the ones we added, so the failure is the one we caused.
    assert line.split()[-1].split(".")[0] in result.stdout


def test_the_untouched_copy_is_clean(tree: Path):
    result = lint(tree)
    assert result.returncode == 0, result.stdout
