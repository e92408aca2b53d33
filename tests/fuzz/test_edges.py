"""The edge fuzzer: every operation of the OpenAPI schema, as every role, with hostile edge values.

For each operation and each role (anonymous and one bearer token per role of the authorization
world), every integer field or parameter is sent as 2³¹, 2⁶³ and −1, every string as a lone
surrogate and as control characters, every date-time naive and out of range, and every unsafe
operation gets a deeply nested body. One field changes at a time; the rest of the request is a
plausible example, so the hostile value reaches as deep as the code lets it.

The server is real (uvicorn in a thread; SQLite always, PostgreSQL with the slow tests): a crashed request is a dropped connection
here, not an exception the test client would re-raise. Nothing may answer 5xx or drop the
connection; the failures are listed all at once, grouped by operation.
"""

from __future__ import annotations

import copy
import json
import shutil
import socket
import threading
import time
from collections import Counter
from urllib.parse import quote

import httpx
import pytest
import uvicorn

from service.app import create_app
from service.clock import FrozenClock
from service.db import create_engine, create_sessionmaker, open_session
from service.models import ApiToken
from service.tokens import hash_secret
from tests.conftest import TEST_NOW, _run, _truncate_postgres
from tests.factories import make_settings
from tests.service.auth.route_table import (
    UNSAFE,
    RouteInfo,
    body_schemas,
    example_body,
    resolve,
    routes,
)
from tests.service.auth.test_authorization_matrix import _add_per_user_objects
from tests.service.auth.world import ROLES, build_world

