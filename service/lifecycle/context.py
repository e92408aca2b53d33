"""What every state-changing service call needs: who acts, when, and under which request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request

from service.auth.actor import Actor
from service.auth.dependencies import get_actor
from service.clock import ClockDep
from service.settings import Settings


@dataclass(frozen=True)
class ActionContext:
    """Passed to services instead of the request: the actor, the clock reading, the request id."""

    actor: Actor
    now: datetime
    settings: Settings
    request_id: str | None = None


async def action_context(
    request: Request, actor: Annotated[Actor, Depends(get_actor)], clock: ClockDep
) -> ActionContext:
    return ActionContext(
        actor=actor,
        now=clock.now(),
        settings=request.app.state.settings,
        request_id=getattr(request.state, "request_id", None),
    )


ContextDep = Annotated[ActionContext, Depends(action_context)]
