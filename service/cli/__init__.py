"""The ``kepu`` command line: serve, migrate, demo data (later: import, match, export, bench)."""

from __future__ import annotations

import typer

from service import handlers
from service.cli.db import app as db_app
from service.cli.serve import serve

app = typer.Typer(
    name="kepu",
    help="科普点单派单平台 — science-activity dispatch service.",
    no_args_is_help=True,
    add_completion=False,
)
app.command()(serve)
app.add_typer(db_app, name="db")


def _register_optional_commands() -> None:
    """Sub-commands that live with their domain register here (one line each)."""
    from service.cli.demo import app as demo_app

    app.add_typer(demo_app, name="demo")
    from service.notifications.cli import app as notifications_app

    app.add_typer(notifications_app, name="notifications")
    app.add_typer(__import__("service.background.cli", fromlist=["app"]).app, name="worker")
    from service.auth.cli import app as users_app

    app.add_typer(users_app, name="users")
    app.add_typer(__import__("service.batch.cli", fromlist=["app"]).app, name="match")
    app.add_typer(__import__("service.exports.cli", fromlist=["app"]).app, name="export")


_register_optional_commands()


def main() -> None:
    handlers.register()  # commands call domain services, whose events need their handlers
    app()
