"""Domain events: a lower domain says what happened; a higher domain reacts in the same transaction.

The domains import only downward (README, "Architecture"). When a lower domain's change must set
off work in a higher one — a published order starts the cascade (dispatch sits above orders), an
approved volunteer is told (notifications sit above identity) — the lower domain publishes an
event here and the higher domain's handler, registered at start-up by ``service.handlers``, reacts.

Handlers run at once, in registration order, inside the publisher's unit of work: a failing
handler fails the whole change, exactly as the direct call it replaces. An event nobody handles is
a wiring bug, so ``publish`` refuses it loudly instead of dropping it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from service.context import ActionContext


@dataclass(frozen=True)
class OrderPublished:
    """An order left draft (``order`` is the loaded row, already published)."""

    order: Any


@dataclass(frozen=True)
class OrderRedispatched:
    """A coordinator re-opened an order: outstanding offers go, the dispatch starts over."""

    order: Any
    reason: str


@dataclass(frozen=True)
class VolunteerApproved:
    """A self-registered volunteer was approved and can now receive offers."""

    volunteer_id: int
    user_id: int


@dataclass(frozen=True)
class PhoneTextReady:
    """A short text for a number that may have no account yet (a one-time code, a warning)."""

    phone: str
    kind: str
    title: str
    body: str


Handler = Callable[[AsyncSession, ActionContext, Any], Awaitable[None]]
_handlers: defaultdict[type, list[Handler]] = defaultdict(list)


def subscribe(event_type: type, handler: Handler) -> None:
    """Register ``handler`` for ``event_type`` (registering the same handler twice is a no-op)."""
    if handler not in _handlers[event_type]:
        _handlers[event_type].append(handler)


def handlers_of(event_type: type) -> tuple[Handler, ...]:
    return tuple(_handlers.get(event_type, ()))


async def publish(session: AsyncSession, ctx: ActionContext, event: object) -> None:
    """Run every handler of ``event`` now, in the caller's transaction."""
    handlers = _handlers.get(type(event))
    if not handlers:
        raise RuntimeError(
            f"no handler registered for {type(event).__name__}: call service.handlers.register()"
        )
    for handler in handlers:
        await handler(session, ctx, event)
