"""评单: residents rate once per code without a login; workers rate volunteers; the loop closes."""

import asyncio
from datetime import timedelta

import httpx
import sqlalchemy as sa

from service.evaluations.codes import ALPHABET, LENGTH, looks_valid, new_code, normalize
from service.models import Evaluation, Event, Order, Volunteer
from service.vocab import Role
from tests.factories import make_area
from tests.loop_helpers import staffed_order, user_with_token

NEAR = {"lat": 37.5401, "lng": 121.4}


async def fresh(session, model, row_id):
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


async def completed_order(client, session, clock, *, volunteers=2, codes=5):
    """An order whose volunteers all checked in and out and which the worker confirmed."""
    _, worker_auth, order, people = await staffed_order(
        session, starts_at=clock.now(), volunteers=volunteers
    )
    for _, auth, offer in people:
        await client.post(f"/api/v1/offers/{offer.id}/check-in", json=NEAR, headers=auth)
    clock.advance(timedelta(hours=2))
    response = await client.post(
        f"/api/v1/orders/{order.id}/completion", json={"rating_codes": codes}, headers=worker_auth
    )
    assert response.status_code == 200, response.text
    return worker_auth, order, people, response.json()["rating_codes"]


def test_codes_use_an_unambiguous_alphabet():
    assert not set("01OIL") & set(ALPHABET)
    codes = {new_code() for _ in range(500)}
    assert all(looks_valid(code) and len(code) == LENGTH for code in codes)
    assert normalize(" 7k3-m9q ") == "7K3M9Q"


async def test_resident_rates_once_per_code_without_login(client, session, clock):
    worker_auth, order, _, codes = await completed_order(client, session, clock)
    code = codes[0]
    info = await client.get(f"/api/v1/ratings/{code.lower()}")
    assert info.status_code == 200
    assert info.json()["order_id"] == order.id and info.json()["can_rate"] is True
    typed_loosely = f"{code[:3]}-{code[3:].lower()}"
    first = await client.post(
        "/api/v1/ratings", json={"code": typed_loosely, "stars": 5, "comment": "很实用"}
    )
    assert first.status_code == 201, first.text
    assert first.json()["evaluation"]["rater_kind"] == "resident"
    second = await client.post("/api/v1/ratings", json={"code": code, "stars": 1})
    assert second.status_code == 409 and "已使用" in second.json()["detail"]
    assert (await client.get(f"/api/v1/ratings/{code}")).json()["used"] is True
    unknown = await client.post("/api/v1/ratings", json={"code": "ZZZZZZ", "stars": 3})
    assert unknown.status_code == 404 and unknown.json()["title"] == "未找到"
    for bad in ({"code": codes[1], "stars": 0}, {"code": codes[1], "stars": 6}):
        assert (await client.post("/api/v1/ratings", json=bad)).status_code == 422
    summary = (
        await client.get(f"/api/v1/orders/{order.id}/evaluations", headers=worker_auth)
    ).json()
    assert summary["resident_count"] == 1 and summary["resident_avg"] == 5.0
    listed = (
        await client.get(f"/api/v1/orders/{order.id}/rating-codes", headers=worker_auth)
    ).json()
    assert len(listed["items"]) == 5 and listed["used"] == 1


async def test_a_code_raced_from_many_phones_counts_once(client, session, clock):
    *_, codes = await completed_order(client, session, clock, codes=1)
    attempts = await asyncio.gather(
        *(client.post("/api/v1/ratings", json={"code": codes[0], "stars": 4}) for _ in range(8))
    )
    assert sorted(r.status_code for r in attempts) == [201] + [409] * 7
    await session.commit()
    count = await session.scalar(sa.select(sa.func.count()).select_from(Evaluation))
    assert count == 1


async def test_worker_rates_each_volunteer_and_the_order_becomes_evaluated(client, session, clock):
    worker_auth, order, people, _ = await completed_order(client, session, clock)
    (v1, _, _), (v2, _, _) = people
    url = f"/api/v1/orders/{order.id}/volunteer-ratings"
    first = await client.post(url, json={"volunteer_id": v1.id, "stars": 4}, headers=worker_auth)
    assert first.status_code == 201, first.text
    assert first.json()["order_status"] == "completed"
    rated = await fresh(session, Volunteer, v1.id)
    assert (rated.rating_avg, rated.rating_count) == (4.0, 1)

    again = await client.post(url, json={"volunteer_id": v1.id, "stars": 5}, headers=worker_auth)
    assert again.status_code == 409
    last = await client.post(
        url, json={"volunteer_id": v2.id, "stars": 5, "comment": "耐心"}, headers=worker_auth
    )
    assert last.json()["order_status"] == "evaluated"
    assert (await fresh(session, Order, order.id)).status == "evaluated"
    event = await session.scalar(sa.select(Event).where(Event.to_status == "evaluated"))
    assert event.from_status == "completed" and event.entity == "order"


