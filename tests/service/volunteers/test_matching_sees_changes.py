"""A saved profile change counts for matching at once: the worker's candidate preview for an
order (``service.dispatch.preview``) includes or leaves out the volunteer as their skills,
weekly times, blackout dates and pause change — no cache, no delay."""

from __future__ import annotations

from datetime import UTC, datetime

from service.actor import Actor, RoleGrant
from service.context import ActionContext
from service.dispatch.candidates import OrderDraft
from service.dispatch.preview import preview
from service.vocab import Role

URL = "/api/v1/me/volunteer-profile"
# Saturday 2026-11-28, 09:00–11:00 in Shanghai.
STARTS, ENDS = datetime(2026, 11, 28, 1, 0, tzinfo=UTC), datetime(2026, 11, 28, 3, 0, tzinfo=UTC)


async def _candidates(app, world, clock, settings) -> set[int]:
    draft = OrderDraft(
        id=0, lat=37.546, lng=121.412, starts_at=STARTS, ends_at=ENDS,
        skill_ids=frozenset({world.skills["cpr"]}), slots=2, max_distance_km=5.0,
        community_id=world.areas["home"],
    )  # fmt: skip
    worker = Actor(
        user_id=world.users["worker"], grants=(RoleGrant(Role.worker, world.areas["home"]),)
    )
    ctx = ActionContext(actor=worker, now=clock.now(), settings=settings)
    async with app.state.sessionmaker() as fresh:
        found = await preview(fresh, ctx, draft)
    return {candidate.volunteer_id for candidate in found.candidates}


async def test_each_saved_change_counts_for_the_next_preview(app, world, me, clock, settings):
    li = world.volunteers["李明"]
    assert li not in await _candidates(app, world, clock, settings)  # no free time yet

    saturday = {"windows": [{"weekday": 5, "start": "08:00", "end": "12:00"}]}
    assert (await me.put(f"{URL}/availability", json=saturday)).status_code == 200
    assert li in await _candidates(app, world, clock, settings)

    phone_only = {"skill_ids": [world.skills["phone"]]}
    assert (await me.put(f"{URL}/skills", json=phone_only)).status_code == 200
    assert li not in await _candidates(app, world, clock, settings)
    await me.put(f"{URL}/skills", json={"skill_ids": [world.skills["cpr"]]})
    assert li in await _candidates(app, world, clock, settings)

    assert (await me.post(f"{URL}/blackout-dates", json={"day": "2026-11-28"})).status_code == 201
    assert li not in await _candidates(app, world, clock, settings)
    await me.delete(f"{URL}/blackout-dates", params={"day": "2026-11-28"})
    assert li in await _candidates(app, world, clock, settings)

    assert (await me.post(f"{URL}/pause")).status_code == 200
    assert li not in await _candidates(app, world, clock, settings)
    assert (await me.post(f"{URL}/resume")).status_code == 200
    assert li in await _candidates(app, world, clock, settings)

    # Moving home out of reach (the far community, 7 km west) and with a 1 km radius.
    far = {"home_area_id": world.areas["far"], "radius_km": 1}
    assert (await me.patch(URL, json=far)).status_code == 200
    assert li not in await _candidates(app, world, clock, settings)
