"""Authorization, generated from the route table: every route × every role × own/foreign object.

For each route (a fresh world per route, so no route's side effects leak into another):

* a role outside the declared rule gets 401 (anonymous) or 403;
* a role inside the rule is not refused on its own object (and never gets a 5xx);
* a scoped role inside the rule is refused (403/404) on a foreign object;
* no answer to anyone but the volunteer themself contains their full phone number or their exact
  home coordinates.
"""

from __future__ import annotations

import json

import pytest
from fastapi import FastAPI

from service.auth.access import AUTHENTICATED, PUBLIC, requires
from service.models import ApiToken, Notification
from tests.service.auth.helpers import PASSWORD, browser, client_for, open_session_for
from tests.service.auth.route_table import (
    UNSAFE,
    RouteInfo,
    UnknownPathParameter,
    body_schemas,
    example_body,
    resolve,
    routes,
)
from tests.service.auth.world import (
    DEMAND_PHONE,
    ROLES,
    VICTIM_COORDINATE_MARKERS,
    World,
    build_world,
)

# Bodies the schema-derived example cannot produce (real credentials, references, secrets).
# Key: "METHOD /path"; value: function (world, acting user or None) -> JSON body.
EXAMPLE_BODIES = {
    "POST /api/v1/auth/login": lambda world, user: {
        "phone": (user or world.users["resident"]).phone,
        "password": PASSWORD,
    },
    "POST /api/v1/demands/{demand_id}/lookup": lambda world, user: {"phone": DEMAND_PHONE},
    "POST /api/v1/ratings": lambda world, user: {"code": world.ids["code_text"], "stars": 5},
}
# Public routes that authenticate their caller another way; tested where they live.
OTHER_AUTHENTICATION = {
    "POST /api/v1/sms/inbound": "HMAC signature of the SMS gateway (tests/service/notifications)",
}
# Rules that let a user act only as themself (their offers, their phone, their profile): an
# admin passes the route's gate but has no such object of their own, so the service may refuse.
PERSONAL = {"volunteer", "team_leader", "resident", AUTHENTICATED}
REFUSED = {401, 403}
FOREIGN_REFUSED = {403, 404}
MATRIX_SIZE: dict[str, int] = {}


async def _add_per_user_objects(session, world: World, now) -> None:
    """A token and a notification id per user, for routes that take one."""
    import sqlalchemy as sa

    from service.tokens import hash_secret, new_api_token

    for user in [*world.users.values(), *world.foreign_users.values()]:
        token = ApiToken(user_id=user.id, name="机器", token_hash=hash_secret(new_api_token()))
        session.add(token)
        await session.flush()
        world.ids[f"token:{user.id}"] = token.id
        world.ids[f"notification:{user.id}"] = await session.scalar(
            sa.select(Notification.id).where(Notification.user_id == user.id).limit(1)
        )
    await session.commit()


async def _call(app, settings, route: RouteInfo, values: dict, login, body):
    url = route.path.format(**values)
    client = client_for(app) if login is None else browser(app, settings, *login)
    async with client:
        kwargs = {"json": body} if route.method in UNSAFE else {}
        return await client.request(route.method, url, **kwargs)


async def _fresh_world(session, settings, now):
    """A new world, a token and notification per user, and one session per role."""
    world = await build_world(session, now=now)
    await _add_per_user_objects(session, world, now)
    logins, held = {}, {}
    for role, user in world.users.items():
        logins[role] = await open_session_for(session, settings, user_id=user.id, now=now)
        held[role] = await _roles_of(session, user.id)
    await session.commit()
    return world, logins, held


def _leaks(world: World, text: str) -> list[str]:
    found = [world.victim_phone] if world.victim_phone in text else []
    return found + [marker for marker in VICTIM_COORDINATE_MARKERS if marker in text]


def _body_for(route: RouteInfo, schemas, components, world, user, now):
    if route.method not in UNSAFE:
        return None
    if route.label in EXAMPLE_BODIES:
        return EXAMPLE_BODIES[route.label](world, user)
    return example_body(schemas.get(route.label), components, now)