async def test_volunteer_average_folds_in_history(client, session, clock):
    worker_auth, order, [(v1, _, _)], _ = await completed_order(
        client, session, clock, volunteers=1
    )
    volunteer = await fresh(session, Volunteer, v1.id)
    volunteer.rating_avg, volunteer.rating_count = 3.0, 3
    await session.commit()
    await client.post(
        f"/api/v1/orders/{order.id}/volunteer-ratings",
        json={"volunteer_id": v1.id, "stars": 5},
        headers=worker_auth,
    )
    volunteer = await fresh(session, Volunteer, v1.id)
    assert (volunteer.rating_avg, volunteer.rating_count) == (3.5, 4)


async def test_rating_refusals(client, session, clock):
    _, worker_auth, order, [(v1, v1_auth, _)] = await staffed_order(
        session, starts_at=clock.now(), volunteers=1
    )
    url = f"/api/v1/orders/{order.id}/volunteer-ratings"
    early = await client.post(url, json={"volunteer_id": v1.id, "stars": 5}, headers=worker_auth)
    assert early.status_code == 409 and "确认完成" in early.json()["detail"]
    codes = await client.post(
        f"/api/v1/orders/{order.id}/rating-codes", json={"count": 3}, headers=worker_auth
    )
    assert codes.status_code == 409
    resident = await client.post(url, json={"volunteer_id": v1.id, "stars": 5}, headers=v1_auth)
    assert resident.status_code == 403
    other = await make_area(session, name="别的社区")
    _, stranger = await user_with_token(session, (Role.worker, other.id, None))
    await session.commit()
    forbidden = await client.get(f"/api/v1/orders/{order.id}/evaluations", headers=stranger)
    assert forbidden.status_code == 403


async def test_only_volunteers_who_served_can_be_rated(client, session, clock):
    _, worker_auth, order, people = await staffed_order(session, starts_at=clock.now())
    (v1, a1, o1), (v2, _, _) = people
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    clock.advance(timedelta(hours=2))
    await client.post(f"/api/v1/orders/{order.id}/completion", json={}, headers=worker_auth)
    url = f"/api/v1/orders/{order.id}/volunteer-ratings"
    no_show = await client.post(url, json={"volunteer_id": v2.id, "stars": 1}, headers=worker_auth)
    assert no_show.status_code == 422
    # The one who served is rated: that is everyone, so the order is evaluated.
    done = await client.post(url, json={"volunteer_id": v1.id, "stars": 5}, headers=worker_auth)
    assert done.json()["order_status"] == "evaluated"
    more = await client.post(
        f"/api/v1/orders/{order.id}/rating-codes", json={"count": 4}, headers=worker_auth
    )
    assert more.status_code == 201 and len(more.json()["items"]) == 4


async def test_rating_code_guessing_is_throttled_per_ip(app, client, session, clock, settings):
    *_, codes = await completed_order(client, session, clock, codes=1)
    guesses = iter(
        f"{n:06d}".translate(str.maketrans("0123456789", "23456789AB")) for n in range(99)
    )
    for n in range(settings.rating_code_max_attempts):  # wrong guesses by look-up and by rating
        guess = next(guesses)
        if n % 2:
            response = await client.post("/api/v1/ratings", json={"code": guess, "stars": 5})
        else:
            response = await client.get(f"/api/v1/ratings/{guess}")
        assert response.status_code == 404, response.text
    for response in (
        await client.get(f"/api/v1/ratings/{codes[0]}"),
        await client.post("/api/v1/ratings", json={"code": codes[0], "stars": 5}),
    ):
        assert response.status_code == 429, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert int(response.headers["Retry-After"]) > 0
        assert (
            response.json()["title"] == "操作过于频繁" and "分钟后重试" in response.json()["detail"]
        )
    await session.commit()
    assert await session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0
    # Another address is not held up, and the window slides.
    transport = httpx.ASGITransport(app=app, client=("10.0.0.2", 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        assert (await other.get(f"/api/v1/ratings/{codes[0]}")).status_code == 200
    clock.advance(timedelta(minutes=settings.login_window_minutes, seconds=1))
    rated = await client.post("/api/v1/ratings", json={"code": codes[0], "stars": 5})
    assert rated.status_code == 201, rated.text
