"""JSON API for offers (接单)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/offers", tags=["offers 接单"])