async def test_every_route_declares_an_access_rule(app):
    undeclared = [route.label for route in routes(app) if route.rule is None]
    assert not undeclared, (
        "routes without an access rule — add `actor: Annotated[Actor, requires(...)]` "
        "(or dependencies=[requires(PUBLIC)]) to: " + ", ".join(undeclared)
    )


async def test_the_rule_check_catches_an_undeclared_route(app: FastAPI):
    @app.get("/_probe/undeclared")
    async def undeclared():
        return {}

    @app.get("/_probe/declared", dependencies=[requires(PUBLIC)])
    async def declared():
        return {}

    found = {route.path: route.rule for route in routes(app)}
    assert found["/_probe/undeclared"] is None
    assert found["/_probe/declared"] == frozenset({PUBLIC})


def test_an_unknown_path_parameter_fails_loudly():
    route = RouteInfo("GET", "/x/{gadget_id}", frozenset({PUBLIC}), ("gadget_id",), False)
    with pytest.raises(UnknownPathParameter, match=r"gadget_id.*PARAMS"):
        resolve(route, World(), "worker", 1)


async def test_authorization_matrix(app, settings, session, clock):
    schemas, components = body_schemas(app)
    failures: list[str] = []
    cells = 0
    table = list(routes(app))
    world, dirty = None, True
    for route in table:
        if dirty:  # after a write (even a logout), the next route starts from a fresh world
            world, logins, held_roles = await _fresh_world(session, settings, clock.now())
        dirty = route.method in UNSAFE
        for role in ROLES:
            user = world.users.get(role)
            login = logins.get(role)
            held = held_roles.get(role, frozenset())
            user_id = user.id if user else 0
            try:
                own, foreign = resolve(route, world, role, user_id)
            except UnknownPathParameter as error:
                pytest.fail(str(error))
            body = _body_for(route, schemas, components, world, user, clock.now())
            cells += 1
            allowed = route.allows(held, anonymous=user is None)
            where = f"{route.label} as {role}"
            if not allowed:
                response = await _call(app, settings, route, own, login, body)
                expected = 401 if user is None else 403
                if user is None and route.method == "GET" and not route.path.startswith("/api/"):
                    # A person opening a page without a login is sent to the login form.
                    expected = 303
                    location = response.headers.get("location", "")
                    if response.status_code == 303 and not location.startswith("/login?next="):
                        failures.append(f"{where}: redirected to {location!r}, not the login")
                if response.status_code != expected:
                    failures.append(f"{where}: expected {expected}, got {response.status_code}")
                continue
            if foreign is not None and PUBLIC not in {str(r) for r in route.rule}:
                response = await _call(app, settings, route, foreign, login, body)
                if response.status_code not in FOREIGN_REFUSED:
                    failures.append(
                        f"{where} on a FOREIGN object {foreign}: expected 403/404, got "
                        f"{response.status_code} {response.text[:160]}"
                    )
            response = await _call(app, settings, route, own, login, body)
            refused = REFUSED | {404}
            if role == "admin" and {str(r) for r in route.rule} <= PERSONAL:
                refused = {401}
            if route.label in OTHER_AUTHENTICATION:
                refused = {401}
            if response.status_code in refused or response.status_code >= 500:
                failures.append(
                    f"{where} on its OWN object {own}: got {response.status_code} "
                    f"{response.text[:160]} (body {json.dumps(body, ensure_ascii=False)[:120]})"
                )
            if role != "volunteer" and (leaked := _leaks(world, response.text)):
                failures.append(f"{where}: the answer leaks the volunteer's {leaked}")
    MATRIX_SIZE.update(routes=len(table), roles=len(ROLES), cells=cells)
    print(f"\nauthorization matrix: {len(table)} routes × {len(ROLES)} roles = {cells} cells")
    assert not failures, f"{len(failures)} authorization failures:\n" + "\n".join(failures)


async def _roles_of(session, user_id: int) -> frozenset[str]:
    from service.auth.repository import grants_of

    return frozenset(str(grant.role) for grant in await grants_of(session=session, user_id=user_id))
