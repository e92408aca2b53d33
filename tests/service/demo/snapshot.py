"""Read a whole database back as plain rows, and digest it for determinism checks."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from service.db import create_engine, create_sessionmaker, open_session
from service.demo.loader import load_demo
from service.models import metadata
from service.settings import Settings

# Written by database triggers, not by the demo: the candidate index's change log.
BOOKKEEPING = {"volunteer_changes"}


@dataclass
class Snapshot:
    counts: dict[str, int]  # what load_demo reported
    rows: dict[str, list[dict[str, Any]]]  # what the database holds, per table


def settings_for(url: str) -> Settings:
    return Settings(env="test", database_url=url, run_worker_in_process=False, _env_file=None)


async def read_rows(url: str) -> dict[str, list[dict[str, Any]]]:
    engine = create_engine(settings_for(url))
    try:
        async with engine.connect() as connection:
            return {
                table.name: [dict(r._mapping) for r in await connection.execute(sa.select(table))]
                for table in metadata.sorted_tables
                if table.name not in BOOKKEEPING
            }
    finally:
        await engine.dispose()


async def load_and_read(url: str, now: datetime) -> Snapshot:
    """Load the demo at ``now`` into ``url``, commit, and read everything back."""
    engine = create_engine(settings_for(url))
    try:
        session = await open_session(create_sessionmaker(engine), write=True)
        async with session:
            counts = await load_demo(session, now=now)
            await session.commit()
    finally:
        await engine.dispose()
    return Snapshot(counts, await read_rows(url))


def _normal(value: Any) -> str:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(round(value, 9))
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return repr(value)


def digest(rows: dict[str, list[dict[str, Any]]]) -> str:
    """One hash over every table's sorted rows, every column included."""
    hasher = hashlib.sha256()
    for table in sorted(rows):
        lines = sorted(
            "|".join(f"{k}={_normal(v)}" for k, v in sorted(r.items())) for r in rows[table]
        )
        hasher.update(f"{table}:{len(lines)}\n".encode())
        for line in lines:
            hasher.update(line.encode() + b"\n")
    return hasher.hexdigest()
