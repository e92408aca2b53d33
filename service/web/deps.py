"""Request-scoped dependencies every route shares: the unit of work and the clock.

They live in the HTTP layer so that ``service.db`` and ``service.clock`` stay free of FastAPI:
services receive a session and a time, never a request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.clock import Clock
from service.db import UNSAFE_METHODS, open_session


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """Yield the request's session; commit on success, roll back on any error.

    Declared with ``scope="function"`` (see ``SessionDep``) so the commit runs before the
    response is sent: a failed commit becomes an error answer, never a 200 for lost data.
    """
    sessionmaker = request.app.state.sessionmaker
    session = await open_session(sessionmaker, write=request.method in UNSAFE_METHODS)
    try:
        yield session
        await session.commit()
    except BaseException:
        await session.rollback()
        raise
    finally:
        await session.close()


SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]


def get_clock(request: Request) -> Clock:
    return request.app.state.clock


ClockDep = Annotated[Clock, Depends(get_clock)]
