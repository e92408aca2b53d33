"""The 上报 pack as an XLSX workbook: one sheet per table of ``report.report_tables``.

A few dozen rows, so a plain (not write-only) openpyxl workbook: column widths can be set
after the rows are known, and headers are bold and frozen for whoever opens it upstairs.
"""

from __future__ import annotations

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from service.tabular import Table

SHEET_NAME_MAX = 31  # Excel's limit
FORBIDDEN = str.maketrans({c: "·" for c in "[]:*?/\\"})


def _sheet_name(title: str, taken: set[str]) -> str:
    name = title.translate(FORBIDDEN)[:SHEET_NAME_MAX]
    base, n = name, 2
    while name in taken:
        name = f"{base[: SHEET_NAME_MAX - 3]}({n})"
        n += 1
    taken.add(name)
    return name


def _width(value) -> int:
    text = "" if value is None else str(value)
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)  # CJK characters are double width


def workbook_bytes(tables: list[Table], *, caption: str) -> bytes:
    """The tables as an XLSX file; ``caption`` (area and period) heads every sheet."""
    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    for table in tables:
        sheet = book.create_sheet(_sheet_name(table.title, taken))
        sheet.append([f"{table.title} · {caption}"])
        sheet["A1"].font = Font(bold=True, size=13)
        sheet.append(list(table.header))
        for cell in sheet[2]:
            cell.font = Font(bold=True)
        rows = [list(row) for row in table.rows]
        for row in rows:
            sheet.append(row)
        sheet.freeze_panes = "A3"
        for index, _ in enumerate(table.header, start=1):
            values = [table.header[index - 1], *(r[index - 1] for r in rows if len(r) >= index)]
            sheet.column_dimensions[get_column_letter(index)].width = min(
                max(_width(v) for v in values) + 2, 48
            )
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()
