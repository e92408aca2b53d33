"""Arrangements for the activity pages' tests: a logged-in browser for a worker, an order run."""

from __future__ import annotations

from datetime import timedelta
from html.parser import HTMLParser

import httpx

from service.vocab import Role
from tests.factories import ZHIFU_LAT, ZHIFU_LNG, make_area, make_user
from tests.loop_helpers import staffed_order
from tests.service.auth.helpers import browser, open_session_for

NEAR = {"lat": ZHIFU_LAT + 0.001, "lng": ZHIFU_LNG}
HTMX = {"HX-Request": "true"}
ENGLISH = {"Accept-Language": "en"}


async def logged_in(app, settings, session, clock, *roles, name="社区王老师") -> httpx.AsyncClient:
    """A browser (session cookie + CSRF header) of a new user with ``roles``."""
    user = await make_user(session, name=name, roles=roles)
    cookie, csrf = await open_session_for(session, settings, user_id=user.id, now=clock.now())
    await session.commit()
    return browser(app, settings, cookie, csrf)


async def worker_browser(app, settings, session, clock, community) -> httpx.AsyncClient:
    return await logged_in(app, settings, session, clock, (Role.worker, community.id, None))


async def stranger_browser(app, settings, session, clock) -> httpx.AsyncClient:
    """A worker of another community."""
    other = await make_area(session, name="别的社区")
    return await logged_in(app, settings, session, clock, (Role.worker, other.id, None))


async def ended_order(client, session, clock, *, volunteers=3, check_in=(0,), check_out=()):
    """A 2-hour order that started now; the volunteers at ``check_in`` (indexes) checked in
    near the venue, those at ``check_out`` checked out after 90 minutes; the clock then stands
    at the scheduled end. Returns (community, order, people)."""
    community, _, order, people = await staffed_order(
        session, starts_at=clock.now(), volunteers=volunteers, hours=2
    )
    for index in check_in:
        _, auth, offer = people[index]
        response = await client.post(f"/api/v1/offers/{offer.id}/check-in", json=NEAR, headers=auth)
        assert response.status_code == 200, response.text
    clock.advance(timedelta(minutes=90))
    for index in check_out:
        _, auth, offer = people[index]
        await client.post(f"/api/v1/offers/{offer.id}/check-out", headers=auth)
    clock.advance(timedelta(minutes=30))
    return community, order, people


class _Controls(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("input", "textarea", "select", "button"):
            self.controls.append({"tag": tag, **{key: value or "" for key, value in attrs}})


def controls(html: str) -> list[dict[str, str]]:
    """Every form control of a page with its attributes (a valueless attribute maps to "")."""
    parser = _Controls()
    parser.feed(html)
    return parser.controls


def control(html: str, **match: str) -> dict[str, str]:
    """The one control whose attributes include ``match`` (fails when none or several)."""
    found = [c for c in controls(html) if all(c.get(k) == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def checked(html: str, name: str) -> str | None:
    """The value of the checked radio named ``name``."""
    values = [c["value"] for c in controls(html) if c.get("name") == name and "checked" in c]
    assert len(values) <= 1
    return values[0] if values else None


def is_fragment(html: str) -> bool:
    """An htmx answer: the page's content without the <html> shell and the navigation."""
    return "<html" not in html and "site-header" not in html
