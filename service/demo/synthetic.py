"""Large synthetic data sets for benchmarks (``kepu demo synth``), loaded as fast as the database
allows: COPY on PostgreSQL, batched executemany on SQLite."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

import numpy as np
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from service.db import create_engine, create_sessionmaker, open_session
from service.demo import synthetic_columns as gen
from service.demo import synthetic_history as history
from service.demo.bulk_writer import advance_sequences, write_columns
from service.demo.seed_places import seed_areas, seed_skills, seed_venues
from service.demo.timing import floor_half_hour
from service.demo.world import DemoWorld
from service.models import Area, Demand, Offer, Order, Skill, User, Volunteer
from service.settings import Settings
from service.vocab import AreaLevel

HISTORY_CHUNK = 10_000  # orders generated and written at a time: memory stays flat


async def ensure_taxonomy(engine: AsyncEngine, now: datetime) -> None:
    """Synthetic rows point at the demo's areas and skills: load those if they are missing."""
    session = await open_session(create_sessionmaker(engine), write=True)
    async with session:
        world = DemoWorld(session=session, now=now)
        if not await session.scalar(sa.select(sa.func.count()).select_from(Area)):
            await seed_areas(world)
            await seed_venues(world)
        if not await session.scalar(sa.select(sa.func.count()).select_from(Skill)):
            await seed_skills(world)
        await session.commit()


async def read_taxonomy(connection: AsyncConnection) -> gen.Taxonomy:
    areas = (
        await connection.execute(
            sa.select(Area.id, Area.level, Area.lat, Area.lng).order_by(Area.id)
        )
    ).all()
    communities = [a for a in areas if a.level == AreaLevel.community]
    district = next(a.id for a in areas if a.level == AreaLevel.district)
    skills = (
        await connection.execute(
            sa.select(Skill.id, Skill.code, Skill.parent_id).order_by(Skill.id)
        )
    ).all()
    by_domain: dict[int, list[int]] = {}
    for skill in skills:
        if skill.parent_id is not None:
            by_domain.setdefault(skill.parent_id, []).append(skill.id)
    return gen.Taxonomy(
        district_id=district,
        community_ids=np.array([a.id for a in communities]),
        community_lat=np.array([a.lat for a in communities]),
        community_lng=np.array([a.lng for a in communities]),
        domain_skill_ids=[np.array(ids) for _domain, ids in sorted(by_domain.items())],
        skill_id_by_code={skill.code: skill.id for skill in skills},
    )


async def next_id(connection: AsyncConnection, model) -> int:
    return (await connection.scalar(sa.select(sa.func.coalesce(sa.func.max(model.id), 0)))) + 1


# (table, column, referenced table) of every reference the synthetic load writes.
REFERENCES = (
    ("volunteers", "user_id", "users"),
    ("volunteers", "home_area_id", "areas"),
    ("volunteer_skills", "volunteer_id", "volunteers"),
    ("volunteer_skills", "skill_id", "skills"),
    ("availability_windows", "volunteer_id", "volunteers"),
    ("orders", "community_id", "areas"),
    ("order_skills", "order_id", "orders"),
    ("order_skills", "skill_id", "skills"),
    ("orders", "demand_id", "demands"),
    ("offers", "order_id", "orders"),
    ("offers", "volunteer_id", "volunteers"),
    ("service_records", "order_id", "orders"),
    ("service_records", "volunteer_id", "volunteers"),
    ("evaluations", "order_id", "orders"),
    ("events", "order_id", "orders"),
)


async def skip_reference_checks(connection: AsyncConnection) -> bool:
    """On PostgreSQL as a superuser, skip the per-row foreign-key triggers for this transaction:
    they cost more than the COPY itself. ``verify_references`` re-checks in bulk before commit."""
    if connection.dialect.name != "postgresql":
        return False
    if await connection.scalar(sa.text("SELECT current_setting('is_superuser')")) != "on":
        return False
    await connection.exec_driver_sql("SET LOCAL session_replication_role = replica")
    return True


async def verify_references(connection: AsyncConnection) -> None:
    """Every reference must resolve, as the skipped triggers would have ensured (set-based:
    one anti-join per foreign key instead of millions of single-row look-ups)."""
    for table, column, target in REFERENCES:
        missing = await connection.scalar(
            sa.text(
                f"SELECT count(*) FROM {table} t WHERE t.{column} IS NOT NULL AND NOT EXISTS "
                f"(SELECT 1 FROM {target} r WHERE r.id = t.{column})"
            )
        )
        if missing:
            raise RuntimeError(f"{missing} rows of {table}.{column} point at no {target} row")


