"""The app's route table, read the way the authorization and input tests need it.

Path parameters are resolved by NAME through ``PARAMS``: each entry says, for an acting role,
which object is its own and which (if any) is foreign. A route with a parameter missing here
fails the suite with instructions, so new routes cannot slip through untested.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from service.auth.access import AUTHENTICATED, PUBLIC, access_rule_of
from tests.service.auth.world import World

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


@dataclass(frozen=True)
class RouteInfo:
    method: str
    path: str
    rule: frozenset | None
    params: tuple[str, ...]
    has_body: bool

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"

    def allows(self, roles: frozenset[str], *, anonymous: bool) -> bool:
        """Whether the declared rule admits an actor holding ``roles``."""
        rule = {str(item) for item in self.rule or ()}
        if PUBLIC in rule:
            return True
        if anonymous:
            return False
        return AUTHENTICATED in rule or "admin" in roles or bool(rule & roles)


def routes(app: FastAPI) -> Iterator[RouteInfo]:
    """Every (method, path) the app serves through FastAPI, with its declared access rule."""
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, APIRoute):
            continue
        for method in sorted(context.methods - {"HEAD", "OPTIONS"}):
            yield RouteInfo(
                method=method,
                path=context.path,
                rule=access_rule_of(context.dependant),
                params=tuple(context.param_convertors),
                has_body=context.body_field is not None,
            )


# ---------------------------------------------------------------- own / foreign objects

STAFF = ("worker", "coordinator")
OwnForeign = Callable[[World, str, int], tuple[object, object | None]]


def _by_role(own: str, foreign: str | None, scoped_roles: tuple[str, ...]) -> OwnForeign:
    """Own object ``own``; ``foreign`` only for roles whose scope excludes it."""

    def pick(world: World, role: str, _user_id: int):
        return world.ids[own], world.ids[foreign] if foreign and role in scoped_roles else None

    return pick


def _offer(world: World, role: str, _user_id: int):
    own = world.ids["leader_offer" if role == "team_leader" else "offer"]
    scoped = ("volunteer", "team_leader", *STAFF)
    return own, world.ids["offer2"] if role in scoped else None


def _order(world: World, role: str, user_id: int, route: RouteInfo | None = None):
    """A team leader's own order is the one dispatched to their team; on the routes that admit
    them AS team leader, the other team's is foreign (a leader is a volunteer too, and on the
    volunteers' routes any eligible order may be taken). Staff are scoped by community."""
    if role == "team_leader":
        as_leader = route is None or "team_leader" in {str(r) for r in route.rule or ()}
        return world.ids["team_order"], world.ids["team_order2"] if as_leader else None
    return _by_role("order", "order2", STAFF)(world, role, user_id)


def _volunteer(world: World, role: str, _user_id: int):
    if role in ("coordinator", "admin"):
        # A pending self-registration: the object a coordinator approves.
        return world.ids["pending_volunteer"], (
            world.ids["pending_volunteer2"] if role == "coordinator" else None
        )
    own = world.volunteers["leader" if role == "team_leader" else "volunteer"].id
    scoped = ("volunteer", "team_leader", "worker")
    return own, world.volunteers["volunteer2"].id if role in scoped else None


def _user(world: World, role: str, user_id: int):
    if role in ("admin", "anonymous"):
        return world.users["resident"].id, None  # admins are unscoped; never act on oneself
    return user_id, world.foreign_users[role].id


def _per_user(kind: str) -> OwnForeign:
    """Objects every user owns one of (tokens, notifications): the other side's is foreign."""

    def pick(world: World, role: str, user_id: int):
        owner = world.users["resident"].id if role == "anonymous" else user_id
        own = world.ids[f"{kind}:{owner}"]
        if role in ("admin", "anonymous"):
            return own, None
        return own, world.ids[f"{kind}:{world.foreign_users[role].id}"]

    return pick


