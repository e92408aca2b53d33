"""Reading an uploaded table (XLSX or CSV) into rows of text, whatever Excel did to it.

* XLSX: the first sheet; numbers typed into a phone column come back as numbers (13812345678.0)
  and are turned back into their digits; a formula cell counts by the value Excel saved with it,
  and one saved without a value (a file written by a program) is reported, not guessed.
* CSV: UTF-8 (with or without the BOM Excel writes for "CSV UTF-8"), else GB18030 — the
  superset of the GBK that Excel on a Chinese Windows writes for plain "CSV". Anything else is
  refused with a sentence saying how to save the file.

The header row names the columns (Chinese or English, an asterisk or a unit in brackets
allowed); unknown columns are ignored, missing required ones refuse the whole file.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime

from service.page_text import N_

# Under the request guard's 10 MB body limit, so this clear sentence is what people see.
MAX_UPLOAD_BYTES = 5 * 1024 * 1024  # 10k rows of XLSX are ~0.5 MB; CSV less
MAX_ROWS = 20_000
FORMULA_WITHOUT_VALUE = object()  # a formula cell with no saved result


class UnreadableFile(Exception):
    """The file as a whole cannot be imported; ``message`` is an ``N_`` sentence."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


@dataclass
class Sheet:
    """The rows of a table: ``rows[i]`` is the spreadsheet's row ``numbers[i]`` (1 = header)."""

    kind: str  # "xlsx" or "csv"
    encoding: str | None
    columns: list[str]
    rows: list[dict[str, object]] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)


def _header_key(cell: object, aliases: dict[str, str]) -> str | None:
    words = re.sub(r"[（(].*?[）)]|[*＊\s]", "", str(cell or "")).lower()
    return aliases.get(words)


def _text(value: object) -> object:
    """A cell as the text a person typed: whole numbers without ".0", dates as ISO dates."""
    if value is FORMULA_WITHOUT_VALUE or value is None:
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]
    return str(value).strip()


def read_table(
    data: bytes, filename: str, *, aliases: dict[str, str], required: dict[str, str]
) -> Sheet:
    """The rows of an uploaded XLSX or CSV; refuses a file that cannot be read as a whole.
    ``required`` maps each required column's key to its header as people see it."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UnreadableFile(
            N_("文件太大（%(size)s MB）：一次最多导入 %(limit)s MB，请分成几个文件。"),
            size=f"{len(data) / 1024 / 1024:.1f}", limit=MAX_UPLOAD_BYTES // 1024 // 1024,
        )  # fmt: skip
    if not data.strip():
        raise UnreadableFile(N_("文件是空的。"))
    if data[:4] == b"PK\x03\x04":
        grid, kind, encoding = _xlsx_grid(data), "xlsx", None
    elif filename.lower().endswith((".xlsx", ".xlsm")):
        raise UnreadableFile(
            N_("这个文件不是有效的 XLSX 文件，请用 Excel 另存为「Excel 工作簿 (*.xlsx)」。")
        )
    elif filename.lower().endswith(".xls") or data[:4] == b"\xd0\xcf\x11\xe0":
        raise UnreadableFile(N_("不支持旧版 Excel（.xls）文件，请另存为 .xlsx 或 CSV 后再上传。"))
    else:
        text, encoding = _decode_csv(data)
        grid, kind = list(csv.reader(io.StringIO(text, newline=""))), "csv"
    return _sheet(grid, kind, encoding, aliases=aliases, required=required)


def _sheet(grid, kind, encoding, *, aliases, required) -> Sheet:
    rows = iter(grid)
    header = next(rows, None)
    keys = [_header_key(cell, aliases) for cell in header or ()]
    missing = [name for name in required if name not in keys]
    if header is None or missing:
        raise UnreadableFile(
            N_("第 1 行应是表头，缺少这些列：%(columns)s。请使用下载的模板。"),
            columns="、".join(required[key] for key in (missing or required)),
        )
    sheet = Sheet(kind=kind, encoding=encoding, columns=[k for k in keys if k])
    for number, cells in enumerate(rows, start=2):
        row = {key: _text(cell) for key, cell in zip(keys, cells, strict=False) if key}
        if all(value in (None, "") for value in row.values()):
            continue  # blank lines (Excel keeps formatted empty rows) are not rows
        if len(sheet.rows) >= MAX_ROWS:
            raise UnreadableFile(
                N_("文件超过 %(limit)s 行，请分成几个文件导入。"), limit=f"{MAX_ROWS:,}"
            )
        sheet.rows.append(row)
        sheet.numbers.append(number)
    if not sheet.rows:
        raise UnreadableFile(N_("文件只有表头，没有要导入的行。"))
    return sheet


def _decode_csv(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "UTF-8"
    for encoding, label in (("utf-8", "UTF-8"), ("gb18030", "GBK")):
        try:
            return data.decode(encoding), label
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(
        N_("读不出这个 CSV 文件的文字编码。请在 Excel 中另存为「CSV UTF-8（逗号分隔）」后再上传。")
    )


def _xlsx_grid(data: bytes) -> list[list[object]]:
    """The first sheet's cells; formulas replaced by their saved values (a second read only
    when the sheet has formulas: most files have none)."""
    import openpyxl  # imported here: the web workers must start fast

    try:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UnreadableFile(
            N_("这个文件不是有效的 XLSX 文件，请用 Excel 另存为「Excel 工作簿 (*.xlsx)」。")
        ) from error
    try:
        sheet = book.worksheets[0]
        grid = [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()
    formulas = {
        (r, c)
        for r, row in enumerate(grid)
        for c, value in enumerate(row)
        if isinstance(value, str) and value.startswith("=")
    }
    if formulas:
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            saved = [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]
        finally:
            book.close()
        for r, c in formulas:
            value = saved[r][c] if r < len(saved) and c < len(saved[r]) else None
            grid[r][c] = FORMULA_WITHOUT_VALUE if value is None else value
    return grid
