"""The change log's triggers: present at head on both databases, and each kind of write that
can change who may take what names its volunteer (and nothing else does)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta

import sqlalchemy as sa

from service.models import (
    AvailabilityWindow,
    BlackoutDate,
    Offer,
    Order,
    ServiceRecord,
    Volunteer,
    VolunteerChange,
    VolunteerSkill,
)
from service.settings import PROJECT_ROOT
from service.vocab import OfferStatus
from tests.conftest import TEST_NOW
from tests.factories import make_area_tree, make_order, make_skill, make_volunteer


def _trigger_names() -> list[str]:
    path = next((PROJECT_ROOT / "migrations" / "versions").glob("*-0008_*.py"))
    spec = importlib.util.spec_from_file_location("migration_0008", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.TRIGGER_NAMES


async def test_every_trigger_exists_at_head(session):
    """A later migration that rebuilds a table on SQLite (batch_alter_table) drops its
    triggers: this fails until it creates them again."""
    if session.bind.dialect.name == "postgresql":
        query = "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    else:
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    present = set((await session.execute(sa.text(query))).scalars())
    assert set(_trigger_names()) <= present


async def _logged(session) -> list[int]:
    ids = (await session.scalars(sa.select(VolunteerChange.volunteer_id))).all()
    await session.execute(sa.delete(VolunteerChange))
    return sorted(ids)


async def test_each_write_that_matters_names_its_volunteer(session):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    volunteer = await make_volunteer(session, home_area=community, skills=[skill])
    other = await make_volunteer(session, home_area=community, all_week=False)
    order = await make_order(
        session, community=community, starts_at=TEST_NOW + timedelta(days=1), status="published"
    )
    await _logged(session)
    v = volunteer.id

    await session.execute(sa.update(Volunteer).where(Volunteer.id == v).values(radius_km=9.0))
    assert await _logged(session) == [v]
    await session.execute(sa.delete(VolunteerSkill).where(VolunteerSkill.volunteer_id == v))
    session.add(VolunteerSkill(volunteer_id=other.id, skill_id=skill.id))
    await session.flush()
    assert await _logged(session) == sorted([v, other.id])
    session.add(AvailabilityWindow(volunteer_id=v, weekday=1, start_minute=0, end_minute=60))
    session.add(BlackoutDate(volunteer_id=other.id, day=TEST_NOW.date()))
    await session.flush()
    assert await _logged(session) == sorted([v, other.id])

    # Offers count only as commitments: a new invitation is not logged, accepting it is.
    offer = Offer(order_id=order.id, volunteer_id=v, status=OfferStatus.offered)
    session.add(offer)
    await session.flush()
    assert await _logged(session) == []
    await session.execute(
        sa.update(Offer).where(Offer.id == offer.id).values(status=OfferStatus.accepted.value)
    )
    assert await _logged(session) == [v]
    # The order moves: everyone holding it has a new commitment; a new title changes nothing.
    await session.execute(sa.update(Order).where(Order.id == order.id).values(title="新标题"))
    assert await _logged(session) == []
    await session.execute(
        sa.update(Order)
        .where(Order.id == order.id)
        .values(
            starts_at=order.starts_at + timedelta(hours=1),
            ends_at=order.ends_at + timedelta(hours=1),
        )
    )
    assert await _logged(session) == [v]
    session.add(
        ServiceRecord(
            order_id=order.id,
            volunteer_id=v,
            hours=2.0,
            started_at=TEST_NOW,
            ended_at=TEST_NOW + timedelta(hours=2),
        )
    )
    await session.flush()
    assert await _logged(session) == [v]
    await session.execute(sa.delete(Offer).where(Offer.id == offer.id))
    assert await _logged(session) == [v]
    await session.rollback()
