"""Failed-login limits per account and per IP, in a store shared by every server process.

The protocol is reserve → verify → forgive: an attempt first reserves a failure slot (refused
with the wait time when the window is full), and a successful login gives the slot back. So
concurrent attempts can never exceed the limit: the check and the count are one atomic step.

* ``DatabaseThrottle`` (default) writes ``login_failures`` rows in the request's transaction.
  On SQLite the write transaction (BEGIN IMMEDIATE) already serializes processes; on
  PostgreSQL a transaction-scoped advisory lock per key does.
* ``RedisThrottle`` (``KEPU_REDIS_URL``) keeps a sorted set per key, updated by one Lua script.
"""

from __future__ import annotations

import hashlib
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.auth import repository
from service.db import open_session
from service.errors import TooManyRequests
from service.messages import text
from service.settings import Settings
from service.tokens import keyed_hash


@dataclass(frozen=True)
class Limit:
    """At most ``max_failures`` failures for ``key`` within the window."""

    key: str
    max_failures: int


@dataclass
class Reservation:
    """A reserved failure slot; ``forgive`` releases it when the attempt succeeds."""

    keys: tuple[str, ...]
    row_ids: list[int] = field(default_factory=list)
    member: str = ""


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"retry after {retry_after}s")
        self.retry_after = retry_after


class ThrottleStore(Protocol):
    async def reserve(self, limits: list[Limit], *, now: datetime) -> Reservation: ...

    async def forgive(self, reservation: Reservation, *, clear: tuple[str, ...] = ()) -> None: ...


def login_limits(settings: Settings, *, phone: str, ip: str | None) -> list[Limit]:
    """The limits one login attempt counts against; the account key never stores the number."""
    limits = [
        Limit(f"acct:{keyed_hash(settings.secret_key, phone)[:40]}", settings.login_max_failures)
    ]
    if ip:
        limits.append(Limit(f"ip:{ip[:64]}", settings.login_ip_max_failures))
    return limits


def known_device_limits(settings: Settings, *, device_token: str) -> list[Limit]:
    """The limit a login from a device the account logged in from before counts against.

    Its own allowance, apart from the account's and the IP's: a stranger's failures (on the
    account, or from the same shared connection) never lock the owner out of a known device,
    and a stolen device token still allows only a few guesses.
    """
    return [
        Limit(
            f"dev:{keyed_hash(settings.secret_key, device_token)[:40]}", settings.login_max_failures
        )
    ]


async def enforce_rate_limit(
    throttle: ThrottleStore, limits: list[Limit], *, now: datetime
) -> None:
    """Count one attempt against every limit (never given back): a sliding-window rate limit.

    For guessable things (codes, previews, lookups): each try costs a slot of the window
    (``KEPU_LOGIN_WINDOW_MINUTES``), whether it succeeded or not. Past the limit the caller
    gets a 429 with ``Retry-After`` and a sentence saying roughly when to try again.
    """
    try:
        await throttle.reserve(limits, now=now)
    except Throttled as throttled:
        minutes = max(1, round(throttled.retry_after / 60))
        raise TooManyRequests(
            text("refusal.throttled", minutes=minutes), retry_after=throttled.retry_after
        ) from None


def _retry_after(oldest_blocking: datetime, window: timedelta, now: datetime) -> int:
    return max(1, math.ceil((oldest_blocking + window - now).total_seconds()))