INTEGERS = (2**31, 2**63, -1)
STRINGS = ("\ud800", "a\x01\x1b[31mb\x7f")
DATETIMES = ("2026-12-01T10:00:00", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00")
DEPTH = 1000  # about 2 KB of brackets
NESTED_BODIES = ("[" * DEPTH + "]" * DEPTH, '{"a":' * DEPTH + "1" + "}" * DEPTH)
SUMMARY: Counter[str] = Counter()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _arrange(settings):
    """The authorization world, and one bearer token per role."""
    engine = create_engine(settings)
    try:
        async with await open_session(create_sessionmaker(engine), write=True) as session:
            world = await build_world(session, now=TEST_NOW)
            await _add_per_user_objects(session, world, TEST_NOW)
            tokens = {}
            for role, user in world.users.items():
                raw = f"kp_edge_fuzz_{role}"
                session.add(ApiToken(user_id=user.id, name="边界", token_hash=hash_secret(raw)))
                tokens[role] = raw
            await session.commit()
            return world, tokens
    finally:
        await engine.dispose()


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def edge_database(request, tmp_path) -> str:
    """A fresh migrated database: SQLite in every run, PostgreSQL with the slow tests."""
    if request.param == "sqlite":
        path = tmp_path / "edges.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite+aiosqlite:///{path}"
    url = request.getfixturevalue("postgres_url")
    _run(_truncate_postgres(url))
    return url


@pytest.fixture
def edge_server(edge_database):
    """(base url, app, world, tokens): uvicorn serving the database from a thread."""
    settings = make_settings(edge_database)
    world, tokens = _run(_arrange(settings))
    app = create_app(settings, clock=FrozenClock(TEST_NOW))
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", app, world, tokens
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# ---------------------------------------------------------------- where the edges are


def _deref(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return _deref(options[0], components) if options else {}
    return schema


def _edge_values(schema: dict, components: dict) -> tuple:
    """The hostile values for one field or parameter of this schema (none for other kinds)."""
    schema = _deref(schema, components)
    kind = schema.get("type")
    if kind == "integer":
        return INTEGERS
    if kind == "array":
        return tuple([value] for value in _edge_values(schema.get("items", {}), components))
    if kind == "string" and schema.get("format") == "date-time":
        return DATETIMES
    if kind == "string":
        return STRINGS
    return ()


def _leaves(schema: dict, components: dict, path: tuple = (), depth: int = 0):
    """(path, schema) of every field of a body, nested objects included."""
    schema = _deref(schema, components)
    if schema.get("type") == "object" and depth < 3:
        for name, sub in schema.get("properties", {}).items():
            yield from _leaves(sub, components, (*path, name), depth + 1)
    elif path:
        yield path, schema


def _with(body: object, path: tuple, value: object, schema: dict, components: dict) -> object:
    """A copy of ``body`` with the field at ``path`` set to ``value`` (parents created)."""
    body = copy.deepcopy(body) if isinstance(body, dict) else {}
    node, node_schema = body, _deref(schema, components)
    for name in path[:-1]:
        node_schema = _deref(node_schema.get("properties", {}).get(name, {}), components)
        if not isinstance(node.get(name), dict):
            node[name] = example_body(node_schema, components, TEST_NOW)
        node = node[name]
    node[path[-1]] = value
    return body


def _parameters(document: dict, route: RouteInfo) -> list[dict]:
    operation = document["paths"][route.path][route.method.lower()]
    return operation.get("parameters", [])


def _cases(document: dict, route: RouteInfo, body_schema: dict | None, components: dict):
    """(label, path overrides, query, JSON text or None) for every edge of one operation."""
    for parameter in _parameters(document, route):
        where, name = parameter["in"], parameter["name"]
        if where not in ("path", "query"):
            continue
        for value in _edge_values(parameter.get("schema", {}), components):
            label = f"{where} {name}={value!r}"
            if where == "path":
                yield label, {name: value}, {}, None
            else:
                yield label, {}, {name: value}, None
    if route.method not in UNSAFE:
        return
    base = example_body(body_schema, components, TEST_NOW) if body_schema else {}
    if body_schema:
        for path, leaf in _leaves(body_schema, components):
            for value in _edge_values(leaf, components):
                body = _with(base, path, value, body_schema, components)
                yield f"body {'.'.join(path)}={value!r}", {}, {}, json.dumps(body)
    for nested in NESTED_BODIES:
        yield f"body nested {DEPTH} deep {nested[:2]!r}", {}, {}, nested


def _url_value(value: object) -> str:
    # A lone surrogate cannot be UTF-8; the nearest a URL can carry is its surrogate-escaped bytes.
    return quote(str(value).encode("utf-8", "surrogatepass"), safe="")


def _send(http: httpx.Client, route, own: dict, path_values, query, content, token):
    values = {**own, **path_values}
    url = route.path.format(**{k: _url_value(v) for k, v in values.items()})
    if query:
        url += "?" + "&".join(f"{k}={_url_value(v)}" for k, v in query.items())
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if content is not None:
        headers["Content-Type"] = "application/json"
    return http.request(route.method, url, content=content, headers=headers)


def test_no_edge_value_causes_a_server_error_or_a_dropped_connection(edge_server):
    base_url, app, world, tokens = edge_server
    document = app.openapi()
    schemas, components = body_schemas(app)
    api_routes = [r for r in routes(app) if r.path in document.get("paths", {})]
    failures: list[str] = []
    with httpx.Client(base_url=base_url, timeout=30) as http:
        for route in api_routes:
            cases = list(_cases(document, route, schemas.get(route.label), components))
            for role in ROLES:
                user = world.users.get(role)
                own, _ = resolve(route, world, role, user.id if user else 0)
                for label, path_values, query, content in cases:
                    SUMMARY[role] += 1
                    try:
                        response = _send(
                            http, route, own, path_values, query, content, tokens.get(role)
                        )
                    except httpx.TransportError as error:
                        failures.append(
                            f"{route.label} as {role}, {label}: connection dropped ({error!r})"
                        )
                        continue
                    if response.status_code >= 500:
                        failures.append(
                            f"{route.label} as {role}, {label}: {response.status_code} "
                            f"{response.text[:120]}"
                        )
    total = sum(SUMMARY.values())
    print(
        f"\nedge fuzzer: {len(api_routes)} operations, {total} requests, {len(failures)} failures"
    )
    assert not failures, f"{len(failures)} server errors or dropped connections:\n" + "\n".join(
        failures
    )


def test_the_edge_values_reach_every_kind_of_field():
    """The generator itself: ints, int lists, strings, date-times and nested objects all covered."""
    components = {"Inner": {"type": "object", "properties": {"when": {"type": "string",
                  "format": "date-time"}}}}  # fmt: skip
    schema = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "ids": {"type": "array", "items": {"type": "integer"}},
            "name": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "inner": {"$ref": "#/components/schemas/Inner"},
        },
    }
    found = {path: _edge_values(leaf, components) for path, leaf in _leaves(schema, components)}
    assert found[("id",)] == INTEGERS
    assert found[("ids",)] == tuple([v] for v in INTEGERS)
    assert found[("name",)] == STRINGS
    assert found[("inner", "when")] == DATETIMES
    body = _with({}, ("inner", "when"), DATETIMES[0], schema, components)
    assert body == {"inner": {"when": DATETIMES[0]}}
