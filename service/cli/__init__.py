"""The ``kepu`` command line: serve, migrate, demo data, import, export, match, workers, users."""

from __future__ import annotations

import importlib

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


# (sub-command, the module whose ``app`` it is): commands live with their domain.
SUBCOMMANDS = (
    ("demo", "service.cli.demo"),
    ("notifications", "service.notifications.cli"),
    ("worker", "service.background.cli"),
    ("users", "service.auth.cli"),
    ("match", "service.batch.cli"),
    ("import", "service.admin_data.cli"),
    ("export", "service.exports.cli"),
)


def _register_optional_commands() -> None:
    for name, module in SUBCOMMANDS:
        app.add_typer(importlib.import_module(module).app, name=name)


_register_optional_commands()


def main() -> None:
    handlers.register()  # commands call domain services, whose events need their handlers
    app()
