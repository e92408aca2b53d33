"""THE place for per-object authorization: who may see or change which object.

Route rules (``requires``) say which roles may call a route at all; the functions here say
whether *this* actor may touch *this* object, and narrow list queries to the actor's scope.
Services call them; routes never re-implement a rule. Scopes:

* admin — everything;
* coordinator — the area subtrees of their grants (materialized path prefix);
* community worker — their own community (or communities);
* team leader — their own team(s);
* volunteer — their own records;
* resident / anonymous — public data only.

Sections are ordered by object type; append new object types as new sections.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from service.actor import Actor
from service.errors import Forbidden
from service.messages import text
from service.models import Area, Offer, Order, TeamMember, Volunteer
from service.vocab import AreaLevel, OfferStatus, Role

# ---------------------------------------------------------------- areas and communities


def can_oversee_area(actor: Actor, area_path: str) -> bool:
    """Coordinator of a subtree containing ``area_path`` (or admin)."""
    return actor.oversees(area_path)


def can_manage_community(actor: Actor, community_id: int, community_path: str) -> bool:
    """The community's own worker, a coordinator above it, or an admin."""
    return actor.works_for(community_id) or actor.oversees(community_path)


def areas_in_scope(actor: Actor) -> sa.Select | None:
    """Ids of the areas the actor oversees or works for; None means unrestricted (admin)."""
    if actor.is_admin:
        return None
    conditions = [Area.path.startswith(path) for path in actor.coordinated_paths()]
    communities = actor.community_ids()
    if communities:
        conditions.append(Area.id.in_(communities))
    if not conditions:
        return sa.select(Area.id).where(sa.false())
    return sa.select(Area.id).where(sa.or_(*conditions))


def scope_by_area(actor: Actor, statement: sa.Select, area_column) -> sa.Select:
    """Narrow ``statement`` to rows whose ``area_column`` lies in the actor's areas."""
    areas = areas_in_scope(actor)
    return statement if areas is None else statement.where(area_column.in_(areas))


# ---------------------------------------------------------------- users and roles


def can_administer_users(actor: Actor) -> bool:
    return actor.is_admin


SCOPE_LEVELS = {
    Role.worker: (AreaLevel.community,),
    Role.coordinator: (AreaLevel.street, AreaLevel.district),
}


def grant_scope_problem(role: Role, area_level: str | None, team_exists: bool) -> str | None:
    """Why a role grant's scope is wrong (a catalogue message), or None when it fits the role."""
    if role in SCOPE_LEVELS and area_level not in SCOPE_LEVELS[role]:
        if role == Role.worker:
            return text("refusal.grant.worker_needs_community")
        return text("refusal.grant.coordinator_needs_area")
    if role == Role.team_leader and not team_exists:
        return text("refusal.grant.leader_needs_team")
    return None


# ---------------------------------------------------------------- volunteers


def can_approve_volunteer(actor: Actor, home_area_path: str) -> bool:
    """A coordinator over the volunteer's home area (or admin) approves self-registrations."""
    return actor.oversees(home_area_path)


def can_view_volunteer(
    actor: Actor, *, volunteer_id: int, home_area_path: str, team_ids: frozenset[int] = frozenset()
) -> bool:
    """Themself, the leader of one of their teams, or a coordinator over their home area."""
    return (
        actor.volunteer_id == volunteer_id
        or bool(actor.led_team_ids() & team_ids)
        or actor.oversees(home_area_path)
    )


def scope_volunteers_query(actor: Actor, statement: sa.Select) -> sa.Select:
    """Volunteers the actor may list: own record, own teams' members, coordinated areas."""
    if actor.is_admin:
        return statement
    conditions = []
    if actor.volunteer_id:
        conditions.append(Volunteer.id == actor.volunteer_id)
    if actor.led_team_ids():
        conditions.append(
            Volunteer.id.in_(
                sa.select(TeamMember.volunteer_id).where(
                    TeamMember.team_id.in_(actor.led_team_ids())
                )
            )
        )
    if actor.coordinated_paths():
        conditions.append(
            Volunteer.home_area_id.in_(
                sa.select(Area.id).where(
                    sa.or_(*(Area.path.startswith(p) for p in actor.coordinated_paths()))
                )
            )
        )
    return statement.where(sa.or_(*conditions) if conditions else sa.false())


