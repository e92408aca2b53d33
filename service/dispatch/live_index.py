"""The candidate index of this process: every active volunteer in memory, kept fresh.

Built once per database engine from a columnar read (``index_loader``), then kept current by
reading the change log (``volunteer_changes``, written by database triggers, migration 0008)
after the last id seen, before every use: the volunteers named there are reloaded from the
database, so a change committed by any process is seen by the next preview of every other one.
Reads use their own connection, so only committed changes enter the index.

Sequence ids are handed out before commit, so a row with a lower id can become visible after a
higher one has been read: ids skipped over are kept as *gaps* and looked for again for
``GAP_SECONDS``. A log pruned past our version (an idle process) means a full rebuild.
Time-dependent facts (hours of the last 30 days, commitments that ended) are renewed by a
rebuild every ``KEPU_CANDIDATE_INDEX_REBUILD_MINUTES``, in the background; the old index serves
until the new one is swapped in and brought up to date from the log.

The index decides who is asked first; it is not the last word: the few volunteers about to be
offered an order are checked again against the database (``candidates.recheck``), and accepting
locks the rows (``service.offers``).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.table import VolunteerTable
from matching.types import VolunteerSnapshot
from service.dispatch import repository as repo
from service.dispatch.index_loader import load_table
from service.dispatch.snapshots import snapshots_by_id

logger = logging.getLogger(__name__)

GAP_SECONDS = 60.0  # how long an id skipped in the log is looked for again
GAP_LOOKBACK = 1_000  # ids below the build's version that may still commit
MAX_GAPS = 10_000
MAX_RELOAD = 20_000  # more changed volunteers than this: rebuild instead of reloading them
PRUNE_KEEP = 200_000  # log rows kept by ``prune_change_log``


@dataclass
class IndexStatus:
    """What ``/healthz`` says about the index."""

    state: str  # idle (not built yet), building, ready, failed (the last build raised)
    volunteers: int
    build_seconds: float | None
    version: int
    error: str | None = None

    def as_json(self) -> dict:
        found = {
            "state": self.state,
            "volunteers": self.volunteers,
            "build_seconds": None if self.build_seconds is None else round(self.build_seconds, 2),
            "version": self.version,
        }
        return found | ({"error": self.error} if self.error else {})


class LiveIndex:
    """One process's candidate index for one database (see the module docstring)."""

    def __init__(self, engine: AsyncEngine, params: MatchParams, rebuild_minutes: float) -> None:
        self._engine = engine
        self._sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._params = params
        self._rebuild_seconds = rebuild_minutes * 60
        self._index: VolunteerIndex | None = None
        self._version = 0
        self._gaps: dict[int, float] = {}
        self._built_at = 0.0
        self._build_seconds: float | None = None
        self._building = False
        self._lock = asyncio.Lock()
        self._rebuild_task: asyncio.Task | None = None
        self._failure: str | None = None  # why the last build failed (shown by /healthz)

    # ----------------------------------------------------------------- reading

    @property
    def status(self) -> IndexStatus:
        if self._index is not None:
            state = "ready"
        else:
            state = "building" if self._building else "failed" if self._failure else "idle"
        return IndexStatus(
            state=state,
            volunteers=len(self._index) if self._index is not None else 0,
            build_seconds=self._build_seconds,
            version=self._version,
            error=self._failure if self._index is None else None,
        )

    async def current(self, now: datetime) -> VolunteerIndex:
        """The index with every change committed so far applied (built on first use)."""
        async with self._lock:
            if self._index is None:
                await self._build(now)
            else:
                await self._refresh(now)
            if (
                time.monotonic() - self._built_at > self._rebuild_seconds
                and self._rebuild_task is None
            ):
                self._rebuild_task = asyncio.create_task(self._rebuild_later(now))
            return self._index

    def start_building(self, now: datetime) -> asyncio.Task:
        """Build in the background (start-up): requests meanwhile wait for it, ``/healthz`` not."""
        return asyncio.create_task(self._warm(now))

    async def _warm(self, now: datetime) -> None:
        try:
            await self.current(now)
        except Exception:  # e.g. the database is down: the first request that needs it retries
            logger.exception("candidate index: the start-up build failed")

    # ----------------------------------------------------------------- building

    async def _load(self, now: datetime) -> tuple[VolunteerTable, int, dict[int, float]]:
        async with self._sessions() as session:
            version = (await repo.change_log_bounds(session=session))[1] or 0
            # Ids just below the version that are not there yet may belong to transactions
            # still open: their changes may be missing from what we read next.
            present = await repo.change_ids_above(session=session, above=version - GAP_LOOKBACK)
            seen = time.monotonic()
            gaps = {
                i: seen
                for i in range(max(version - GAP_LOOKBACK, 0) + 1, version)
                if i not in present
            }
            table = await load_table(session, now=now)
            await session.rollback()
        return table, version, gaps

    async def _build(self, now: datetime) -> None:
        self._building = True
        started = time.perf_counter()
        try:
            table, version, gaps = await self._load(now)
            index = await asyncio.to_thread(VolunteerIndex.build, table, self._params)
        except Exception as error:
            self._failure = f"{type(error).__name__}: {error}"[:300]
            raise
        finally:
            self._building = False
        self._failure = None
        self._install(index, version, gaps, time.perf_counter() - started)
        await self._refresh(now)

    def _install(self, index: VolunteerIndex, version: int, gaps, seconds: float) -> None:
        self._index, self._version, self._gaps = index, version, gaps
        self._built_at = time.monotonic()
        self._build_seconds = seconds
        _return_freed_memory()
        logger.info("candidate index: %d volunteers in %.1f s", len(index), seconds)

    async def _rebuild_later(self, now: datetime) -> None:
        """A fresh build beside the serving one, swapped in when ready."""
        try:
            started = time.perf_counter()
            table, version, gaps = await self._load(now)
            index = await asyncio.to_thread(VolunteerIndex.build, table, self._params)
            async with self._lock:
                self._install(index, version, gaps, time.perf_counter() - started)
                await self._refresh(now)
        except Exception:  # the old index keeps serving; the next use tries again
            logger.exception("candidate index rebuild failed")
        finally:
            self._rebuild_task = None

    # ----------------------------------------------------------------- keeping fresh

    async def _refresh(self, now: datetime) -> None:
        """Apply the log's rows after our version (and gaps now visible): one query when
        nothing was skipped over."""
        # Autocommit: a read of committed rows needs no transaction (two round trips fewer on
        # every preview).
        async with self._engine.connect() as plain:
            log = await plain.execution_options(isolation_level="AUTOCOMMIT")
            rows = await repo.changes_since(session=log, version=self._version, gaps=self._gaps)
            newer = [change_id for change_id, _ in rows if change_id > self._version]
            # Ids skipped over belong to transactions still open, or to a log pruned past us.
            pruned = False
            if newer and min(newer) > self._version + 1:
                lowest = (await repo.change_log_bounds(session=log))[0]
                pruned = lowest is not None and lowest > self._version + 1
        if not rows:
            self._expire_gaps()
            return
        changed = sorted({volunteer_id for _, volunteer_id in rows})
        if pruned or len(changed) > MAX_RELOAD:
            await self._rebuild_now(now)
            return
        async with self._sessions() as session:
            fresh = await snapshots_by_id(session, changed, now=now)
            await session.rollback()
        self._apply(changed, fresh)
        self._advance([change_id for change_id, _ in rows])

    async def _rebuild_now(self, now: datetime) -> None:
        """Start again from the database (the log cannot bring us up to date)."""
        table, version, gaps = await self._load(now)
        index = await asyncio.to_thread(VolunteerIndex.build, table, self._params)
        self._install(index, version, gaps, self._build_seconds or 0.0)

    def _apply(self, changed: list[int], fresh: list[VolunteerSnapshot]) -> None:
        index = self._index
        loaded = {snapshot.id: snapshot for snapshot in fresh}
        for volunteer_id in changed:
            snapshot = loaded.get(volunteer_id)
            if snapshot is None:  # paused, removed, or no longer a volunteer
                if volunteer_id in index:
                    index.remove(volunteer_id)
            elif volunteer_id in index:
                index.update(snapshot)
            else:
                index.add(snapshot)

    def _advance(self, ids: list[int]) -> None:
        seen = time.monotonic()
        for change_id in ids:
            self._gaps.pop(change_id, None)
        top = max(ids)
        if top > self._version:
            for missing in set(range(self._version + 1, top)) - set(ids):
                self._gaps[missing] = seen
            self._version = top
        self._expire_gaps()

    def _expire_gaps(self) -> None:
        deadline = time.monotonic() - GAP_SECONDS
        self._gaps = {i: t for i, t in self._gaps.items() if t >= deadline}
        if len(self._gaps) > MAX_GAPS:
            self._gaps = dict(sorted(self._gaps.items())[-MAX_GAPS:])


