"""``kepu serve``: run the web app under uvicorn (uvloop + httptools)."""

from __future__ import annotations

import copy

import typer
import uvicorn
from uvicorn.config import LOGGING_CONFIG

from service.settings import get_settings


def log_config() -> dict:
    """uvicorn's logging plus the service's own ``kepu.*`` loggers at INFO on the same stderr.

    Without it the app's INFO lines (sweeps, and in development the log sender's texts with
    registration codes) go nowhere: only uvicorn's loggers are configured. Applied in every
    worker process, since uvicorn configures logging there from this dict.
    """
    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["kepu"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config


def serve(
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, min=1, help="Worker processes (stateless; share the database)."),
    reload: bool = typer.Option(False, help="Reload on code changes (development)."),
) -> None:
    """Serve the web app and API at http://HOST:PORT."""
    settings = get_settings()  # a malformed setting stops here with one clear line
    typer.echo(
        f"科普点单 serving at http://{host}:{port}  (database: {settings.database_url.split(':')[0]})"
    )
    _print_demo_logins()
    uvicorn.run(
        "service.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=None if reload else workers,
        reload=reload,
        # h11 + several workers stalls responses ~44 ms here (STYLE.md); uvloop/httptools do not.
        loop="uvloop",
        http="httptools",
        # A worker busy starting (numpy, OR-tools) on a loaded 2-core host misses uvicorn's 5 s
        # health check and is killed mid-request; 30 s leaves room without hiding a hung worker.
        timeout_worker_healthcheck=30,
        # X-Forwarded-For is believed only from KEPU_TRUSTED_PROXIES, by the app itself
        # (service/web/security.py); uvicorn would trust any local peer (127.0.0.1) by default.
        proxy_headers=False,
        log_level="info",
        log_config=log_config(),
    )


def _print_demo_logins() -> None:
    from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD

    typer.echo(f"demo logins (password {DEMO_PASSWORD}):")
    for role, phone in DEMO_LOGINS:
        typer.echo(f"  {role:<12} {phone}")