class DatabaseThrottle:
    """The embedded default: rows in ``login_failures``, in the request's unit of work."""

    def __init__(
        self, session: AsyncSession, settings: Settings, *, after_rollback: list | None = None
    ) -> None:
        self.session = session
        self.window = timedelta(minutes=settings.login_window_minutes)
        # The request's list of writes a rollback must not undo (see web.deps.unit_of_work):
        # attempts reserved here and not forgiven are written again if the request fails.
        self.after_rollback = after_rollback
        self.unforgiven: dict[tuple[int, ...], tuple[list[str], datetime]] = {}

    async def reserve(self, limits: list[Limit], *, now: datetime) -> Reservation:
        keys = sorted({limit.key for limit in limits})  # one lock order: no deadlocks
        await repository.lock_throttle_keys(
            session=self.session, lock_ids=[_lock_id(k) for k in keys]
        )
        cutoff = now - self.window
        await repository.delete_failures_before(session=self.session, keys=keys, cutoff=cutoff)
        wait = 0
        for limit in limits:
            times = await repository.failure_times(
                session=self.session, key=limit.key, after=cutoff
            )
            if len(times) >= limit.max_failures:
                blocking = times[len(times) - limit.max_failures]
                wait = max(wait, _retry_after(blocking, self.window, now))
        if wait:
            raise Throttled(wait)
        row_ids = await repository.add_failures(session=self.session, keys=keys, at=now)
        if self.after_rollback is not None:
            if not self.unforgiven:
                self.after_rollback.append(self._write_unforgiven)
            self.unforgiven[tuple(row_ids)] = (keys, now)
        return Reservation(keys=tuple(keys), row_ids=row_ids)

    async def forgive(self, reservation: Reservation, *, clear: tuple[str, ...] = ()) -> None:
        await repository.delete_failures(
            session=self.session, row_ids=reservation.row_ids, keys=clear
        )
        self.unforgiven.pop(tuple(reservation.row_ids), None)

    async def _write_unforgiven(self, session: AsyncSession) -> None:
        for keys, at in self.unforgiven.values():
            await repository.add_failures(session=session, keys=keys, at=at)


class OwnSessionThrottle:
    """The database store for safe (GET) requests: each step commits on a short session of its own.

    A read request's session must not take SQLite's write lock for the whole request, and a read
    transaction that later writes fails (SQLITE_BUSY) once another connection has committed in
    between, such as the actor's touch (see ``auth.touch``). So, like the touch, the attempt is
    written and committed at once; it counts even when the request then fails.
    """

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings

    async def reserve(self, limits: list[Limit], *, now: datetime) -> Reservation:
        own = await open_session(self.sessionmaker, write=True)
        try:
            reservation = await DatabaseThrottle(own, self.settings).reserve(limits, now=now)
            await own.commit()
        finally:
            await own.close()
        return reservation

    async def forgive(self, reservation: Reservation, *, clear: tuple[str, ...] = ()) -> None:
        own = await open_session(self.sessionmaker, write=True)
        try:
            await DatabaseThrottle(own, self.settings).forgive(reservation, clear=clear)
            await own.commit()
        finally:
            await own.close()


def _lock_id(key: str) -> int:
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big", signed=True)


# KEYS: the limited keys; ARGV: now_ms, window_ms, member, then one limit per key.
_RESERVE_SCRIPT = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local member = ARGV[3]
local wait = 0
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local limit = tonumber(ARGV[3 + i])
  local count = redis.call('ZCARD', key)
  if count >= limit then
    local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    local w = tonumber(entry[2]) + window - now
    if w > wait then wait = w end
  end
end
if wait > 0 then return wait end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, member)
  redis.call('PEXPIRE', key, window)
end
return 0
"""


class RedisThrottle:
    """Sorted sets of failure timestamps in a shared Redis; one atomic script per attempt."""

    def __init__(self, client, settings: Settings) -> None:
        self.client = client
        self.prefix = f"{settings.redis_key_prefix}login:"
        self.window_ms = settings.login_window_minutes * 60_000

    async def reserve(self, limits: list[Limit], *, now: datetime) -> Reservation:
        member = f"{now.timestamp():.6f}:{uuid.uuid4().hex}"
        keys = [self.prefix + limit.key for limit in limits]
        now_ms = int(now.timestamp() * 1000)
        wait_ms = await self.client.eval(
            _RESERVE_SCRIPT,
            len(keys),
            *keys,
            now_ms,
            self.window_ms,
            member,
            *(limit.max_failures for limit in limits),
        )
        if int(wait_ms) > 0:
            raise Throttled(max(1, math.ceil(int(wait_ms) / 1000)))
        return Reservation(keys=tuple(keys), member=member)

    async def forgive(self, reservation: Reservation, *, clear: tuple[str, ...] = ()) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            for key in reservation.keys:
                pipe.zrem(key, reservation.member)
            for key in clear:
                pipe.delete(self.prefix + key)
            await pipe.execute()
