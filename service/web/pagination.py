"""Offset pagination shared by every list endpoint: ``?limit=&offset=`` in, ``Page`` out."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from service.pagination import PageParams
from service.schemas_common import Offset

T = TypeVar("T")


def page_params(
    limit: Annotated[int, Query(ge=1, le=100, description="每页条数（1–100）")] = 20,
    offset: Annotated[Offset, Query(description="跳过的条数")] = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


class Page(BaseModel, Generic[T]):
    """One page of a list, with the total number of matching items."""

    items: list[T]
    total: int = Field(ge=0, description="符合条件的总条数")
    limit: int = Field(description="每页条数")
    offset: int = Field(description="跳过的条数")

    @classmethod
    def of(cls, items: list[T], *, total: int, params: PageParams) -> Page[T]:
        return cls(items=items, total=total, limit=params.limit, offset=params.offset)
