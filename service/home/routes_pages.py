"""The public home page, the health check, where each role lands, and the display switches."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from service.actor import Actor
from service.auth import service as identity
from service.auth.access import AUTHENTICATED, PUBLIC, requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect, safe_next
from service.db import check_database
from service.dispatch.live_index import existing_index
from service.home import repository
from service.messages import LOCALES
from service.web import navigation
from service.web.deps import ClockDep, SessionDep
from service.web.templating import (
    LARGE_TEXT_COOKIE,
    LOCALE_COOKIE,
    PREFERENCE_MAX_AGE,
    render,
)

router = APIRouter()
Public = Annotated[Actor, requires(PUBLIC)]
Authenticated = Annotated[Actor, requires(AUTHENTICATED)]


@router.get("/healthz", name="healthz", tags=["health"], dependencies=[requires(PUBLIC)])
async def healthz(request: Request) -> JSONResponse:
    """200 when the database answers; 503 with the reason when it does not. It also says how
    far this process's candidate index is (``building`` at start-up: previews wait for it)."""
    problem = await check_database(request.app.state.engine)
    if problem:
        return JSONResponse({"status": "unavailable", "database": problem}, status_code=503)
    live = existing_index(request.app.state.engine)
    index = live.status.as_json() if live is not None else {"state": "idle"}
    return JSONResponse({"status": "ok", "database": "ok", "candidate_index": index})


@router.get("/", name="home", include_in_schema=False, dependencies=[requires(PUBLIC)])
async def home(request: Request, session: SessionDep, clock: ClockDep):
    """What the service is, and the activities coming up soonest."""
    now = clock.now()
    upcoming = await repository.upcoming_orders(session=session, now=now, limit=8)
    figures = await repository.headline_figures(session=session, now=now)
    return render(request, "home.html", {"upcoming": upcoming, "figures": figures})


@router.get("/start", name="start", include_in_schema=False)
async def start(request: Request, actor: Authenticated):
    """Where login lands: the first page of the role the person acts in."""
    chosen = request.cookies.get(navigation.ROLE_COOKIE)
    landing = navigation.landing_route(actor, chosen, navigation.known_routes(request.app))
    return redirect(request, request.url_for(landing).path)


@router.post("/preferences", name="preferences", include_in_schema=False)
async def preferences(request: Request, actor: Public, session: SessionDep, ctx: ContextDep):
    """The language, 大字 and role switches: a cookie for this browser, and the person's
    account remembers language and 大字 too. Unknown values change nothing."""
    fields = form_fields(await request.form())
    locale = fields.get("locale") if fields.get("locale") in LOCALES else None
    large_text = {"1": True, "0": False}.get(fields.get("large_text", ""))
    role = fields.get("role") if fields.get("switch") == "role" else None
    if role is not None and role not in navigation.desk_roles(actor):
        role = None
    await identity.save_display_preferences(session, ctx=ctx, locale=locale, large_text=large_text)
    target = safe_next(fields.get("next"))
    if role is not None:  # a new role starts on that role's own first page
        known = navigation.known_routes(request.app)
        target = request.url_for(navigation.landing_route(actor, role, known)).path
    response = redirect(request, target)
    secure = request.app.state.settings.cookie_secure
    cookie = {"max_age": PREFERENCE_MAX_AGE, "path": "/", "samesite": "lax", "secure": secure}
    if locale is not None:
        response.set_cookie(LOCALE_COOKIE, locale, httponly=True, **cookie)
    if large_text is not None:
        response.set_cookie(LARGE_TEXT_COOKIE, "1" if large_text else "0", httponly=True, **cookie)
    if role is not None:
        response.set_cookie(navigation.ROLE_COOKIE, role, httponly=True, **cookie)
    return response
