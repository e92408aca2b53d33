"""Who works where: each role's landing page and its navigation, in one table.

After login a person lands on their role's own work (a worker on today's desk, a coordinator on
the stuck-order queue, …). A person with several roles picks the one they are acting in with
the role switch; the choice is a cookie (``kepu_role``), never a permission: every page still
checks the actor's grants itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import NoMatchFound

from service.actor import Actor
from service.page_text import N_
from service.vocab import Role

ROLE_COOKIE = "kepu_role"


@dataclass(frozen=True)
class NavItem:
    route: str  # a named route; ``url_for(route)``
    label: str  # Chinese source text, translated when rendered


# The first item of each role is where that role lands after logging in.
NAVIGATION: dict[Role, tuple[NavItem, ...]] = {
    Role.worker: (
        NavItem("desk_today", N_("今日工作台")),
        NavItem("desk_demands", N_("点单待办")),
        NavItem("desk_order_new", N_("新建活动")),
        NavItem("desk_orders", N_("我的活动")),
    ),
    Role.team_leader: (
        NavItem("desk_team", N_("队伍接单")),
        NavItem("desk_team_schedule", N_("队伍日程")),
    ),
    Role.coordinator: (
        NavItem("desk_queue", N_("待处理队列")),
        NavItem("desk_batch", N_("一键派单")),
        NavItem("desk_insight", N_("数据看板")),
        NavItem("desk_insight_map", N_("活动地图")),
        NavItem("desk_exports", N_("数据导出")),
        NavItem("desk_certificates", N_("服务证明")),
        NavItem("admin_registrations", N_("志愿者审核")),
    ),
    Role.admin: (
        NavItem("admin_users", N_("用户管理")),
        NavItem("admin_audit", N_("操作日志")),
        NavItem("admin_registrations", N_("志愿者审核")),
        NavItem("desk_batch", N_("一键派单")),
        NavItem("desk_insight", N_("数据看板")),
        NavItem("desk_insight_map", N_("活动地图")),
        NavItem("desk_exports", N_("数据导出")),
        NavItem("desk_certificates", N_("服务证明")),
    ),
    Role.volunteer: (
        NavItem("volunteer_home", N_("我的志愿")),
        NavItem("volunteer_nearby", N_("附近可接")),
        NavItem("volunteer_schedule", N_("我的日程")),
        NavItem("volunteer_hours", N_("服务时长")),
        NavItem("volunteer_profile", N_("我的资料")),
    ),
}

_ALL_ROUTES = frozenset(item.route for items in NAVIGATION.values() for item in items)

# When a person holds several roles and has not chosen, the first of these they hold applies.
ROLE_PRECEDENCE = (Role.worker, Role.coordinator, Role.team_leader, Role.admin, Role.volunteer)


def desk_roles(actor: Actor) -> list[Role]:
    """The roles of ``actor`` that have pages of their own, in precedence order."""
    return [role for role in ROLE_PRECEDENCE if role in actor.roles]


def active_role(actor: Actor, chosen: str | None) -> Role | None:
    """The role the person acts in: their choice if they hold it, else the first they hold."""
    roles = desk_roles(actor)
    for role in roles:
        if role == chosen:
            return role
    return roles[0] if roles else None


def known_routes(app) -> frozenset[str]:
    """The navigation routes ``app`` serves (worked out once per app)."""
    known = getattr(app.state, "navigation_routes", None)
    if known is None:
        known = frozenset(name for name in _ALL_ROUTES if _serves(app, name))
        app.state.navigation_routes = known
    return known


def _serves(app, name: str) -> bool:
    try:
        app.url_path_for(name)
    except NoMatchFound:
        return False
    return True


def navigation(actor: Actor, chosen: str | None, known_routes: frozenset[str]) -> list[NavItem]:
    """The navigation of the active role, leaving out routes this app does not serve."""
    role = active_role(actor, chosen)
    if role is None:
        return []
    return [item for item in NAVIGATION[role] if item.route in known_routes]


def landing_route(actor: Actor, chosen: str | None, known_routes: frozenset[str]) -> str:
    """Where a person lands after login: the active role's first page (their account when
    the role has none)."""
    items = navigation(actor, chosen, known_routes)
    return items[0].route if items else "me"
