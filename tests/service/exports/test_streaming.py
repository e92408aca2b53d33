"""A 20,000-row export read from the database as a stream: keyset pages of ``repo.CHUNK`` rows
on SQLite, a server-side cursor on PostgreSQL; and the writer never more than a chunk behind
the rows read (what keeps memory flat at 100k rows; the benchmark measures the memory)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import event

from service import tabular
from service.exports import repository as repo
from service.exports import service
from service.exports.service import Export, ExportFormat, ExportKind
from service.models import Order
from service.vocab import AreaLevel, OrderStatus
from tests.factories import make_area
from tests.service.exports.conftest import local

ROWS = 20_000


async def _many_orders(session) -> object:
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    community = await make_area(session, parent=street, name="朝阳街社区")
    start = local("2026-11-01 09:00")
    await session.execute(
        sa.insert(Order),
        [
            {"title": f"活动{i}", "community_id": community.id, "target_group": "elderly",
             "venue_lat": 37.5, "venue_lng": 121.4, "starts_at": start + timedelta(minutes=i),
             "ends_at": start + timedelta(minutes=i + 60), "status": OrderStatus.published.value,
             "slots": 1}
            for i in range(ROWS)
        ],
    )  # fmt: skip
    await session.commit()
    return district


async def test_a_large_export_is_read_in_pages_and_written_as_it_comes(app, session, settings):
    district = await _many_orders(session)
    export = Export(ExportKind.orders, ExportFormat.csv, district, date(2026, 11, 1),
                    date(2026, 11, 30))  # fmt: skip
    engine = app.state.engine.sync_engine
    selects: list[dict] = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM orders" in statement and "count(" not in statement:
            selects.append(dict(context.execution_options))

    read = {"rows": 0}
    real_rows = repo.order_rows

    async def counted(**kwargs):
        async for row in real_rows(**kwargs):
            read["rows"] += 1
            yield row

    written, ahead = [0], [0]

    def progress(rows: int) -> None:
        written[0] += rows
        ahead[0] = max(ahead[0], read["rows"] - written[0])

    event.listen(engine, "before_cursor_execute", seen)
    repo_rows, repo.order_rows = repo.order_rows, counted
    try:
        body = b"".join(
            [c async for c in service.export_bytes(app.state.sessionmaker, export,
                                                   zone=settings.timezone, progress=progress)]
        )  # fmt: skip
    finally:
        repo.order_rows = repo_rows
        event.remove(engine, "before_cursor_execute", seen)

    lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(lines) == ROWS + 1 and lines[-1][1] == f"活动{ROWS - 1}"
    assert read["rows"] == written[0] == ROWS
    assert ahead[0] <= tabular.CHUNK_ROWS  # never all rows gathered before writing
    if engine.dialect.name == "postgresql":
        assert len(selects) == 1 and selects[0].get("yield_per") == repo.CHUNK  # one cursor
    else:
        assert len(selects) == ROWS // repo.CHUNK + 1  # keyset pages (the last one short)
