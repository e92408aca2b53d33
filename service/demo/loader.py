"""Load the deterministic 烟台市芝罘区 demo data set (``kepu demo load``)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.db import create_engine, create_sessionmaker, open_session
from service.demo.seed_demands import seed_demands
from service.demo.seed_history import seed_history
from service.demo.seed_orders import insert_orders, plan_orders
from service.demo.seed_people import seed_people
from service.demo.seed_places import seed_areas, seed_skills, seed_venues
from service.demo.seed_ratings import seed_ratings
from service.demo.world import DemoWorld
from service.models import Area, metadata
from service.settings import Settings


async def load_demo(session: AsyncSession, *, now: datetime) -> dict[str, int]:
    """Insert the whole demo relative to ``now`` (flush only; the caller commits).

    Returns the number of rows added per table, in dependency order.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    world = DemoWorld(session=session, now=now.astimezone(UTC))
    await seed_areas(world)
    await seed_venues(world)
    await seed_skills(world)
    await seed_people(world)
    plans = plan_orders(world)
    await seed_demands(world, plans)
    await insert_orders(world, plans)
    await seed_history(world, plans)
    await seed_ratings(world, plans)
    await session.flush()
    return {t.name: world.counts[t.name] for t in metadata.sorted_tables if world.counts[t.name]}


async def load_demo_into(settings: Settings, *, if_empty: bool) -> dict[str, int] | None:
    """Load the demo into the configured database and commit; None when ``if_empty`` and the
    database already has areas."""
    engine = create_engine(settings)
    try:
        session = await open_session(create_sessionmaker(engine), write=True)
        try:
            if if_empty and await session.scalar(sa.select(sa.func.count()).select_from(Area)):
                await session.rollback()
                return None
            counts = await load_demo(session, now=datetime.now(UTC))
            await session.commit()
            return counts
        except BaseException:
            await session.rollback()
            raise
        finally:
            await session.close()
    finally:
        await engine.dispose()
