"""Script payloads stored in every free-text column render inert on every page, for every role."""

from __future__ import annotations

import re

import sqlalchemy as sa

from service.models import metadata
from tests.service.auth.helpers import browser, client_for, open_session_for
from tests.service.auth.route_table import resolve, routes
from tests.service.auth.world import ROLES, build_world

PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>"
RAW_MARKERS = ("<script>alert", "<img src=x onerror")
# Columns that hold codes, vocabularies, hashes or machine values — not free text.
NOT_FREE_TEXT = {
    "status", "role", "level", "code", "phone", "contact_phone", "path", "key", "token_hash",
    "csrf_token", "password_hash", "target_group", "dispatch_mode", "channel", "kind",
    "rater_kind", "action", "entity", "from_status", "to_status", "actor_role", "ip",
    "request_id", "voter_key", "coord_system",
}  # fmt: skip


def _is_text(column_type) -> bool:
    # SQLModel's AutoString is a TypeDecorator over String.
    return isinstance(column_type, sa.String) or isinstance(
        getattr(column_type, "impl", None), sa.String
    )


async def _fill_free_text(session) -> list[str]:
    """Write PAYLOAD (plus the row id, for unique columns) into every free-text column."""
    filled = []
    for table in metadata.sorted_tables:
        columns = [
            column for column in table.columns
            if _is_text(column.type) and (column.type.length or 10_000) >= len(PAYLOAD) + 8
            and column.name not in NOT_FREE_TEXT and not column.foreign_keys
        ]  # fmt: skip
        primary = list(table.primary_key.columns)
        if not columns or len(primary) != 1:
            continue
        ids = list(await session.scalars(sa.select(primary[0])))
        for row_id in ids:
            values = {column.name: f"{PAYLOAD}{row_id}" for column in columns}
            await session.execute(table.update().where(primary[0] == row_id).values(**values))
        filled += [f"{table.name}.{column.name}" for column in columns]
    await session.commit()
    return filled


async def test_stored_script_payloads_render_inert_on_every_page(app, settings, session, clock):
    world = await build_world(session, now=clock.now())
    filled = await _fill_free_text(session)
    assert {"users.name", "demands.description", "orders.title", "volunteers.bio"} <= set(filled)
    pages = [r for r in routes(app) if r.method == "GET" and not r.path.startswith("/api/")]
    problems, escaped_seen = [], 0
    for role in ROLES:
        user = world.users.get(role)
        if user is None:
            client = client_for(app)
        else:
            cookie, _ = await open_session_for(session, settings, user_id=user.id, now=clock.now())
            await session.commit()
            client = browser(app, settings, cookie)
        async with client:
            for route in pages:
                try:
                    own, _ = resolve(route, world, role, user.id if user else 0)
                except Exception:
                    continue  # unknown parameters are the authorization matrix's to report
                for headers in ({}, {"HX-Request": "true"}):
                    response = await client.get(route.path.format(**own), headers=headers)
                    if not response.headers.get("content-type", "").startswith("text/html"):
                        # A download (CSV, XLSX, PDF) is data, not a page: it holds what was
                        # written. Browsers must never read it as HTML.
                        assert response.headers["x-content-type-options"] == "nosniff"
                        continue
                    if any(marker in response.text for marker in RAW_MARKERS):
                        problems.append(f"{route.path} as {role}: raw payload in the page")
                    escaped_seen += response.text.count("&lt;script&gt;alert")
    assert not problems, "\n".join(problems)
    assert escaped_seen > 0  # the payloads really were rendered (escaped) somewhere


def test_templates_and_code_never_mark_user_data_safe():
    from service.settings import PROJECT_ROOT

    offenders = []
    for path in [*(PROJECT_ROOT / "service").rglob("*.py")]:
        text = path.read_text()
        if re.search(r"\bMarkup\(|\|\s*safe\b|autoescape\s*=\s*False", text):
            offenders.append(str(path.relative_to(PROJECT_ROOT)))
    assert not offenders, offenders
