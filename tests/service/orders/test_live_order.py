"""The order page's live stream: its version moves when the offers change, and the stream
announces it (service.web.live.change_stream over the real version query)."""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from starlette.datastructures import Headers, QueryParams

from service.orders import repository
from service.web.live import change_stream
from service.web.security import session_cookie_name
from tests.service.orders.desk_world import build_desk_world


@pytest.fixture
async def world(app, settings, session, clock):
    return await build_desk_world(app, settings, session, clock)


async def _version(world, order_id) -> str:
    async with world.client() as http:
        response = await http.get(f"/desk/orders/{order_id}/live")
    assert response.status_code == 200
    return response.text


async def test_the_version_moves_when_a_volunteer_accepts_or_confirms(world, clock):
    order_id = world.order_id("lecture")
    before = await _version(world, order_id)
    assert before == await _version(world, order_id)  # stable while nothing happens
    async with world.api("zhang") as http:
        accepted = await http.post(f"/api/v1/offers/{world.offer_ids['zhang']}/accept")
    assert accepted.status_code == 200, accepted.text
    after_accept = await _version(world, order_id)
    assert after_accept != before
    # A confirmation changes no status (no event), yet the page shows it: the version moves.
    clock.advance(timedelta(minutes=1))
    async with world.api("li") as http:
        confirmed = await http.post(f"/api/v1/offers/{world.offer_ids['li']}/confirm")
    assert confirmed.status_code == 200, confirmed.text
    assert await _version(world, order_id) != after_accept


class _Request:
    """What change_stream reads, over the app's real session factory."""

    def __init__(self, app, since: str):
        self.app = app
        self.headers = Headers({})
        self.query_params = QueryParams({"since": since})
        self.polls = 0

    async def is_disconnected(self) -> bool:
        self.polls += 1
        return self.polls > 3


async def _announcements(world, order_id, since) -> list[str]:
    request = _Request(world.app, since)

    async def version(session):
        return await repository.live_version(session=session, order_id=order_id)

    stream = change_stream(request, version=version, event="order-changed", interval=0)

    async def collect():
        return [m.event async for m in stream.body_iterator if m.event]

    return await asyncio.wait_for(collect(), timeout=10)


async def test_the_stream_announces_an_acceptance(world):
    order_id = world.order_id("lecture")
    seen = await _version(world, order_id)
    assert await _announcements(world, order_id, seen) == []  # quiet: nothing moved
    async with world.api("zhang") as http:
        accepted = await http.post(f"/api/v1/offers/{world.offer_ids['zhang']}/accept")
    assert accepted.status_code == 200
    assert await _announcements(world, order_id, seen) == ["order-changed"]


async def test_the_route_streams_to_an_event_source(world, settings):
    """Through the app (ASGI): an EventSource gets an event stream that opens with a comment."""
    order_id = world.order_id("lecture")
    cookie, _ = world.sessions["worker"]
    sent: list[dict] = []
    first_body = asyncio.Event()
    request_sent = False

    async def receive():
        nonlocal request_sent
        if not request_sent:
            request_sent = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await first_body.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)
        if message["type"] == "http.response.body" and message.get("body"):
            first_body.set()

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": f"/desk/orders/{order_id}/live",
        "raw_path": f"/desk/orders/{order_id}/live".encode(),
        "query_string": b"since=0",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"accept", b"text/event-stream"),
            (b"cookie", f"{session_cookie_name(settings)}={cookie}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async with _bounded(10):
        await world.app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    assert start["status"] == 200 and headers["content-type"].startswith("text/event-stream")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert body.startswith(b": connected")


@asynccontextmanager
async def _bounded(seconds: float):
    async with asyncio.timeout(seconds):
        yield
