"""Upgrade from empty to head, autogenerate finds no difference, downgrade to base: both databases."""

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from service import migrate
from service.models import metadata
from tests.conftest import _in_thread, _pg_admin, _postgres_admin_url, _run


async def _differences_and_tables(url: str) -> tuple[list, list[str]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as connection:

            def inspect(sync_connection):
                context = MigrationContext.configure(
                    sync_connection, opts={"compare_type": True, "target_metadata": metadata}
                )
                diffs = compare_metadata(context, metadata)
                return diffs, sa.inspect(sync_connection).get_table_names()

            return await connection.run_sync(inspect)
    finally:
        await engine.dispose()


def _round_trip(url: str) -> None:
    _in_thread(migrate.upgrade, url)
    differences, tables = _run(_differences_and_tables(url))
    assert differences == []
    assert set(metadata.tables) <= set(tables)
    _in_thread(migrate.downgrade, url, "base")
    _, tables_after = _run(_differences_and_tables(url))
    assert set(tables_after) <= {"alembic_version"}


def test_migrations_round_trip_on_sqlite(tmp_path):
    _round_trip(f"sqlite+aiosqlite:///{tmp_path / 'roundtrip.db'}")


@pytest.mark.postgres
def test_migrations_round_trip_on_postgres(postgres_url):
    admin = _postgres_admin_url()
    name = f"kepu_roundtrip_{uuid.uuid4().hex[:8]}"
    _run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    try:
        _round_trip(sa.make_url(admin).set(database=name).render_as_string(hide_password=False))
    finally:
        _run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
