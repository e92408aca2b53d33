"""create_app(): settings, database, routers, middleware, error handlers."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.middleware.gzip import GZipMiddleware

from service import handlers

# The desk's page routers, one per domain (each beside that domain's API routes).
from service.activity.routes_pages import router as activity_pages
from service.admin_data.routes_admin_pages import router as admin_data_pages
from service.api.docs import router as docs_router
from service.api.openapi import install_problem_documentation
from service.api.router import api_router
from service.auth.wiring import install_identity
from service.batch.routes_pages import router as batch_pages
from service.certificates.routes_pages import router as certificate_pages
from service.clock import Clock, SystemClock
from service.db import create_engine, create_sessionmaker
from service.demands.routes_pages import router as demand_pages
from service.dispatch.routes_pages import router as dispatch_pages
from service.evaluations.routes_pages import router as evaluation_pages
from service.exports.routes_pages import router as exports_pages
from service.home.routes_pages import router as home_router
from service.insight.routes_pages import router as insight_pages
from service.insight_map.routes_pages import router as insight_map_pages
from service.insight_map.tiles import tile_source
from service.notifications.routes_pages import router as inbox_pages
from service.offers.routes_pages import router as offer_pages
from service.orders.routes_pages import router as order_pages
from service.queue.routes_pages import router as queue_pages
from service.residents.routes_pages import router as resident_pages
from service.settings import PROJECT_ROOT, Settings, get_settings
from service.volunteering.routes_pages import router as volunteer_pages
from service.volunteers.routes_pages import router as volunteer_profile_pages
from service.web.errors import install_error_handlers


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> FastAPI:
    """Build the application; tests pass their own settings and clock."""
    settings = settings or get_settings()
    handlers.register()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings)
        app.state.engine = engine
        app.state.sessionmaker = create_sessionmaker(engine)
        building = _start_candidate_index(app, settings)
        worker = _start_dispatch_worker(app, settings)
        try:
            yield
        finally:
            await _stop_dispatch_worker(worker)
            if building is not None and not building.done():
                building.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await building
            await engine.dispose()

    app = FastAPI(
        title="科普点单派单 Kepu Dispatch",
        summary="群众点单、社区派单、志愿队接单、群众评单 — science-activity dispatch API",
        version="0.1.0",
        lifespan=lifespan,
        # FastAPI's own docs pages load Swagger UI/ReDoc from a CDN; ours is vendored.
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.clock = clock or SystemClock()

    @app.middleware("http")
    async def request_id(request: Request, call_next):
        # Every event-log row carries the id of the request that caused it.
        request.state.request_id = request.headers.get("X-Request-ID", "")[:64] or uuid.uuid4().hex
        response = await call_next(request)
        response.headers["X-Request-ID"] = request.state.request_id
        return response

    install_error_handlers(app)
    # Security middleware, log redaction, identity routes; the map's tiles may be drawn.
    install_identity(app, settings, img_sources=tile_source(settings).hosts)
    # Style sheets and scripts go compressed (a phone on a prepaid plan pays for every byte);
    # pages do not: compressing HTML that carries a CSRF token beside reflected input is the
    # BREACH attack's precondition.
    static_files = StaticFiles(directory=PROJECT_ROOT / "static")
    app.mount("/static", GZipMiddleware(static_files, minimum_size=1024), name="static")
    app.include_router(home_router)
    for pages in (
        demand_pages,
        dispatch_pages,
        order_pages,
        activity_pages,
        evaluation_pages,
        offer_pages,
        queue_pages,
        batch_pages,
        insight_pages,
        insight_map_pages,
        exports_pages,
        certificate_pages,
        inbox_pages,
        volunteer_pages,
        volunteer_profile_pages,
        resident_pages,
        admin_data_pages,
    ):
        app.include_router(pages)
    app.include_router(api_router)
    app.include_router(docs_router)
    install_problem_documentation(app)
    return app


def _start_candidate_index(app: FastAPI, settings: Settings):
    """Build this process's candidate index in the background: requests that need it wait for
    it, everything else (``/healthz`` first) is served meanwhile."""
    if settings.candidate_source != "index" or not settings.candidate_index_warm_start:
        return None
    from service.dispatch.candidates import match_params
    from service.dispatch.live_index import live_index_for

    live = live_index_for(
        app.state.engine, match_params(settings), settings.candidate_index_rebuild_minutes
    )
    return live.start_building(app.state.clock.now())


def _start_dispatch_worker(app: FastAPI, settings: Settings):
    """The embedded default runs the dispatch sweeps in-process (``kepu worker run`` otherwise)."""
    if not settings.run_worker_in_process:
        return None
    from service.background.worker import run_forever

    stop = asyncio.Event()
    task = asyncio.create_task(run_forever(app.state.sessionmaker, settings, app.state.clock, stop))
    return stop, task


async def _stop_dispatch_worker(worker) -> None:
    if worker is not None:
        stop, task = worker
        stop.set()
        await task
