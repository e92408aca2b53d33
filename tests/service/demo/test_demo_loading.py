"""Loading is reproducible, and `kepu demo load --if-empty` never loads twice."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from service.db import create_engine
from service.demo.loader import load_demo_into
from tests.conftest import TEST_NOW, _truncate_postgres
from tests.service.demo.snapshot import digest, load_and_read, settings_for


async def test_two_loads_into_fresh_databases_are_identical(demo, request, tmp_path):
    """The package's demo load and a second one into another fresh database of the same kind."""
    if "sqlite" in request.node.callspec.id:
        path = tmp_path / "again.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = request.getfixturevalue("postgres_url")
        await _truncate_postgres(url)
    again = await load_and_read(url, TEST_NOW)
    assert again.counts == demo.counts
    assert digest(again.rows) == digest(demo.rows)


def test_digest_notices_a_single_changed_value(demo):
    """Guards the determinism test itself: one changed character changes the digest."""
    shifted = {table: [dict(row) for row in rows] for table, rows in demo.rows.items()}
    shifted["orders"][0]["title"] += "!"
    assert digest(shifted) != digest(demo.rows)


async def count_areas(url: str) -> int:
    engine = create_engine(settings_for(url))
    try:
        async with engine.connect() as connection:
            return await connection.scalar(sa.text("SELECT count(*) FROM areas"))
    finally:
        await engine.dispose()


async def test_load_if_empty_loads_once_then_skips(database_url):
    settings = settings_for(database_url)
    first = await load_demo_into(settings, if_empty=True)
    assert first is not None and first["orders"] >= 100
    areas = await count_areas(database_url)
    assert await load_demo_into(settings, if_empty=True) is None
    assert await count_areas(database_url) == areas == first["areas"]
