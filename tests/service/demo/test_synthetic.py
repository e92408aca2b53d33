"""The synthetic loader writes the requested volumes on both databases, referencing real areas."""

from __future__ import annotations

import sqlalchemy as sa

from service.db import create_engine, create_sessionmaker
from service.demo.synthetic import load_synthetic
from service.models import User
from tests.service.demo.snapshot import settings_for

COUNTS = """
SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM volunteers),
       (SELECT count(*) FROM orders), (SELECT count(*) FROM areas),
       (SELECT count(*) FROM volunteers v WHERE NOT EXISTS
            (SELECT 1 FROM volunteer_skills s WHERE s.volunteer_id = v.id)),
       (SELECT count(*) FROM volunteers v WHERE (SELECT count(*) FROM availability_windows a
            WHERE a.volunteer_id = v.id) < 2),
       (SELECT count(*) FROM orders o WHERE NOT EXISTS
            (SELECT 1 FROM order_skills s WHERE s.order_id = o.id))
"""


async def counts(url: str) -> tuple:
    engine = create_engine(settings_for(url))
    try:
        async with engine.connect() as connection:
            return tuple((await connection.execute(sa.text(COUNTS))).one())
    finally:
        await engine.dispose()


async def test_synthetic_load_writes_the_requested_counts(database_url):
    settings = settings_for(database_url)
    report = await load_synthetic(settings, volunteers=2_000, orders=200, seed=7)
    assert "volunteer_skills" in report and "total" in report
    users, volunteers, orders, areas, skill_less, window_less, order_skill_less = await counts(
        database_url
    )
    assert (users, volunteers, orders) == (2_000, 2_000, 200)
    assert areas > 60  # the demo's area tree was loaded to be referenced
    assert (skill_less, window_less, order_skill_less) == (0, 0, 0)


async def test_synthetic_loads_add_up_and_leave_ids_usable(database_url):
    settings = settings_for(database_url)
    await load_synthetic(settings, volunteers=500, orders=50, seed=1)
    await load_synthetic(settings, volunteers=700, orders=0, seed=2)
    assert (await counts(database_url))[:3] == (1_200, 1_200, 50)
    engine = create_engine(settings)
    try:  # a normal insert after the bulk load must get a fresh id (sequences advanced)
        async with create_sessionmaker(engine)() as session:
            user = User(phone="13999999999", name="新用户")
            session.add(user)
            await session.commit()
            assert user.id == 1_201
    finally:
        await engine.dispose()


HISTORY_CHECKS = """
SELECT
  (SELECT count(*) FROM orders o WHERE o.accepted_count <> (SELECT count(*) FROM offers f
       WHERE f.order_id = o.id AND f.status IN ('accepted', 'checked_in', 'completed', 'no_show'))),
  (SELECT count(*) FROM offers f WHERE f.status = 'completed' AND NOT EXISTS
       (SELECT 1 FROM service_records r WHERE r.order_id = f.order_id
        AND r.volunteer_id = f.volunteer_id)),
  (SELECT count(*) FROM evaluations e JOIN orders o ON o.id = e.order_id
       WHERE o.status <> 'evaluated'),
  (SELECT count(*) FROM orders WHERE accepted_count > slots OR
       (staffed_at IS NOT NULL AND (published_at IS NULL OR staffed_at < published_at))),
  (SELECT count(*) FROM orders WHERE demand_id IS NOT NULL),
  (SELECT count(DISTINCT status) FROM orders),
  (SELECT count(*) FROM offers), (SELECT count(*) FROM events)
"""


async def test_synthetic_history_is_consistent_with_itself(database_url):
    """The insight benchmark's year of history: figures computed from it must be meaningful, so
    counters agree with the rows they count."""
    settings = settings_for(database_url)
    await load_synthetic(settings, volunteers=1_500, orders=0, seed=3, history_orders=1_200)
    engine = create_engine(settings)
    try:
        async with engine.connect() as connection:
            row = (await connection.execute(sa.text(HISTORY_CHECKS))).one()
    finally:
        await engine.dispose()
    miscounted, unrecorded, misrated, impossible, from_demands, statuses, offers, events = row
    assert (miscounted, unrecorded, misrated, impossible) == (0, 0, 0, 0)
    assert 200 < from_demands < 500  # about three in ten answer a demand
    assert statuses == 7  # every state but in_progress
    assert 8_000 < offers < 16_000 and events > offers
