"""``kepu import volunteers FILE [--dry-run]``: the page's import from the command line, with
the same checks and report; a progress bar while it reads, checks and writes; exit 1 on errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from service.actor import Actor, RoleGrant
from service.admin_data import importing
from service.admin_data.import_checks import COLUMN_LABELS
from service.clock import SystemClock
from service.context import ActionContext
from service.db import create_engine, create_sessionmaker, open_session
from service.settings import get_settings
from service.vocab import Role

app = typer.Typer(help="导入数据（志愿者花名册）。", no_args_is_help=True)
STAGES = {"read": "读取文件", "check": "逐行检查", "write": "写入数据库"}
SHOWN_PROBLEMS = 200
# The operator at the command line acts as an administrator, as with ``kepu match``.
OPERATOR = Actor(name="命令行", grants=(RoleGrant(Role.admin),))


def print_report(console: Console, report: importing.ImportReport) -> None:
    """The report as the page shows it: a table of problems by row, then the totals."""
    if report.file_problem is not None:
        console.print(f"[red]无法导入：{report.file_problem}[/red]")
        return
    where = f"{report.kind.upper()}" + (f"，编码 {report.encoding}" if report.encoding else "")
    console.print(f"{report.filename}（{where}）：{report.rows} 行")
    if report.problems:
        table = Table(title=f"{report.rows_with_problems} 行有问题，整个文件都没有导入")
        for heading in ("行", "列", "问题"):
            table.add_column(heading)
        for problem in report.problems[:SHOWN_PROBLEMS]:
            table.add_row(str(problem.row), COLUMN_LABELS[problem.column], problem.message)
        console.print(table)
        if len(report.problems) > SHOWN_PROBLEMS:
            console.print(f"……另有 {len(report.problems) - SHOWN_PROBLEMS} 个问题未列出")
    elif report.created:
        console.print(f"[green]已导入 {report.created} 名志愿者（{report.import_id}）。[/green]")
    else:
        console.print(
            f"[green]试运行：{len(report.people)} 行全部可以导入，什么都没有写入。[/green]"
        )


async def _run(
    data: bytes, filename: str, dry_run: bool, console: Console
) -> importing.ImportReport:
    settings = get_settings()
    engine = create_engine(settings)
    sessions = create_sessionmaker(engine)
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())  # fmt: skip
    try:
        with Progress(*columns, console=console, transient=True) as bar:
            tasks: dict[str, int] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(STAGES[stage], total=max(total, 1))
                bar.update(tasks[stage], completed=done)

            session = await open_session(sessions, write=not dry_run)
            async with session:
                if dry_run:
                    return await importing.check_file(
                        session, data=data, filename=filename, progress=progress
                    )
                ctx = ActionContext(actor=OPERATOR, now=SystemClock().now(), settings=settings)
                report = await importing.commit_file(
                    session, ctx, data=data, filename=filename, progress=progress
                )
                if report.ok:
                    await session.commit()
                else:
                    await session.rollback()
                return report
    finally:
        await engine.dispose()


@app.command("volunteers")
def import_volunteers(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="XLSX 或 CSV"
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="只检查并报告，不写入"),
) -> None:
    """Import volunteers from an XLSX or CSV roster (all rows or none)."""
    console = Console()
    report = asyncio.run(_run(file.read_bytes(), file.name, dry_run, console))
    print_report(console, report)
    raise typer.Exit(0 if report.ok else 1)
