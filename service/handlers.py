"""The composition root of domain events: every handler, registered once at start-up.

Called by ``create_app`` and by the background worker's entry points (and by the test session),
so a lower domain's event always reaches the higher domains that react to it.
"""

from __future__ import annotations

from service.dispatch import handlers as dispatch_handlers
from service.notifications import handlers as notification_handlers


def register() -> None:
    """Subscribe every domain's handlers (idempotent)."""
    notification_handlers.register()
    dispatch_handlers.register()
