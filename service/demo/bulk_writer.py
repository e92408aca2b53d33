"""Fast bulk inserts: COPY on PostgreSQL (asyncpg), big executemany batches on SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from service.demo.synthetic_columns import Columns

SQLITE_BATCH = 50_000
# SQLAlchemy's SQLite DateTime storage format (naive UTC), which UTCDateTime reads back.
SQLITE_DATETIME = "%Y-%m-%d %H:%M:%S.%f"


async def write_columns(connection: AsyncConnection, columns: Columns) -> None:
    """Append ``columns`` to its table inside the connection's transaction."""
    if connection.dialect.name == "postgresql":
        raw = (await connection.get_raw_connection()).driver_connection
        await raw.copy_records_to_table(
            columns.table, records=zip(*columns.values, strict=True), columns=columns.names
        )
        return
    values = [_sqlite_column(column) for column in columns.values]
    marks = ", ".join("?" * len(columns.names))
    sql = f"INSERT INTO {columns.table} ({', '.join(columns.names)}) VALUES ({marks})"
    rows = list(zip(*values, strict=True))
    for start in range(0, len(rows), SQLITE_BATCH):
        await connection.exec_driver_sql(sql, rows[start : start + SQLITE_BATCH])


def _sqlite_column(column: list) -> list:
    sample = next((value for value in column if value is not None), None)
    if not isinstance(sample, datetime):
        return column
    return [
        value.astimezone(UTC).strftime(SQLITE_DATETIME) if value is not None else None
        for value in column
    ]


async def advance_sequences(connection: AsyncConnection, tables: list[str]) -> None:
    """After inserting explicit ids, move PostgreSQL's id sequences past them."""
    if connection.dialect.name != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY continues from max(rowid) by itself
    for table in tables:
        await connection.exec_driver_sql(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 1) FROM {table}))"
        )
