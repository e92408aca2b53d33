"""The API reference page: Swagger UI served from static/vendor (FastAPI's default uses a CDN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.web.templating import render

router = APIRouter()


@router.get("/docs", name="api_docs", include_in_schema=False)
async def api_docs(request: Request, actor: Annotated[Actor, requires(PUBLIC)]):
    """Swagger UI for /openapi.json, with every asset from this server; "Authorize" takes a
    personal access token (the "获取令牌" link leads to /me/tokens)."""
    return render(request, "api_docs.html", {"openapi_url": request.app.openapi_url})
