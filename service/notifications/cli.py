"""``kepu notifications``: deliver the outbox by hand (the worker does it on its own)."""

from __future__ import annotations

import asyncio

import typer

from service.clock import SystemClock
from service.db import create_engine, create_sessionmaker
from service.settings import get_settings

app = typer.Typer(help="消息发送 / notification delivery.", no_args_is_help=True)


@app.command("send-once")
def send_once() -> None:
    """Deliver one batch of due notifications with the configured sender and print the counts."""
    from service.notifications.worker import deliver_notifications

    async def main() -> None:
        settings = get_settings()
        engine = create_engine(settings)
        try:
            report = await deliver_notifications(
                create_sessionmaker(engine), settings, SystemClock().now()
            )
        finally:
            await engine.dispose()
        typer.echo(
            f"claimed {report.claimed}, sent {report.sent}, "
            f"failed {report.failed} (will retry), dead {report.dead}"
        )

    asyncio.run(main())
