"""Run Alembic migrations from code (CLI, tests, start-up checks)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from service.settings import PROJECT_ROOT


def alembic_config(database_url: str) -> Config:
    """An Alembic config for ``database_url`` that leaves the caller's logging alone."""
    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logging"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision`` (must not be called from a running event loop)."""
    _ensure_sqlite_directory(database_url)
    command.upgrade(alembic_config(database_url), revision)


def _ensure_sqlite_directory(database_url: str) -> None:
    """SQLite creates the file but not its folder: `rm -rf data && make run` must still work."""
    url = sa.make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
