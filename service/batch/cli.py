"""``kepu match``: 一键派单 from the command line — plan an area's period, apply a plan.

The operator at the command line acts as an administrator (any area). Progress goes to
stderr, the table (or ``--json``) to stdout.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import date

import typer

from service.actor import Actor, RoleGrant
from service.batch import applying, planning
from service.batch import repository as repo
from service.batch.refusals import BatchRefusal
from service.clock import SystemClock
from service.context import ActionContext
from service.db import create_engine, create_sessionmaker
from service.settings import get_settings
from service.vocab import Role

app = typer.Typer(help="一键派单 / batch dispatch: plan, then apply.", no_args_is_help=True)
OPERATOR = Actor(name="命令行", grants=(RoleGrant(Role.admin),))

ROWS = (
    ("filled places", "filled", "{}"),
    ("places needed", "slots", "{}"),
    ("total score", "score", "{:.2f}"),
    ("travel km (straight)", "travel_km", "{:.1f}"),
    ("volunteers", "volunteers", "{}"),
    ("first-timers", "first_timers", "{}"),
    ("gini of hours", "gini", "{:.3f}"),
    ("top-10 share", "top10_share", "{:.1%}"),
)


def _progress(started: float):
    def say(line: str) -> None:
        print(f"[{time.perf_counter() - started:6.2f}s] {line}", file=sys.stderr, flush=True)

    return say


def totals_table(totals: dict) -> str:
    """Batch against greedy, then the solver's bound, gap and seconds."""
    batch, greedy, solver = totals["batch"], totals["greedy"], totals["solver"]
    lines = [f"{'':22} {'batch':>12} {'greedy':>12}"]
    for label, key, fmt in ROWS:
        lines.append(f"{label:22} {fmt.format(batch[key]):>12} {fmt.format(greedy[key]):>12}")
    if solver.get("upper_bound_filled") is not None:
        lines.append(
            f"bound: {solver['upper_bound_filled']} places, score {solver['upper_bound_score']:.2f}"
            f"; gap {solver['gap_filled']} places, {solver['gap_score']:.2f} score; "
            f"proven optimal: {'yes' if solver['proven_optimal'] else 'no'} ({solver['method']})"
        )
    seconds = totals.get("seconds", {})
    lines.append("seconds: " + ", ".join(f"{k} {v:.2f}" for k, v in seconds.items()))
    return "\n".join(lines)


def _context() -> ActionContext:
    return ActionContext(
        actor=OPERATOR, now=SystemClock().now(), settings=get_settings(), request_id="cli-batch"
    )


def _refused(refusal: BatchRefusal) -> None:
    typer.echo(f"refused: {refusal.detail}", err=True)
    raise typer.Exit(code=2)


@app.command()
def plan(
    area: str = typer.Option(..., "--area", help="12-digit area code or area id"),
    first: str = typer.Option(None, "--from", help="first local day, YYYY-MM-DD (default today)"),
    last: str = typer.Option(None, "--to", help="last local day (default two weeks)"),
    as_json: bool = typer.Option(False, "--json", help="print the totals as JSON"),
) -> None:
    """Plan the area's open orders of the period, save the plan and print its totals."""
    ctx = _context()
    say = _progress(time.perf_counter())

    async def main():
        engine = create_engine(ctx.settings)
        sessions = create_sessionmaker(engine)
        try:
            async with sessions() as session:
                found = await repo.area_by_code_or_id(session=session, key=area.strip())
                made = await planning.make_plan(
                    session, ctx, area=found, first=_day(first), last=_day(last), progress=say
                )
                await session.commit()
                return made.id, made.totals
        finally:
            await engine.dispose()

    try:
        plan_id, totals = asyncio.run(main())
    except BatchRefusal as refusal:
        _refused(refusal)
    if as_json:
        typer.echo(json.dumps({"plan_id": plan_id, **totals}, ensure_ascii=False, indent=2))
        return
    typer.echo(f"plan {plan_id}")
    typer.echo(totals_table(totals))


@app.command()
def apply(plan_id: int = typer.Argument(..., min=1, max=2**31 - 1)) -> None:
    """Send a saved plan's invitations (each re-checked) and print what was sent and skipped."""
    ctx = _context()
    say = _progress(time.perf_counter())

    async def main():
        engine = create_engine(ctx.settings)
        sessions = create_sessionmaker(engine)
        try:
            async with sessions() as session:
                say(f"applying plan {plan_id}")
                applied = await applying.apply_plan(session, ctx, plan_id=plan_id)
                await session.commit()
                say("committed")
                return applied.plan.report, applied.repeated
        finally:
            await engine.dispose()

    try:
        report, repeated = asyncio.run(main())
    except BatchRefusal as refusal:
        _refused(refusal)
    if repeated:
        typer.echo(f"plan {plan_id} was applied before: nothing sent now (nobody twice)")
    typer.echo(f"sent {report['sent']}, skipped {report['skipped']}")
    for entry in report["orders"]:
        skipped = ", ".join(f"{s['volunteer_id']}:{s['code']}" for s in entry["skipped"])
        changed = " (changed since planning)" if entry["changed"] else ""
        typer.echo(
            f"  order {entry['order_id']}{changed}: sent {len(entry['sent'])}"
            + (f"; skipped {skipped}" if skipped else "")
        )


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not a day like 2026-12-01") from None
