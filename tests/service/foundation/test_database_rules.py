"""The rules live in the database too: CHECKs, unique keys and the append-only event log."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, IntegrityError

from service.models import Evaluation, Event, Offer, Order
from tests.factories import make_area_tree, make_order, make_volunteer


@pytest.fixture
async def order(session, clock):
    _, _, community = await make_area_tree(session)
    order = await make_order(session, community=community, starts_at=clock.now(), slots=2)
    await session.commit()
    # Plain values: a rollback in a test expires ORM attributes, and async code cannot lazy-load.
    return SimpleNamespace(id=order.id, community_id=community.id, starts_at=order.starts_at)


async def _violates(session, statement) -> bool:
    try:
        await session.execute(statement)
        await session.flush()
    except (IntegrityError, DBAPIError):
        await session.rollback()
        return True
    await session.rollback()
    return False


async def test_accepted_count_cannot_exceed_slots(session, order):
    assert await _violates(
        session, sa.update(Order).where(Order.id == order.id).values(accepted_count=3)
    )
    assert not await _violates(
        session, sa.update(Order).where(Order.id == order.id).values(accepted_count=2)
    )


async def test_slots_must_be_at_least_one(session, order):
    assert await _violates(session, sa.update(Order).where(Order.id == order.id).values(slots=0))


async def test_order_must_end_after_it_starts(session, order):
    statement = sa.update(Order).where(Order.id == order.id).values(ends_at=order.starts_at)
    assert await _violates(session, statement)


async def test_latitude_out_of_range_is_refused(session, order):
    assert await _violates(
        session, sa.update(Order).where(Order.id == order.id).values(venue_lat=91)
    )


async def test_rating_outside_one_to_five_is_refused(session, order):
    for stars, refused in ((0, True), (6, True), (5, False)):
        statement = sa.insert(Evaluation).values(
            order_id=order.id,
            rater_kind="resident",
            stars=stars,
            comment="",
            created_at=order.starts_at,
        )
        assert await _violates(session, statement) is refused


async def test_one_offer_per_order_and_volunteer(session, order):
    community_id = order.community_id
    from service.models import Area

    community = await session.get(Area, community_id)
    volunteer = await make_volunteer(session, home_area=community)
    await session.commit()
    values = {"order_id": order.id, "volunteer_id": volunteer.id, "status": "offered"}
    now = order.starts_at - timedelta(days=1)
    await session.execute(
        sa.insert(Offer).values(**values, offered_at=now, updated_at=now, flags=[])
    )
    await session.commit()
    statement = sa.insert(Offer).values(**values, offered_at=now, updated_at=now, flags=[])
    assert await _violates(session, statement)


async def test_event_log_is_append_only(session, order):
    session.add(Event(entity="order", entity_id=order.id, order_id=order.id, to_status="draft"))
    await session.commit()
    assert await _violates(session, sa.update(Event).values(reason="rewritten history"))
    assert await _violates(session, sa.delete(Event))
    assert await session.scalar(sa.select(sa.func.count()).select_from(Event)) == 1


async def test_event_entity_is_one_of_the_lifecycle_machines(session, order):
    for entity in ("user", "volunteer", "notification"):
        session.add(Event(entity=entity, entity_id=1, to_status="active"))
    await session.commit()
    statement = sa.insert(Event).values(entity="invoice", entity_id=1, to_status="paid")
    assert await _violates(session, statement)
