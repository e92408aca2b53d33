"""A table on its way out of the service: a CSV or XLSX download, a sheet of the 上报 pack, a
dashboard breakdown. The writers that stream it (memory flat however many rows) live beside it.

The writers give an async iterator of bytes and know nothing of HTTP: a route wraps them in a
response, the command line writes them to a file. Rows may be a plain or an async iterable; they
are consumed as they come, never gathered into a list.

* CSV: UTF-8 with a BOM (Excel reads Chinese correctly only with it), one table.
* XLSX: openpyxl's write-only mode (rows go straight to a temporary XML file), one sheet per
  table, written in a worker thread chunk by chunk (openpyxl is CPU-bound: the event loop must
  not stall for seconds), saved to a temporary file that is then read out in chunks and deleted.

Both are safe from formula injection: a text cell that starts with = + - @ (or a tab or carriage
return, which Excel skips before reading a formula) is never read as a formula — in CSV it is
prefixed with ', in XLSX it is stored as text with Excel's own quote prefix.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import tempfile
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

Cell = str | int | float | None | Any  # dates and datetimes too: the writers format them
Progress = Callable[[int], None]  # called with the number of rows written since the last call

CSV_MEDIA_TYPE = "text/csv; charset=utf-8"
XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CHUNK_ROWS = 2_000  # rows handed to the XLSX thread (or encoded as CSV) at a time
FILE_CHUNK_BYTES = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
SHEET_TITLE_MAX = 31  # Excel's limit
SHEET_TITLE_FORBIDDEN = str.maketrans({c: "_" for c in "[]:*?/\\"})


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name and the page's heading; Chinese, as shown to people
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]] | AsyncIterable[Sequence[Cell]]
    note: str = ""  # how to read it, shown under the heading on pages (files carry no notes)


# ---------------------------------------------------------------- rows, in chunks


async def row_chunks(
    rows: Iterable[Sequence[Cell]] | AsyncIterable[Sequence[Cell]], size: int = CHUNK_ROWS
) -> AsyncIterator[list[Sequence[Cell]]]:
    """The rows in lists of at most ``size``, whether they come from a sync or async source."""
    chunk: list[Sequence[Cell]] = []
    if isinstance(rows, AsyncIterable):
        async for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    else:
        for row in rows:
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


# ---------------------------------------------------------------- CSV


def csv_text(value: Cell) -> str:
    """One CSV cell: dates as ISO days, times to the minute, formula-like text defused."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int):
        return str(value)  # a negative number is a number, not a formula
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(round(value, 4))
    text = str(value)
    return "'" + text if is_formula_like(text) else text


async def csv_stream(table: Table, *, progress: Progress | None = None) -> AsyncIterator[bytes]:
    """The table as UTF-8 CSV with a BOM, one encoded chunk of rows at a time."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_text(name) for name in table.header])
    pending = True  # the header goes out with the first rows: a failing query fails early
    async for chunk in row_chunks(table.rows):
        writer.writerows([csv_text(value) for value in row] for row in chunk)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()
        pending = False
        if progress:
            progress(len(chunk))
    if pending:
        yield buffer.getvalue().encode()


# ---------------------------------------------------------------- XLSX


def sheet_title(title: str, taken: set[str]) -> str:
    """A title Excel accepts (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = (title.translate(SHEET_TITLE_FORBIDDEN).strip() or "Sheet")[:SHEET_TITLE_MAX]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


class _SheetWriter:
    """One write-only sheet; every method runs in the worker thread."""

    def __init__(self, workbook, title: str, header: Sequence[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._cell = WriteOnlyCell
        self.sheet = workbook.create_sheet(title)
        # Both must be set before the first row: write-only sheets write as they go.
        self.sheet.freeze_panes = "A2"
        for index, name in enumerate(header, start=1):
            width = min(max(10, 2 * len(str(name)) + 4), 40)
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        bold = Font(bold=True)
        cells = []
        for name in header:
            cell = WriteOnlyCell(self.sheet, value=self._clean(str(name)))
            cell.font = bold
            cells.append(cell)
        self.sheet.append(cells)

    @staticmethod
    def _clean(text: str) -> str:
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        # Control characters make openpyxl refuse the cell (and Excel the file).
        return ILLEGAL_CHARACTERS_RE.sub("", text)

    def _value(self, value: Cell):
        if value is None or isinstance(value, bool | int | float):
            return value
        if isinstance(value, datetime):
            cell = self._cell(self.sheet, value=value.replace(tzinfo=None))
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, date):
            cell = self._cell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        text = self._clean(str(value))
        if is_formula_like(text):
            cell = self._cell(self.sheet, value=text)
            cell.data_type = "s"  # text, never a formula
            cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
            return cell
        return text

    def append(self, chunk: list[Sequence[Cell]]) -> None:
        for row in chunk:
            self.sheet.append([self._value(value) for value in row])

    def discard(self) -> None:
        """Remove the sheet's temporary XML file; openpyxl removes it only when it saves."""
        with contextlib.suppress(Exception):
            self.sheet.close()  # ends its row writer, which would otherwise write on at exit
        writer = getattr(self.sheet, "_writer", None)  # openpyxl 3.1's own, made on first row
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.cleanup()


def _new_workbook():
    from openpyxl import Workbook

    return Workbook(write_only=True)


def _save(workbook, path: Path) -> None:
    workbook.save(path)


async def write_xlsx(
    tables: Sequence[Table], path: Path, *, progress: Progress | None = None
) -> None:
    """Write the tables as sheets of one workbook at ``path`` (rows streamed, chunks in a thread)."""
    workbook = await asyncio.to_thread(_new_workbook)
    taken: set[str] = set()
    sheets: list[_SheetWriter] = []
    try:
        for table in tables:
            title = sheet_title(table.title, taken)
            sheets.append(await asyncio.to_thread(_SheetWriter, workbook, title, table.header))
            async for chunk in row_chunks(table.rows):
                await asyncio.to_thread(sheets[-1].append, chunk)
                if progress:
                    progress(len(chunk))
        if not tables:
            await asyncio.to_thread(workbook.create_sheet, "Sheet")
        await asyncio.to_thread(_save, workbook, path)
    except BaseException:
        for sheet in sheets:
            sheet.discard()
        raise


def temporary_path(suffix: str) -> Path:
    handle, name = tempfile.mkstemp(prefix="kepu-export-", suffix=suffix)
    os.close(handle)
    return Path(name)


async def xlsx_file(tables: Sequence[Table], *, progress: Progress | None = None) -> Path:
    """The workbook in a new temporary file; the caller deletes it (``file_chunks`` does)."""
    path = temporary_path(".xlsx")
    try:
        await write_xlsx(tables, path, progress=progress)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _read(handle, size: int) -> bytes:
    return handle.read(size)


async def file_chunks(path: Path, *, delete: bool = True) -> AsyncIterator[bytes]:
    """The file's bytes in chunks, read in a thread; deleted afterwards (also when abandoned)."""
    try:
        handle = await asyncio.to_thread(open, path, "rb")
        try:
            while chunk := await asyncio.to_thread(_read, handle, FILE_CHUNK_BYTES):
                yield chunk
        finally:
            handle.close()
    finally:
        if delete:
            path.unlink(missing_ok=True)  # noqa: ASYNC240 - must run even while being cancelled


async def xlsx_stream(
    tables: Sequence[Table], *, progress: Progress | None = None
) -> AsyncIterator[bytes]:
    """The workbook's bytes: built in a temporary file first (a zip is finished at its end)."""
    path = await xlsx_file(tables, progress=progress)
    async for chunk in file_chunks(path):
        yield chunk
