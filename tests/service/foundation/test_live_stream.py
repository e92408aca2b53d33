"""The change stream (service/web/live.py) announces a moved version, and only that.

The stream's generator is driven directly, with a fake request (headers, query, a
disconnect switch, a session factory) and a fake version that plays a script of values: no
server, no database, no waiting beyond a zero interval.
"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

from starlette.datastructures import Headers, QueryParams

from service.web.live import RETRY_MS, change_stream


class FakeRequest:
    """What change_stream reads from a request: headers, query, disconnection, the app's
    session factory (the version function's session)."""

    def __init__(self, *, since: str | None = None, last_event_id: str | None = None):
        self.headers = Headers({"Last-Event-ID": last_event_id} if last_event_id else {})
        self.query_params = QueryParams({"since": since} if since else {})
        self.disconnected = False

        @asynccontextmanager
        async def sessionmaker():
            yield "a session"

        self.app = SimpleNamespace(state=SimpleNamespace(sessionmaker=sessionmaker))

    async def is_disconnected(self) -> bool:
        return self.disconnected


class Script:
    """A version function that returns the given values in turn, then the last one forever;
    after ``hang_up_after`` calls the client disconnects."""

    def __init__(self, request: FakeRequest, values: list[str], hang_up_after: int):
        self.request, self.values, self.hang_up_after = request, values, hang_up_after
        self.calls = 0
        self.sessions: list = []

    async def __call__(self, session) -> str:
        self.sessions.append(session)
        self.calls += 1
        if self.calls >= self.hang_up_after:
            self.request.disconnected = True
        return self.values[min(self.calls, len(self.values)) - 1]


async def _run(request: FakeRequest, values: list[str], *, hang_up_after: int):
    """Everything the stream sends until the client hangs up (bounded by a timeout)."""
    script = Script(request, values, hang_up_after)
    response = change_stream(request, version=script, event="order-changed", interval=0)

    async def collect():
        return [message async for message in response.body_iterator]

    sent = await asyncio.wait_for(collect(), timeout=5)
    return sent, script


def _events(sent) -> list[tuple[str, str]]:
    return [(m.event, m.id) for m in sent if m.event is not None]


async def test_the_stream_announces_a_change_once_with_the_new_version_as_id():
    request = FakeRequest(since="v1")
    sent, script = await _run(request, ["v1", "v1", "v2", "v2", "v2"], hang_up_after=6)
    assert sent[0].comment == "connected" and sent[0].retry == RETRY_MS
    assert _events(sent) == [("order-changed", "v2")]  # once, not on every poll after it
    assert sent[-1].data == "order-changed"  # the event names itself; it carries no data
    assert script.calls >= 5 and set(script.sessions) == {"a session"}


async def test_the_stream_stays_quiet_while_the_version_does_not_move():
    request = FakeRequest(since="v1")
    sent, script = await _run(request, ["v1"], hang_up_after=8)
    assert script.calls == 8  # it kept looking
    assert _events(sent) == []
    assert [m.comment for m in sent] == ["connected"]


async def test_a_stale_since_is_announced_at_once():
    request = FakeRequest(since="v1")
    sent, _ = await _run(request, ["v3"], hang_up_after=2)
    # The page was rendered from v1; v3 is what there is now: the very first poll says so.
    assert _events(sent) == [("order-changed", "v3")]


async def test_last_event_id_wins_over_since_after_a_reconnect():
    # The browser saw v2 before the connection dropped; the page's ?since= still says v1.
    quiet, _ = await _run(FakeRequest(since="v1", last_event_id="v2"), ["v2"], hang_up_after=3)
    assert _events(quiet) == []
    stale, _ = await _run(FakeRequest(since="v2", last_event_id="v1"), ["v2"], hang_up_after=2)
    assert _events(stale) == [("order-changed", "v2")]


async def test_without_a_known_version_the_first_one_is_taken_as_seen():
    request = FakeRequest()
    sent, _ = await _run(request, ["v1", "v1", "v2"], hang_up_after=4)
    assert [(m.comment, m.id) for m in sent if m.comment == "version"] == [("version", "v1")]
    assert _events(sent) == [("order-changed", "v2")]
