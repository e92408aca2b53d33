"""The streaming writers of ``service.tabular``, without a database: files reopened with the csv
module and openpyxl; formula injection defused; rows consumed a chunk at a time, never all."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from service import tabular
from service.tabular import Table

HOSTILE = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\t=tab", "\r=cr", "正常文字", "a=b", ""]


async def collect(chunks) -> bytes:
    return b"".join([chunk async for chunk in chunks])


async def as_async(rows):
    for row in rows:
        await asyncio.sleep(0)
        yield row


def test_csv_has_a_bom_formats_dates_and_defuses_formulas():
    rows = [(1, "社区急救", date(2026, 11, 1), datetime(2026, 11, 1, 9, 5), 2.5, None, True)]
    rows += [(2, text, None, None, -3, 4.0, False) for text in HOSTILE]
    body = asyncio.run(collect(tabular.csv_stream(Table("t", list("abcdefg"), rows))))
    assert body.startswith(b"\xef\xbb\xbf")
    header, first, *rest = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header == list("abcdefg")
    assert first == ["1", "社区急救", "2026-11-01", "2026-11-01 09:05", "2.5", "", "是"]
    texts = [row[1] for row in rest]
    assert texts == ["'=1+1", "'+SUM(A1)", "'-2+3", "'@cmd", "'\t=tab", "'\r=cr", "正常文字",
                     "a=b", ""]  # fmt: skip
    assert [row[4] for row in rest] == ["-3"] * len(HOSTILE)  # numbers are numbers, not text
    assert rest[0][5] == "4"


def test_an_empty_table_is_still_a_header():
    body = asyncio.run(collect(tabular.csv_stream(Table("t", ["甲", "乙"], []))))
    assert body.decode("utf-8-sig") == "甲,乙\r\n"


def test_xlsx_has_a_sheet_per_table_with_dates_as_dates_and_formulas_as_text(tmp_path):
    orders = Table("活动清单", ["编号", "名称", "开始", "日期"],
                   as_async([(1, t, datetime(2026, 11, 1, 9, 5), date(2026, 11, 2))
                             for t in HOSTILE]))  # fmt: skip
    hours = Table("时长: 汇总/2026", ["编号", "小时"], [(7, 1.5), (8, None)])
    path = tmp_path / "out.xlsx"
    asyncio.run(tabular.write_xlsx([orders, hours], path))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["活动清单", "时长_ 汇总_2026"]
    sheet = book["活动清单"]
    assert sheet["A1"].font.b and sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2))
    # XML reads a carriage return back as a line feed; the text is otherwise as given.
    assert [row[1].value for row in rows] == [t.replace("\r", "\n") or None for t in HOSTILE]
    assert all(row[1].data_type == "s" for row in rows[:6])  # never "f"
    assert all(row[1].quotePrefix for row in rows[:6])
    assert rows[0][2].value == datetime(2026, 11, 1, 9, 5) and rows[0][2].is_date
    assert rows[0][3].value == datetime(2026, 11, 2) and rows[0][3].number_format == "yyyy-mm-dd"
    assert list(book["时长_ 汇总_2026"].values) == [("编号", "小时"), (7, 1.5), (8, None)]


def test_control_characters_are_dropped_not_fatal(tmp_path):
    path = tmp_path / "x.xlsx"
    asyncio.run(tabular.write_xlsx([Table("t", ["a"], [("铃\x07声",)])], path))
    assert openpyxl.load_workbook(path).active["A2"].value == "铃声"


def test_sheet_titles_are_shortened_and_unique():
    taken: set[str] = set()
    long = "很长的名字" * 10
    first, second = tabular.sheet_title(long, taken), tabular.sheet_title(long, taken)
    assert len(first) == len(second) == 31 and first != second and second.endswith(" (2)")


def test_the_xlsx_stream_deletes_its_temporary_file(monkeypatch, tmp_path):
    made: list[Path] = []
    real = tabular.temporary_path

    def spy(suffix):
        made.append(real(suffix))
        return made[-1]

    monkeypatch.setattr(tabular, "temporary_path", spy)
    body = asyncio.run(collect(tabular.xlsx_stream([Table("t", ["a"], [(1,), (2,)])])))
    assert body.startswith(b"PK") and made and not made[0].exists()

    async def abandon():
        stream = tabular.xlsx_stream([Table("t", ["a"], [(i,) for i in range(10)])])
        await anext(stream)
        await stream.aclose()  # the reader went away after the first chunk

    asyncio.run(abandon())
    assert len(made) == 2 and not made[1].exists()


def test_a_workbook_abandoned_midway_leaves_no_temporary_file(monkeypatch, tmp_path):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # openpyxl's sheet files and ours

    async def failing_rows():
        for i in range(5_000):
            yield (i, "行")
        raise RuntimeError("the database went away")

    async def run():
        with pytest.raises(RuntimeError):
            await collect(tabular.xlsx_stream([Table("t", ["a", "b"], failing_rows())]))

    asyncio.run(run())
    assert list(tmp_path.iterdir()) == []


class CountingRows:
    """20,000 rows that remember how many were produced, checked against how many were written
    whenever the writer reports progress: the source may run ahead by one chunk, never more."""

    def __init__(self, total: int) -> None:
        self.total, self.produced, self.written, self.ahead = total, 0, 0, 0

    def __iter__(self):
        for i in range(self.total):
            self.produced += 1
            yield (i, f"活动{i}", datetime(2026, 11, 1, 9))

    def progress(self, rows: int) -> None:
        self.written += rows
        self.ahead = max(self.ahead, self.produced - self.written)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_rows_are_consumed_a_chunk_at_a_time(fmt):
    rows = CountingRows(20_000)
    table = Table("t", ["a", "b", "c"], rows)
    if fmt == "csv":
        first_chunk_after = []

        async def run():
            async for _chunk in tabular.csv_stream(table, progress=rows.progress):
                first_chunk_after.append(rows.produced)

        asyncio.run(run())
        assert first_chunk_after[0] == tabular.CHUNK_ROWS  # bytes leave before the rest is read
    else:
        asyncio.run(collect(tabular.xlsx_stream([table], progress=rows.progress)))
    assert rows.written == rows.produced == 20_000
    assert rows.ahead <= tabular.CHUNK_ROWS
