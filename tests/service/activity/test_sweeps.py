"""The forgotten check-out sweep runs in its own transaction, as a worker would call it."""

from datetime import timedelta

from service.activity.sweeps import close_forgotten_checkouts_sweep
from service.models import Offer
from tests.factories import ZHIFU_LAT, ZHIFU_LNG
from tests.loop_helpers import staffed_order


async def test_sweep_closes_and_commits(app, client, session, clock):
    _, _, order, [(_, auth, offer)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    at_the_venue = {"lat": ZHIFU_LAT, "lng": ZHIFU_LNG}
    await client.post(f"/api/v1/offers/{offer.id}/check-in", json=at_the_venue, headers=auth)
    later = order.ends_at + timedelta(minutes=1)
    assert (
        await close_forgotten_checkouts_sweep(app.state.sessionmaker, app.state.settings, later)
        == 1
    )
    assert (
        await close_forgotten_checkouts_sweep(app.state.sessionmaker, app.state.settings, later)
        == 0
    )
    await session.commit()
    row = await session.get(Offer, offer.id, populate_existing=True)
    assert row.checked_out_at == order.ends_at
    assert row.flags == ["auto_checkout"]
