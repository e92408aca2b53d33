"""Route-level access rules. Every route declares one; a test fails any route that does not.

Usage in a route::

    async def publish(order_id: int, actor: Annotated[Actor, requires(Role.worker)]): ...

Per-object scope (which community, which team, whose record) is checked by the services through
``service.auth.policy``; this layer only says which roles may call the route at all.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from service.actor import Actor
from service.auth.dependencies import get_actor
from service.errors import Forbidden, NotAuthenticated
from service.messages import text
from service.vocab import Role

PUBLIC = "public"  # anyone, including anonymous visitors
AUTHENTICATED = "authenticated"  # any logged-in user, whatever their roles


def requires(*allowed: Role | str) -> Any:
    """A dependency that admits the actor only if they hold one of ``allowed`` (admin always)."""
    if not allowed:
        raise ValueError("requires() needs at least one role, PUBLIC or AUTHENTICATED")
    rule = frozenset(allowed)

    async def check_access(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        if PUBLIC in rule:
            return actor
        if actor.is_anonymous:
            raise NotAuthenticated(text("refusal.auth.login_required"))
        if AUTHENTICATED in rule or actor.is_admin or actor.has(*(r for r in rule if r in Role)):
            return actor
        raise Forbidden(text("refusal.auth.forbidden"))

    check_access.access_rule = rule  # read by the authorization matrix test
    return Depends(check_access)


def access_rule_of(dependant) -> frozenset | None:
    """The access rule declared anywhere in a route's dependency tree, or None."""
    rule = getattr(dependant.call, "access_rule", None)
    if rule is not None:
        return rule
    for sub in dependant.dependencies:
        found = access_rule_of(sub)
        if found is not None:
            return found
    return None
