"""Everything identity and the security baseline add to the app, in one call from create_app."""

from __future__ import annotations

from fastapi import FastAPI

from service.settings import Settings


def install_identity(
    app: FastAPI, settings: Settings, *, img_sources: tuple[str, ...] = ()
) -> None:
    """Security middleware, log redaction, and the identity routers (API and pages);
    ``img_sources``: other origins pages may load images from (the configured map tiles)."""
    from service.auth.redaction import install_log_redaction
    from service.auth.routes_admin_api import router as admin_api
    from service.auth.routes_admin_pages import router as admin_pages
    from service.auth.routes_api import router as identity_api
    from service.auth.routes_pages import router as identity_pages
    from service.web.security import install_security

    install_log_redaction()
    install_security(app, settings, img_sources=img_sources)
    for router in (identity_api, admin_api, identity_pages, admin_pages):
        app.include_router(router)
