"""One demo load per database kind, shared by the package's read-only invariant tests."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import TEST_NOW, _run, _truncate_postgres
from tests.service.demo.snapshot import Snapshot, load_and_read


@pytest.fixture(
    scope="package", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def demo(request, tmp_path_factory) -> Snapshot:
    """The demo loaded at TEST_NOW into a fresh database, read back into memory."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("demo") / "demo.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        _run(_truncate_postgres(url))
    return _run(load_and_read(url, TEST_NOW))


@pytest.fixture
def rows(demo: Snapshot) -> dict[str, list[dict]]:
    return demo.rows