def can_see_home_location(actor: Actor, *, volunteer_user_id: int) -> bool:
    """Exact home coordinates never leave the server except to the volunteer themself."""
    return actor.user_id is not None and actor.user_id == volunteer_user_id


# ---------------------------------------------------------------- teams


def can_lead_team(actor: Actor, team_id: int) -> bool:
    return actor.is_admin or team_id in actor.led_team_ids()


# ---------------------------------------------------------------- orders and offers

ENGAGED_OFFER_STATUSES = (
    OfferStatus.accepted,
    OfferStatus.checked_in,
    OfferStatus.completed,
    OfferStatus.no_show,
)


def scope_orders_query(actor: Actor, statement: sa.Select) -> sa.Select:
    """Orders the actor may see beyond the public list, as one WHERE on ``Order``."""
    if actor.is_admin:
        return statement
    conditions = []
    areas = areas_in_scope(actor)
    if areas is not None and (actor.community_ids() or actor.coordinated_paths()):
        conditions.append(Order.community_id.in_(areas))
    if actor.volunteer_id:
        conditions.append(
            Order.id.in_(sa.select(Offer.order_id).where(Offer.volunteer_id == actor.volunteer_id))
        )
    if actor.led_team_ids():
        conditions.append(Order.team_id.in_(actor.led_team_ids()))
    return statement.where(sa.or_(*conditions) if conditions else sa.false())


def can_read_team_order(
    actor: Actor, *, order_team_id: int | None, holding_team_ids: frozenset[int]
) -> bool:
    """A team leader reads an order offered to their team (team mode) or one their team holds
    (members accepted through the team); nothing more (no events, no changes)."""
    led = actor.led_team_ids()
    return order_team_id in led or bool(led & holding_team_ids)


def can_manage_order(actor: Actor, *, community_id: int, community_path: str) -> bool:
    """Dispatch, cancel, confirm: the order's community worker, a coordinator above, admin."""
    return can_manage_community(actor, community_id, community_path)


def ensure_can_manage_order(actor: Actor, *, community_id: int, community_path: str) -> None:
    """Refuse (403) anyone but the order's community worker, a coordinator above, or admin."""
    if not can_manage_order(actor, community_id=community_id, community_path=community_path):
        raise Forbidden(text("refusal.auth.manage_own_community"))


def managed_orders_clause(actor: Actor):
    """A WHERE clause on ``Order``: the orders the actor manages (admins: everything)."""
    if actor.is_admin:
        return sa.true()
    if not (actor.community_ids() or actor.coordinated_paths()):
        return sa.false()
    return Order.community_id.in_(areas_in_scope(actor))


# ---------------------------------------------------------------- demands


def scope_demands_query(actor: Actor, statement: sa.Select, community_column) -> sa.Select:
    """Demands (with contact details) the actor may see: own communities / coordinated areas."""
    return scope_by_area(actor, statement, community_column)


# ---------------------------------------------------------------- personal data


@dataclass(frozen=True)
class OrderContact:
    """Facts about an order that justify showing a person's full phone number."""

    order_id: int
    community_id: int
    subject_accepted: bool  # the subject holds an accepted (or later) offer on this order


def can_see_full_phone(
    actor: Actor, subject_user_id: int, *, via_order: OrderContact | None = None
) -> bool:
    """Full numbers only for the person themself and the worker of an order they accepted."""
    if actor.user_id is not None and actor.user_id == subject_user_id:
        return True
    return bool(
        via_order and via_order.subject_accepted and actor.works_for(via_order.community_id)
    )
