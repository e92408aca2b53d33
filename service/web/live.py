"""Live pages: one server-sent-event stream per page, saying only *that* something changed.

The stream re-reads a small "version" of what the page shows (e.g. the order's newest event id
and offer count) on a short session of its own every ``interval`` seconds, and sends
``event: <name>`` with the version as the event id when it moves. The page listens with the
htmx SSE extension (``hx-ext="sse" sse-connect=…``) and then fetches the fragment it needs, so
every fragment is authorized on its own and no personal data rides on the stream.

Why polling the database and not a message bus: it works the same with one process or many,
with SQLite or PostgreSQL, and after a restart. The browser reconnects by itself (``retry``)
with ``Last-Event-ID`` (or the page's ``?since=`` version, which the htmx extension resends
when it reconnects): a version that moved while it was away is announced at once.
Each page also polls its fragment slowly (``every 30s``) in case EventSource is unavailable.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

from fastapi import Request
from sqlalchemy.ext.asyncio import AsyncSession
from sse_starlette import EventSourceResponse, ServerSentEvent

Version = Callable[[AsyncSession], Awaitable[object]]

RETRY_MS = 2000  # how soon a browser reconnects after the server went away
PING_SECONDS = 15  # keeps proxies from closing an idle stream; also notices gone clients


async def _versions(request: Request, version: Version, interval: float) -> AsyncIterator[str]:
    while True:
        async with request.app.state.sessionmaker() as session:
            current = await version(session)
        yield str(current)
        await asyncio.sleep(interval)


def change_stream(
    request: Request, *, version: Version, event: str, interval: float = 1.0
) -> EventSourceResponse:
    """A stream that sends ``event`` whenever ``version(session)`` changes."""
    # The version the page was rendered from (``?since=``), or the last one this browser saw.
    seen = request.headers.get("Last-Event-ID") or request.query_params.get("since")

    async def events() -> AsyncIterator[ServerSentEvent]:
        nonlocal seen
        yield ServerSentEvent(comment="connected", retry=RETRY_MS)
        async for current in _versions(request, version, interval):
            if await request.is_disconnected():
                return
            if seen is None:  # no version known: take this one as what the page shows
                seen = current
                yield ServerSentEvent(comment="version", id=current)
            elif current != seen:
                seen = current
                yield ServerSentEvent(data=event, event=event, id=current)

    return EventSourceResponse(
        events(),
        ping=PING_SECONDS,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
