"""Who may do what with an order (per object); lists use the matching scoped queries.

Kept next to the orders until ``service.auth.policy`` exists; then these move there.
"""

from __future__ import annotations

import sqlalchemy as sa

from service.auth.actor import Actor
from service.errors import Forbidden
from service.models import Area, Order


def can_manage(actor: Actor, *, community_id: int, community_path: str) -> bool:
    """A worker of the community, a coordinator overseeing it, or an admin."""
    return actor.works_for(community_id) or actor.oversees(community_path)


def ensure_can_manage(actor: Actor, *, community_id: int, community_path: str) -> None:
    if not can_manage(actor, community_id=community_id, community_path=community_path):
        raise Forbidden("只能管理本社区（或所辖区域）的活动。")


def ensure_can_redispatch(actor: Actor, *, community_id: int, community_path: str) -> None:
    """Re-dispatch is for the community's workers and the coordinators above it."""
    ensure_can_manage(actor, community_id=community_id, community_path=community_path)


def order_scope(actor: Actor):
    """A WHERE clause limiting orders to those the actor manages (admins: everything)."""
    if actor.is_admin:
        return sa.true()
    clauses = []
    if actor.community_ids():
        clauses.append(Order.community_id.in_(actor.community_ids()))
    for path in actor.coordinated_paths():
        clauses.append(Order.community_id.in_(sa.select(Area.id).where(Area.path.startswith(path))))
    return sa.or_(*clauses) if clauses else sa.false()
