"""Run Alembic migrations from code (CLI, tests, start-up checks)."""

from __future__ import annotations

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
    command.upgrade(alembic_config(database_url), revision)


def downgrade(database_url: str, revision: str) -> None:
    command.downgrade(alembic_config(database_url), revision)
