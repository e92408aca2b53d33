"""``kepu export orders|hours``: the 数据导出 files from the command line, with a progress bar.

The operator at the command line acts as an administrator (any area, or all without
``--area``). The file is written beside its destination and renamed at the end, so a failed
or interrupted run never leaves half a file under the asked name. Refusals are said in
Chinese on stderr with exit code 2, as ``kepu match`` does.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from service import page_text
from service.actor import Actor, RoleGrant
from service.db import create_engine, create_sessionmaker
from service.exports import service
from service.exports.service import ExportRefusal
from service.settings import get_settings
from service.vocab import Role

app = typer.Typer(
    help="数据导出 / export orders or service hours as CSV or XLSX.", no_args_is_help=True
)
OPERATOR = Actor(name="命令行", grants=(RoleGrant(Role.admin),))
FIELD_NAMES = {"kind": "导出内容", "format": "--format", "day_from": "--from", "day_to": "--to",
               "area": "--area"}  # fmt: skip

FIRST = typer.Option(..., "--from", help="first local day, YYYY-MM-DD")
LAST = typer.Option(..., "--to", help="last local day, YYYY-MM-DD")
AREA = typer.Option("", "--area", help="12-digit area code or area id (default: all areas)")
FORMAT = typer.Option(None, "--format", help="csv or xlsx (default: from the file's suffix)")
OUTPUT = typer.Option(..., "-o", "--output", help="the file to write", dir_okay=False)
QUIET = typer.Option(False, "--quiet", "-q", help="no progress bar")


@app.command()
def orders(
    first: str = FIRST, last: str = LAST, area: str = AREA, fmt: str = FORMAT,
    output: Path = OUTPUT, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """One row per order (not drafts) of the area starting in the period."""
    _export("orders", first, last, area, fmt, output, quiet)


@app.command()
def hours(
    first: str = FIRST, last: str = LAST, area: str = AREA, fmt: str = FORMAT,
    output: Path = OUTPUT, quiet: bool = QUIET,
) -> None:  # fmt: skip
    """One row per volunteer who served on the area's orders in the period (phone masked)."""
    _export("hours", first, last, area, fmt, output, quiet)


def _refused(errors: dict[str, str], params: dict) -> None:
    with page_text.use_locale("zh_CN"):
        for field, message in errors.items():
            said = page_text.gettext(message) % params
            typer.echo(f"导出失败：{FIELD_NAMES.get(field, field)}：{said}", err=True)
    raise typer.Exit(code=2)


def _export(kind, first, last, area, fmt, output: Path, quiet: bool) -> None:
    fmt = fmt or output.suffix.lstrip(".")
    try:
        asked = service.parse_request(kind=kind, fmt=fmt, day_from=first, day_to=last, area=area)
    except ExportRefusal as refused:
        _refused(refused.errors, refused.params)
    if not output.parent.is_dir():
        _refused({"output": f"目录 {output.parent} 不存在。"}, {})
    settings = get_settings()
    console = Console(stderr=True, quiet=quiet)
    partial = output.with_name(f".{output.name}.part")

    async def main() -> int:
        engine = create_engine(settings)
        sessions = create_sessionmaker(engine)
        try:
            async with sessions() as session:
                export = await service.authorize(session, OPERATOR, asked)
                total = await service.count_rows(session, export, zone=settings.timezone)
            columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                       TimeElapsedColumn())  # fmt: skip
            with Progress(*columns, console=console, transient=False) as bar:
                task = bar.add_task(export.filename, total=total)
                body = service.export_bytes(
                    sessions, export, zone=settings.timezone,
                    progress=lambda rows: bar.advance(task, rows),
                )  # fmt: skip
                with partial.open("wb") as out:
                    async for chunk in body:
                        out.write(chunk)
            os.replace(partial, output)
            return total
        finally:
            partial.unlink(missing_ok=True)
            await engine.dispose()

    try:
        rows = asyncio.run(main())
    except ExportRefusal as refused:
        _refused(refused.errors, refused.params)
    typer.echo(f"{output}: {rows} 行")