def _certificate(key: str) -> OwnForeign:
    """志愿服务记录证明 (serial, and its token: both name the same certificate): the volunteer's
    own (a team leader's own), a coordinator's street's; the other street's is foreign."""

    def pick(world: World, role: str, _user_id: int):
        side = "leader_" if role == "team_leader" else ""
        own = world.ids[f"{side}{key}"]
        if role in ("volunteer", "team_leader", "coordinator"):
            return own, world.ids[f"{side}{key}2"]
        return own, None

    return pick


PARAMS: dict[str, OwnForeign] = {
    "community_id": _by_role("community", "community2", STAFF),
    "order_id": _order,
    "demand_id": _by_role("demand", "demand2", STAFF),
    "team_id": _by_role("team", "team2", ("team_leader", "volunteer", "coordinator")),
    "offer_id": _offer,
    "volunteer_id": _volunteer,
    "user_id": _user,
    "token_id": _per_user("token"),
    "notification_id": _per_user("notification"),
    "code": lambda world, role, user_id: (world.ids["code_text"], None),
    "key": lambda world, role, user_id: (world.ids["calendar_key"], None),
    # A community's open demands are public (我也想要): every role reads the same one.
    "area_id": lambda world, role, user_id: (world.ids["community"], None),
    "plan_id": _by_role("plan", "plan2", ("coordinator",)),
    "serial": _certificate("certificate"),
    "token": _certificate("certificate_token"),
}

# Parameters whose own/foreign objects depend on the route too (its rule), not only the role.
ROUTE_AWARE = frozenset({"order_id"})


class UnknownPathParameter(Exception):
    """A route takes a path parameter the matrix cannot build objects for."""


UNKNOWN_PARAM = """route {route} has a path parameter {{{param}}} that the authorization matrix
does not know. Add an entry for {param!r} to PARAMS in tests/service/auth/route_table.py:
a function (world, role, user_id) -> (own_id, foreign_id or None) that says which object the
acting role owns and which it must be refused; create the objects in tests/service/auth/world.py."""


def resolve(route: RouteInfo, world: World, role: str, user_id: int) -> tuple[dict, dict | None]:
    """(own path values, foreign path values or None) for ``role`` acting on ``route``."""
    own, foreign, any_foreign = {}, {}, False
    for param in route.params:
        if param not in PARAMS:
            raise UnknownPathParameter(UNKNOWN_PARAM.format(route=route.label, param=param))
        pick = PARAMS[param]
        if param in ROUTE_AWARE:
            own[param], foreign_value = pick(world, role, user_id, route)
        else:
            own[param], foreign_value = pick(world, role, user_id)
        foreign[param] = foreign_value if foreign_value is not None else own[param]
        any_foreign = any_foreign or foreign_value is not None
    return own, (foreign if any_foreign else None)


# ---------------------------------------------------------------- request bodies


def example_body(schema: dict | None, components: dict, now: datetime) -> object:
    """A minimal instance of a JSON schema: required fields only, plausible values."""
    if not schema:
        return {}
    if "$ref" in schema:
        return example_body(components[schema["$ref"].rsplit("/", 1)[1]], components, now)
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return example_body(options[0] if options else {}, components, now)
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        required = schema.get("required", [])
        props = schema.get("properties", {})
        return {name: example_body(props.get(name, {}), components, now) for name in required}
    if kind == "array":
        return (
            [] if not schema.get("minItems") else [example_body(schema["items"], components, now)]
        )
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.0, float(schema.get("minimum", 1)))
    if kind == "boolean":
        return False
    if schema.get("format") == "date-time":
        return now.isoformat()
    if schema.get("format") == "date":
        return now.date().isoformat()
    if "pattern" in schema and "1[3-9]" in schema["pattern"]:
        return "13700002222"
    return "测试" * max(1, schema.get("minLength", 1))


def body_schemas(app: FastAPI) -> tuple[dict, dict]:
    """(method+path → request body schema, components) from the OpenAPI document."""
    document = app.openapi()
    found = {}
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema:
                found[f"{method.upper()} {path}"] = schema
    return found, document.get("components", {}).get("schemas", {})
