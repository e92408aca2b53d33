"""The public home page and the health check."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.auth.access import PUBLIC, requires
from service.db import check_database
from service.home import repository
from service.web.deps import ClockDep, SessionDep
from service.web.templating import render

router = APIRouter()


@router.get("/healthz", name="healthz", tags=["health"], dependencies=[requires(PUBLIC)])
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers; 503 with the reason when it does not."""
    problem = await check_database(request.app.state.engine)
    if problem:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


@router.get("/", name="home", include_in_schema=False, dependencies=[requires(PUBLIC)])
async def home(request: Request, session: SessionDep, clock: ClockDep):
    """What the service is, and the activities coming up soonest."""
    now = clock.now()
    upcoming = await repository.upcoming_orders(session=session, now=now, limit=8)
    figures = await repository.headline_figures(session=session, now=now)
    return render(request, "home.html", {"upcoming": upcoming, "figures": figures})
