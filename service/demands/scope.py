"""Refusing actions on a community the actor does not serve (the rule lives in auth.policy)."""

from __future__ import annotations

from service.actor import Actor
from service.auth.policy import can_manage_community
from service.errors import Forbidden
from service.messages import text
from service.models import Area


def ensure_manages_community(actor: Actor, community: Area) -> None:
    """Refuse unless the actor works for this community or oversees its area."""
    if not can_manage_community(actor, community.id, community.path):
        raise Forbidden(text("refusal.community.not_yours", community=community.name))
