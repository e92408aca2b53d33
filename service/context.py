"""What every state-changing service call needs: who acts, when, and under which request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.actor import Actor
from service.settings import Settings


@dataclass(frozen=True)
class ActionContext:
    """Passed to services instead of the request: the actor, the clock reading, the request id."""

    actor: Actor
    now: datetime
    settings: Settings
    request_id: str | None = None
