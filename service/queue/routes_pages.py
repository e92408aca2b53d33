"""The queue pages of the dispatch desk (server-rendered; the same service calls as the API)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
