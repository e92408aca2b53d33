"""``kepu db``: schema migrations."""

from __future__ import annotations

import typer

from service import migrate
from service.settings import get_settings

app = typer.Typer(help="数据库迁移 / database migrations (Alembic).", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = get_settings()
    migrate.upgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}: {_redacted(settings.database_url)}")


@app.command()
def downgrade(revision: str = typer.Argument(..., help="Target revision, e.g. base.")) -> None:
    """Revert migrations down to REVISION."""
    settings = get_settings()
    migrate.downgrade(settings.database_url, revision)
    typer.echo(f"database at {revision}")


def _redacted(url: str) -> str:
    """The URL without its password, for messages."""
    import sqlalchemy as sa

    return sa.make_url(url).render_as_string(hide_password=True)
