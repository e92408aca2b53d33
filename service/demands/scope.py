"""Who may manage a community's demands and activities: its workers, coordinators above it, admins.

TODO(identity): move into ``service.auth.policy`` once it lands; activity and evaluations import it.
"""

from __future__ import annotations

from service.auth.actor import Actor
from service.errors import Forbidden
from service.models import Area


def manages_community(actor: Actor, community: Area) -> bool:
    return actor.works_for(community.id) or actor.oversees(community.path)


def ensure_manages_community(actor: Actor, community: Area) -> None:
    """Refuse unless the actor works for this community or oversees its area."""
    if not manages_community(actor, community):
        raise Forbidden(f"您不负责「{community.name}」，不能处理该社区的事务。")
