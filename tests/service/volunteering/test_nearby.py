"""附近可接: one rule for the page and the API — only the open orders I can actually take."""

from __future__ import annotations

from service.models import Offer
from service.vocab import OfferStatus

EXPECTED_OUT = (
    "开放·缺技能",
    "开放·太远",
    "开放·时间冲突",
    "开放·已满",
    "开放·已婉拒",
    "开放·不在时段",
)


async def test_the_api_lists_only_the_orders_i_can_take(world, me):
    response = await me.get("/api/v1/orders/nearby")
    assert response.status_code == 200
    titles = [order["title"] for order in response.json()]
    assert titles == ["开放·能接"]


async def test_an_order_needing_a_skill_i_lack_is_no_longer_listed(world, me):
    response = await me.get("/api/v1/orders/nearby", params={"limit": 100})
    ids = {order["id"] for order in response.json()}
    assert world.orders["open_skill"] not in ids
    # … and accepting it is what the list spared me: a 409 naming the skill.
    refused = await me.post(f"/api/v1/orders/{world.orders['open_skill']}/accept")
    assert refused.status_code == 409 and "技能" in refused.json()["detail"]


async def test_every_listed_order_can_be_accepted(world, me):
    listed = (await me.get("/api/v1/orders/nearby")).json()
    for order in listed:
        taken = await me.post(f"/api/v1/orders/{order['id']}/accept")
        assert taken.status_code == 200, taken.text
    again = (await me.get("/api/v1/orders/nearby")).json()
    assert again == []  # taken: answered by me now


async def test_a_paused_volunteer_sees_nothing(world, me, session):
    from service.models import Volunteer

    volunteer = await session.get(Volunteer, world.volunteers["李老师"])
    volunteer.status = "paused"
    await session.commit()
    assert (await me.get("/api/v1/orders/nearby")).json() == []


async def test_a_withdrawn_acceptance_may_be_taken_up_again(world, me, session):
    offer = await session.get(Offer, world.offers["answered"])
    offer.status = OfferStatus.withdrawn
    await session.commit()
    titles = {o["title"] for o in (await me.get("/api/v1/orders/nearby")).json()}
    assert titles == {"开放·能接", "开放·已婉拒"}


async def test_the_nearby_page_shows_bands_never_distances(world, me):
    page = await me.get("/v/nearby")
    assert page.status_code == 200
    main = page.text[page.text.index("<main") :]
    assert "开放·能接" in main
    assert "1–3公里" in main and "离我家" in main
    for title in EXPECTED_OUT:
        assert title not in main
    assert "km" not in main.split("</main>")[0].replace("1–3公里", "")


async def test_the_nearby_page_in_english_and_as_a_fragment(world, me):
    english = await me.get("/v/nearby", headers={"Accept-Language": "en"})
    assert "<h1>Near me</h1>" in english.text and "1–3 km" in english.text
    assert "I'll take this one" in english.text
    fragment = await me.get("/v/nearby", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<h1>附近可接</h1>" in fragment.text


async def test_taking_an_order_from_the_page(world, me, session):
    order_id = world.orders["open_ok"]
    taken = await me.post(f"/v/nearby/{order_id}/accept")
    assert taken.status_code == 303
    assert taken.headers["location"].startswith("/v/offers/")
    assert taken.headers["location"].endswith("?done=accepted")
    page = await me.get(taken.headers["location"])
    assert "已接受，谢谢您" in page.text and "开放·能接" in page.text
    htmx = await me.post(f"/v/nearby/{order_id}/accept", headers={"HX-Request": "true"})
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].startswith("/v/offers/")


async def test_a_refused_take_is_said_on_the_page_with_its_status(world, me):
    refused = await me.post(f"/v/nearby/{world.orders['open_skill']}/accept")
    assert refused.status_code == 409
    assert 'role="alert"' in refused.text and "技能" in refused.text
    english = await me.post(
        f"/v/nearby/{world.orders['open_full']}/accept", headers={"Accept-Language": "en"}
    )
    assert english.status_code == 409 and "<h1>Near me</h1>" in english.text
    missing = await me.post("/v/nearby/999999/accept")
    assert missing.status_code == 404
