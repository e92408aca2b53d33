"""X-Forwarded-For is believed only from the proxies named in KEPU_TRUSTED_PROXIES."""

from __future__ import annotations

import importlib

import sqlalchemy as sa
import uvicorn

from service.models import AuditEntry
from tests.service.auth.helpers import client_for

WRONG = {"phone": "13812345678", "password": "wrong-password"}
SPOOFED = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}


def _as_served(app, monkeypatch):
    """``app`` wrapped as ``kepu serve`` has uvicorn wrap it (proxy-header handling included)."""
    serve_module = importlib.import_module("service.cli.serve")  # the package re-exports serve()
    captured: dict = {}
    monkeypatch.setattr(serve_module.uvicorn, "run", lambda *args, **kw: captured.update(kw))
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    serve_module.serve(host="127.0.0.1", port=8000, workers=1, reload=False)
    options = {
        key: captured[key] for key in ("proxy_headers", "forwarded_allow_ips") if key in captured
    }
    config = uvicorn.Config(app, log_config=None, **options)
    config.load()
    return config.loaded_app


async def _audited_ips(session) -> list[str | None]:
    return list(await session.scalars(sa.select(AuditEntry.ip).order_by(AuditEntry.id)))


async def test_x_forwarded_for_from_a_local_peer_is_ignored_by_default(
    make_app, member, session, monkeypatch
):
    served = _as_served(await make_app(), monkeypatch)
    async with client_for(served) as http:  # the peer is 127.0.0.1
        await http.post("/api/v1/auth/login", json=WRONG, headers=SPOOFED)
    assert await _audited_ips(session) == ["127.0.0.1"]


async def test_spoofed_addresses_do_not_escape_the_per_ip_limit(make_app, member, monkeypatch):
    served = _as_served(await make_app(login_ip_max_failures=3), monkeypatch)
    codes = []
    async with client_for(served) as http:
        for n in range(4):
            guess = {"phone": f"1370000000{n}", "password": "guess-12345"}
            headers = {"X-Forwarded-For": f"198.51.100.{n}"}
            response = await http.post("/api/v1/auth/login", json=guess, headers=headers)
            codes.append(response.status_code)
    assert codes == [401, 401, 401, 429]


async def test_x_forwarded_for_is_believed_from_a_configured_proxy(
    make_app, member, session, monkeypatch
):
    served = _as_served(await make_app(trusted_proxies="10.0.0.0/8, 127.0.0.1"), monkeypatch)
    async with client_for(served) as http:
        await http.post("/api/v1/auth/login", json=WRONG, headers=SPOOFED)
    assert await _audited_ips(session) == ["203.0.113.9"]


async def test_a_peer_outside_the_configured_proxies_is_not_believed(
    make_app, member, session, monkeypatch
):
    served = _as_served(await make_app(trusted_proxies="10.0.0.0/8"), monkeypatch)
    async with client_for(served) as http:
        await http.post("/api/v1/auth/login", json=WRONG, headers=SPOOFED)
    assert await _audited_ips(session) == ["127.0.0.1"]


def test_a_malformed_proxy_address_stops_start_up():
    import pytest
    from pydantic import ValidationError

    from service.settings import Settings, describe_error

    with pytest.raises(ValidationError) as caught:
        Settings(trusted_proxies="10.0.0.1, proxy.local", _env_file=None)
    assert "KEPU_TRUSTED_PROXIES" in describe_error(caught.value)
    assert Settings(trusted_proxies=" 10.0.0.1 ,fd00::/8", _env_file=None).trusted_proxy_list == [
        "10.0.0.1",
        "fd00::/8",
    ]
