"""Request-scoped dependencies every route shares: the unit of work and the clock.

They live in the HTTP layer so that ``service.db`` and ``service.clock`` stay free of FastAPI:
services receive a session and a time, never a request.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.clock import Clock
from service.db import UNSAFE_METHODS, open_session

log = logging.getLogger("kepu.web")
KeptWrite = Callable[[AsyncSession], Awaitable[None]]


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; commit on success, roll back on any error.

    Declared with ``scope="function"`` (see ``SessionDep``) so the commit runs before the
    response is sent: a failed commit becomes an error answer, never a 200 for lost data.
    A refusal rolls everything back except the writes registered on
    ``request.state.after_rollback``: an attempt counted by a rate limit must survive the
    refusal it ends in (a wrong code, a 403), or failing attempts would never add up.
    """
    sessionmaker = request.app.state.sessionmaker
    session = await open_session(sessionmaker, write=request.method in UNSAFE_METHODS)
    request.state.after_rollback = []
    try:
        yield session
        await session.commit()
    except BaseException as error:
        await session.rollback()
        if isinstance(error, Exception):  # not on cancellation: nothing more may be awaited
            await _keep(sessionmaker, request.state.after_rollback)
        raise
    finally:
        await session.close()


async def _keep(sessionmaker, writes: list[KeptWrite]) -> None:
    """Replay the writes a rollback must not undo, in a short transaction of their own."""
    if not writes:
        return
    own = await open_session(sessionmaker, write=True)
    try:
        for write in writes:
            await write(own)
        await own.commit()
    except Exception:  # never hide the request's own error behind this one
        log.exception("could not keep %d write(s) after a rollback", len(writes))
    finally:
        await own.close()


SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


ClockDep = Annotated[Clock, Depends(get_clock)]
