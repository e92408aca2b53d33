"""Queries live in repositories: no module outside them runs or builds a SQL statement.

A statement is a session call that talks to the database (``execute``, ``scalar``, ``scalars``,
``get``, ``stream``) or a statement constructor (``sa.select/insert/update/delete/text``).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SESSION_CALLS = {"execute", "scalar", "scalars", "get", "stream", "stream_scalars"}
CONSTRUCTORS = {"select", "insert", "update", "delete", "text"}

# Each exception says why. Nothing else may hold SQL.
ALLOWED = {
    "service/demo": "bulk writers of the demo and synthetic data sets (COPY on PostgreSQL)",
    "service/models": "table definitions: server defaults and CHECK expressions",
    "service/db.py": "engine set-up and the health check's SELECT 1",
}
# policy.py composes WHERE clauses (sub-selects) that repositories apply; it executes nothing.
CLAUSES_ONLY = {"service/auth/policy.py"}


def _is_repository(relative: str) -> bool:
    return Path(relative).stem == "repository"


def statements_in(path: Path) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        target, name = node.func.value, node.func.attr
        if isinstance(target, ast.Name) and target.id == "sa" and name in CONSTRUCTORS:
            found.append((node.lineno, f"sa.{name}"))
        elif name in SESSION_CALLS and _names_a_session(target):
            found.append((node.lineno, f"session.{name}"))
    return found


def _names_a_session(node: ast.expr) -> bool:
    # session.execute(...), self.session.execute(...), conn.execute(...)
    if isinstance(node, ast.Attribute):
        node = ast.Name(id=node.attr)
    return isinstance(node, ast.Name) and node.id in {"session", "conn", "connection", "own"}


def offenders() -> dict[str, list[tuple[int, str]]]:
    result = {}
    for path in sorted((ROOT / "service").rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        if _is_repository(relative) or any(relative.startswith(a) for a in ALLOWED):
            continue
        found = statements_in(path)
        if relative in CLAUSES_ONLY:
            found = [hit for hit in found if hit[1] != "sa.select"]
        if found:
            result[relative] = found
    return result


def test_no_sql_outside_repositories():
    assert offenders() == {}


def test_the_scanner_sees_a_statement(tmp_path):
    sample = tmp_path / "service.py"
    sample.write_text(
        "import sqlalchemy as sa\n"
        "async def f(session):\n"
        "    await session.execute(sa.update(T).values(x=1))\n"
        "    return await self.session.scalar(q)\n"
    )
    assert sorted(name for _, name in statements_in(sample)) == [
        "sa.update",
        "session.execute",
        "session.scalar",
    ]
