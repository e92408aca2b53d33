"""Engine, sessions and the unit of work: one session per request, committed before the response."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from service.settings import Settings

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# A database error's message lists the statement's parameters by default: password hashes,
# phone numbers, token hashes. Every engine hides them, so no traceback can carry them.
HIDDEN_PARAMETERS = True


def create_engine(settings: Settings) -> AsyncEngine:
    """An async engine for the configured URL, with per-dialect connection setup."""
    url = sa.make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url, settings)
    return create_async_engine(
        url,
        hide_parameters=HIDDEN_PARAMETERS,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        # Bounded lock waits: a request stuck behind a row lock gives up and answers 503.
        connect_args={
            "server_settings": {
                "lock_timeout": str(settings.db_lock_timeout_ms),
                "application_name": "kepu",
            },
            "timeout": 5,
        },
    )


def _sqlite_engine(url: sa.URL, settings: Settings) -> AsyncEngine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url,
        hide_parameters=HIDDEN_PARAMETERS,
        connect_args={"timeout": settings.db_lock_timeout_ms / 1000},
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Take transaction control from pysqlite so BEGIN is ours to emit (see below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={settings.db_lock_timeout_ms}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):
        # A write transaction takes SQLite's write lock up front (BEGIN IMMEDIATE), so two
        # processes serialize on busy_timeout instead of failing with "database is locked" when
        # a read lock would have to be upgraded. Reads use a plain deferred BEGIN.
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


async def open_session(
    sessionmaker: async_sessionmaker[AsyncSession], *, write: bool
) -> AsyncSession:
    """A new session; ``write`` makes SQLite take its write lock at BEGIN."""
    session = sessionmaker()
    if write and session.bind.dialect.name == "sqlite":
        await session.connection(execution_options={"sqlite_immediate": True})
    return session


async def check_database(engine: AsyncEngine) -> str | None:
    """None when the database answers a trivial query, else a one-line reason."""
    try:
        async with engine.connect() as connection:
            await connection.execute(sa.text("SELECT 1"))
    except Exception as error:
        return f"{type(error).__name__}: {str(error).splitlines()[0][:200] if str(error) else ''}"
    return None
