"""Security headers on every answer; templates that keep the CSP meaningful."""

from __future__ import annotations

import re

from service.settings import PROJECT_ROOT
from service.web.security import CONTENT_SECURITY_POLICY
from tests.service.auth.helpers import browser, client_for, open_session_for

PAGES = ["/", "/login", "/register", "/api/v1/demands", "/no-such-page"]


async def _admin_browser(app, settings, session, clock):
    from service.vocab import Role
    from tests.factories import make_user

    admin = await make_user(session, roles=((Role.admin, None, None),))
    cookie, csrf = await open_session_for(session, settings, user_id=admin.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


async def test_csp_and_browser_protections_on_pages_api_and_errors(client):
    for path in PAGES:
        response = await client.get(path)
        headers = response.headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert "strict-transport-security" not in headers  # plain http: no HSTS


def test_the_policy_allows_no_inline_or_eval_scripts_and_no_framing():
    directives = dict(part.strip().split(" ", 1) for part in CONTENT_SECURITY_POLICY.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert directives["frame-ancestors"] == "'none'"


async def test_hsts_over_https_or_when_cookies_are_secure(app, make_app):
    async with client_for(app, base_url="https://testserver") as https:
        assert "max-age=" in (await https.get("/login")).headers["strict-transport-security"]
    secure_app = await make_app(cookie_secure=True)
    async with client_for(secure_app) as behind_proxy:
        assert "strict-transport-security" in (await behind_proxy.get("/")).headers


async def test_no_store_on_personal_pages_and_the_api(app, settings, session, clock, client):
    async with await _admin_browser(app, settings, session, clock) as http:
        for path in ["/me", "/admin/users", "/api/v1/me", "/api/v1/admin/users", "/"]:
            assert (await http.get(path)).headers["cache-control"] == "no-store", path
    assert (await client.get("/api/v1/demands")).headers["cache-control"] == "no-store"
    static = await client.get("/static/vendor/htmx.min.js")
    assert static.headers.get("cache-control") != "no-store"  # public, cacheable assets


async def _page_and_fragment(http, path: str) -> None:
    whole = await http.get(path)
    part = await http.get(path, headers={"HX-Request": "true"})
    assert whole.status_code == part.status_code == 200, path
    assert "HX-Request" in whole.headers["vary"] and "HX-Request" in part.headers["vary"]
    assert "<html" in whole.text and "<html" not in part.text, path


async def test_pages_vary_on_hx_request_and_render_as_fragments(
    app, settings, session, clock, client
):
    for path in ["/login", "/register"]:
        await _page_and_fragment(client, path)
    async with await _admin_browser(app, settings, session, clock) as http:
        for path in ["/me", "/admin/users", "/admin/users/new", "/admin/audit"]:
            await _page_and_fragment(http, path)


async def test_htmx_is_configured_without_eval_script_tags_or_foreign_requests(client):
    page = (await client.get("/login")).text
    config = re.search(r'name="htmx-config" content=\'([^\']+)\'', page).group(1)
    assert '"allowEval": false' in config
    assert '"selfRequestsOnly": true' in config
    assert '"allowScriptTags": false' in config


def test_no_template_has_inline_scripts_handlers_styles_or_safe():
    """The CSP forbids them anyway; this keeps templates from relying on them."""
    offenders = []
    for template in (PROJECT_ROOT / "templates").rglob("*.html"):
        text = template.read_text()
        for pattern in (
            # An inline script; a JSON data block (type="application/json", filled with |tojson,
            # which escapes < > & and quotes) is never executed and may stay.
            r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>",
            r"\son[a-z]+\s*=",  # event handler attribute
            r"\sstyle\s*=",  # inline style attribute
            r"<style",
            r"\|\s*safe\b",  # disabling autoescape
            r"javascript:",
        ):
            if re.search(pattern, text, flags=re.IGNORECASE):
                offenders.append(f"{template.relative_to(PROJECT_ROOT)}: {pattern}")
    assert not offenders, "\n".join(offenders)


async def test_configured_map_tiles_are_the_only_foreign_images(make_app):
    """With tiles configured the map's tile host joins img-src, and nothing else changes."""
    tiled = await make_app(map_tiles="osm")
    async with client_for(tiled) as client:
        policy = (await client.get("/login")).headers["content-security-policy"]
    expected = CONTENT_SECURITY_POLICY.replace(
        "img-src 'self' data:", "img-src 'self' data: https://tile.openstreetmap.org"
    )
    assert policy == expected != CONTENT_SECURITY_POLICY


async def test_the_replayed_body_is_followed_by_the_clients_own_messages():
    """The guard reads a POST's body to check it, then replays it; after that the app must hear
    the client itself (a streamed answer ends when it hears a disconnect, so a made-up one would
    cut every streamed answer to a POST short)."""
    from service.web.security import _replay

    heard = []

    async def client():
        heard.append("asked")
        return {"type": "http.disconnect"}

    receive = _replay(b"a=1", client)
    assert await receive() == {"type": "http.request", "body": b"a=1", "more_body": False}
    assert heard == []
    assert await receive() == {"type": "http.disconnect"} and heard == ["asked"]
