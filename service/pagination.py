"""Which slice of a list to return: repositories take this, the HTTP layer builds it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageParams:
    """Which slice of a list to return."""

    limit: int = 20
    offset: int = 0
