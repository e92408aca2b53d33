"""A table on its way out of the service: a CSV or XLSX download, a sheet of the 上报 pack, a
dashboard breakdown. The writers that stream it (memory flat however many rows) live beside it."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

Cell = str | int | float | None | Any  # dates and datetimes too: the writers format them


@dataclass(frozen=True)
class Table:
    title: str  # the sheet's name and the page's heading; Chinese, as shown to people
    header: Sequence[str]
    rows: Iterable[Sequence[Cell]] | AsyncIterable[Sequence[Cell]]