class Stopwatch:
    """Rows and seconds per table, printed as a small table."""

    def __init__(self) -> None:
        self.lines: dict[str, tuple[int, float, float]] = {}  # per table, over every chunk
        self.started = time.perf_counter()

    def generate(self, make: Callable[[], gen.Columns | tuple]) -> tuple:
        start = time.perf_counter()
        result = make()
        return result, time.perf_counter() - start

    async def write(
        self, connection: AsyncConnection, columns: gen.Columns, generated: float
    ) -> None:
        start = time.perf_counter()
        if len(columns):
            await write_columns(connection, columns)
        rows, made, written = self.lines.get(columns.table, (0, 0.0, 0.0))
        self.lines[columns.table] = (
            rows + len(columns),
            made + generated,
            written + time.perf_counter() - start,
        )

    def report(self, extra: list[tuple[str, float]]) -> str:
        rows = [f"{'table':<22}{'rows':>12}{'generate s':>12}{'write s':>10}{'rows/s':>12}"]
        for table, (count, generated, written) in self.lines.items():
            rate = count / max(generated + written, 1e-9)
            rows.append(f"{table:<22}{count:>12,}{generated:>12.2f}{written:>10.2f}{rate:>12,.0f}")
        for label, seconds in extra:
            rows.append(f"{label:<22}{'':>12}{'':>12}{seconds:>10.2f}")
        total = time.perf_counter() - self.started
        all_rows = sum(line[0] for line in self.lines.values())
        rows.append(f"{'total':<22}{all_rows:>12,}{'':>12}{total:>10.2f}{all_rows / total:>12,.0f}")
        return "\n".join(rows)


async def load_synthetic(
    settings: Settings,
    *,
    volunteers: int,
    orders: int,
    seed: int,
    history_orders: int = 0,
    offers_per_order: float = 10.1,
) -> str:
    """Add ``volunteers`` volunteers (users, skills, availability) and ``orders`` open orders,
    and ``history_orders`` orders of the past year and next month with their demands, offers,
    service records, ratings and events (service.demo.synthetic_history); returns a table of
    rows and seconds per table."""
    rng = np.random.default_rng(seed)
    now = floor_half_hour(datetime.now(UTC))
    engine = create_engine(settings)
    try:
        watch = Stopwatch()
        await ensure_taxonomy(engine, now)
        async with engine.begin() as connection:  # all or nothing
            taxonomy = await read_taxonomy(connection)
            skipped_checks = await skip_reference_checks(connection)
            first_user, first_volunteer, first_order = [
                await next_id(connection, model) for model in (User, Volunteer, Order)
            ]
            users, took = watch.generate(lambda: gen.users(rng, first_user, volunteers, now))
            await watch.write(connection, users, took)
            user_ids = users.values[0]
            del users
            profiles, took = watch.generate(
                lambda: gen.volunteers(rng, first_volunteer, user_ids, taxonomy, now)
            )
            await watch.write(connection, profiles, took)
            volunteer_ids = np.array(profiles.values[0])
            people = history.People.of(volunteer_ids, np.array(profiles.values[2]))
            del profiles
            for make in (
                lambda: gen.volunteer_skills(rng, volunteer_ids, taxonomy),
                lambda: gen.availability(rng, volunteer_ids),
            ):
                columns, took = watch.generate(make)
                await watch.write(connection, columns, took)
                del columns
            if orders:
                (order_rows, order_skills), took = watch.generate(
                    lambda: gen.orders(rng, first_order, orders, taxonomy, now)
                )
                await watch.write(connection, order_rows, took)
                await watch.write(connection, order_skills, 0.0)
            if history_orders:
                ids = history.Ids(
                    order=await next_id(connection, Order),
                    demand=await next_id(connection, Demand),
                    offer=await next_id(connection, Offer),
                )
                for done in range(0, history_orders, HISTORY_CHUNK):
                    count = min(HISTORY_CHUNK, history_orders - done)
                    tables, took = watch.generate(
                        lambda count=count: history.chunk(
                            rng, ids, count, taxonomy, people, now, offers_per_order
                        )
                    )
                    for index, columns in enumerate(tables):
                        await watch.write(connection, columns, took if index == 0 else 0.0)
            await advance_sequences(
                connection, ["users", "volunteers", "orders", "demands", "offers"]
            )
            started = time.perf_counter()
            if skipped_checks:
                await verify_references(connection)
            extra = [("verify references", time.perf_counter() - started)] if skipped_checks else []
            started = time.perf_counter()
        extra.append(("commit", time.perf_counter() - started))
        if engine.dialect.name == "postgresql":
            started = time.perf_counter()
            async with engine.connect() as connection:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.exec_driver_sql("ANALYZE")
            extra.append(("analyze", time.perf_counter() - started))
        return watch.report(extra)
    finally:
        await engine.dispose()
