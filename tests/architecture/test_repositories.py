"""Repositories sit under the services: they import only the core, the models and scope rules."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORE = {
    "service.models",
    "service.vocab",
    "service.errors",
    "service.settings",
    "service.pagination",
    "service.actor",
    "service.masking",
    "service.clock",
    "service.context",
}
# auth.policy composes the per-actor WHERE clauses the repositories apply (no statement, no I/O).
SCOPE_RULES = {"service.auth.policy"}


def service_imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("service"):
            if node.module in {"service", "service.auth"}:  # from service.auth import policy
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("service")}
    return found


def test_repositories_import_only_core_models_and_scope_rules():
    wrong = {}
    for path in sorted((ROOT / "service").rglob("repository.py")):
        extra = {
            name
            for name in service_imports(path)
            if not any(name == ok or name.startswith(ok + ".") for ok in CORE | SCOPE_RULES)
        }
        if extra:
            wrong[path.relative_to(ROOT).as_posix()] = sorted(extra)
    assert wrong == {}