def _return_freed_memory() -> None:
    """Give the build's freed temporaries back to the system (glibc keeps them otherwise:
    ~300 MB of a 1M-volunteer build's peak would stay in the process's resident size)."""
    with contextlib.suppress(OSError, AttributeError):  # not glibc: nothing to do
        ctypes.CDLL("libc.so.6").malloc_trim(0)


_ATTRIBUTE = "_kepu_live_index"


def live_index_for(engine: AsyncEngine, params: MatchParams, rebuild_minutes: float) -> LiveIndex:
    """This process's index for the database behind ``engine`` (one per engine).

    Kept on the engine itself, so it goes when the engine goes (a registry keyed by engines
    would keep every engine alive through the index's own reference to it)."""
    found = getattr(engine.sync_engine, _ATTRIBUTE, None)
    if found is None:
        found = LiveIndex(engine, params, rebuild_minutes)
        setattr(engine.sync_engine, _ATTRIBUTE, found)
    return found


def existing_index(engine: AsyncEngine) -> LiveIndex | None:
    return getattr(engine.sync_engine, _ATTRIBUTE, None)


async def prune_change_log(session: AsyncSession) -> int:
    """Keep the newest ``PRUNE_KEEP`` log rows (an index further behind rebuilds)."""
    top = (await repo.change_log_bounds(session=session))[1]
    if top is None or top <= PRUNE_KEEP:
        return 0
    return await repo.delete_changes_up_to(session=session, last=top - PRUNE_KEEP)
