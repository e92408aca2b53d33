"""``kepu worker``: the background dispatch sweeps (offer expiry, cascade, order expiry, reminders)."""

from __future__ import annotations

import asyncio
import signal

import typer

from service.background.worker import run_forever, run_once
from service.clock import SystemClock
from service.db import create_engine, create_sessionmaker
from service.settings import get_settings

app = typer.Typer(help="后台派单任务 / background dispatch work.", no_args_is_help=True)


@app.command()
def once() -> None:
    """Run one sweep now and print what it did."""

    async def main() -> None:
        settings = get_settings()
        engine = create_engine(settings)
        try:
            report = await run_once(create_sessionmaker(engine), settings, SystemClock().now())
        finally:
            await engine.dispose()
        typer.echo(str(report))

    asyncio.run(main())


@app.command()
def run() -> None:
    """Sweep every KEPU_WORKER_INTERVAL_SECONDS until interrupted (safe to run several)."""

    async def main() -> None:
        settings = get_settings()
        engine = create_engine(settings)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        typer.echo(f"dispatch worker: every {settings.worker_interval_seconds:g}s")
        try:
            await run_forever(create_sessionmaker(engine), settings, SystemClock(), stop)
        finally:
            await engine.dispose()

    asyncio.run(main())
