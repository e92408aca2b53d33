"""我的志愿 and one invitation: whole and as an htmx fragment, in Chinese and English; accept,
decline with a reason, confirm — through the offers service, refusals beside the offer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from service.models import Offer, Volunteer
from service.vocab import OfferStatus, VolunteerStatus

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


def _main(page) -> str:
    text = page.text
    if "<main" in text:
        text = text[text.index("<main") : text.index("</main>")]
    return text


async def _offer(session, offer_id) -> Offer:
    await session.rollback()
    return await session.get(Offer, offer_id, populate_existing=True)


async def test_a_volunteer_lands_on_my_volunteering(world, me):
    start = await me.get("/start")
    assert start.status_code == 303 and start.headers["location"] == "/v"
    page = await me.get("/v")
    assert page.status_code == 200
    assert 'href="/v" aria-current="page">我的志愿</a>' in page.text


async def test_home_shows_my_next_activity_and_waiting_invitations(world, me):
    main = _main(await me.get("/v"))
    assert "<h1>我的志愿</h1>" in main
    nxt = main[main.index("我的下一个活动") : main.index("等我回复的邀请")]
    assert "老年人防跌倒讲座" in nxt and "11月25日 周三 09:00" in nxt and "–11:00" in nxt
    assert "海岸社区 · 海岸社区活动室" in nxt
    assert f'href="/v/activities/{world.offers["held"]}"' in nxt
    assert "确认：我会准时到" not in nxt  # asked for only once the reminder went out
    assert "等我回复的邀请（2 个）" in main
    assert main.index("社区急救知识讲座") < main.index("周末心肺复苏体验课")
    assert "1–3公里" in main and "回复截止" in main
    assert "王大爷的邀请" not in main
    assert main.count("我能去，接受") == 2 and main.count("确认婉拒") == 2


async def test_a_paused_volunteer_is_told_on_home_where_to_resume(world, me, session):
    assert "您已暂停接单" not in _main(await me.get("/v"))
    volunteer = await session.get(Volunteer, world.volunteers["李老师"])
    volunteer.status = VolunteerStatus.paused
    await session.commit()
    main = _main(await me.get("/v"))
    assert "您已暂停接单" in main and 'href="/v/profile#status"' in main
    english = _main(await me.get("/v", headers={"Accept-Language": "en"}))
    assert "You have paused" in english and "Take activities again" in english


async def test_home_as_a_fragment_and_in_english(world, me):
    fragment = await me.get("/v", headers=HTMX)
    assert "<html" not in fragment.text and "<h1>我的志愿</h1>" in fragment.text
    english = _main(await me.get("/v", headers=EN))
    assert "<h1>My volunteering</h1>" in english
    assert "Wed 25 Nov 09:00" in english
    assert "Invitations waiting for my answer (2)" in english
    assert "Yes, I can go" in english and "I can't go" in english
    assert "我的志愿" not in english and "接受" not in english
    both = await me.get("/v", headers={**HTMX, **EN})
    assert "<html" not in both.text and "<h1>My volunteering</h1>" in both.text


async def test_the_offer_page_shows_what_for_whom_when_where_and_skills(world, me):
    page = await me.get(f"/v/offers/{world.offers['invite']}")
    assert page.status_code == 200
    main = _main(page)
    assert "<h1" in main and "社区急救知识讲座" in main
    assert "状态：待回复" in main
    assert "老年人" in main  # for whom
    assert "心肺复苏" in main and "1–3公里" in main
    assert "给社区老人讲心肺复苏。" in main
    assert "共 2 人，还差 2 人" in main
    english = _main(await me.get(f"/v/offers/{world.offers['invite']}", headers=EN))
    assert "Status: Awaiting reply" in english or "Status:" in english
    fragment = await me.get(f"/v/offers/{world.offers['invite']}", headers=HTMX)
    assert "<html" not in fragment.text and "社区急救知识讲座" in fragment.text


async def test_another_volunteers_offer_is_not_found_in_words(world, me):
    page = await me.get(f"/v/offers/{world.offers['other']}")
    assert page.status_code == 404
    assert "王大爷的邀请" not in page.text and "未找到该邀请" in page.text
    english = await me.get(f"/v/offers/{world.offers['other']}", headers=EN)
    assert english.status_code == 404 and "not found" in english.text
    for action in ("accept", "decline", "confirm"):
        response = await me.post(
            f"/v/offers/{world.offers['other']}/{action}", data={"reason": "x"}
        )
        assert response.status_code in (403, 404), action
        assert "王大爷的邀请" not in response.text


async def test_accepting_from_home_goes_to_the_offer(world, me, session):
    offer_id = world.offers["invite"]
    answer = await me.post(f"/v/offers/{offer_id}/accept", data={"back": "home"})
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/v/offers/{offer_id}?done=accepted"
    assert (await _offer(session, offer_id)).status == OfferStatus.accepted
    page = _main(await me.get(answer.headers["location"]))
    assert "已接受，谢谢您" in page and f'href="/v/activities/{offer_id}"' in page
    htmx = await me.post(f"/v/offers/{offer_id}/accept", headers=HTMX)  # again: harmless
    assert htmx.status_code == 204 and htmx.headers["HX-Redirect"].endswith("?done=accepted")


async def test_an_expired_invitation_is_refused_beside_it(world, me, session, clock):
    offer = await session.get(Offer, world.offers["invite"])
    offer.expires_at = clock.now() + timedelta(minutes=1)
    await session.commit()
    clock.advance(timedelta(minutes=5))
    refused = await me.post(f"/v/offers/{world.offers['invite']}/accept", data={"back": "offer"})
    assert refused.status_code == 409
    assert f'id="refusal-{world.offers["invite"]}"' in refused.text
    assert "过了回复时间" in refused.text
    english = await me.post(
        f"/v/offers/{world.offers['invite']}/accept", data={"back": "offer"}, headers=EN
    )
    assert english.status_code == 409 and "timed out" in english.text


async def test_an_overlapping_invitation_is_refused_with_the_held_activity(world, me, session):
    from service.models import Order

    invite = await session.get(Offer, world.offers["invite"])
    order = await session.get(Order, invite.order_id)
    held = await session.get(Order, world.orders["held"])
    order.starts_at, order.ends_at = held.starts_at, held.ends_at
    await session.commit()
    refused = await me.post(f"/v/offers/{world.offers['invite']}/accept", data={"back": "home"})
    assert refused.status_code == 409
    assert "老年人防跌倒讲座" in refused.text and "<h1>我的志愿</h1>" in refused.text
    assert (await _offer(session, world.offers["invite"])).status == OfferStatus.offered


async def test_declining_with_a_tapped_reason(world, me, session):
    offer_id = world.offers["invite2"]
    answer = await me.post(
        f"/v/offers/{offer_id}/decline", data={"reason_choice": "那天有别的事", "back": "home"}
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/v?done=declined"
    offer = await _offer(session, offer_id)
    assert offer.status == OfferStatus.declined and offer.decline_reason == "那天有别的事"
    assert "已婉拒" in (await me.get("/v?done=declined")).text


async def test_declining_with_a_typed_reason_wins_over_the_tap(world, me, session):
    offer_id = world.offers["invite2"]
    await me.post(
        f"/v/offers/{offer_id}/decline",
        data={"reason_choice": "身体不舒服", "reason": "孙子那天生日", "back": "offer"},
    )
    assert (await _offer(session, offer_id)).decline_reason == "孙子那天生日"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "请选一个原因"),
        ({"reason_choice": "我编的原因"}, "请选一个原因"),
        ({"reason": "长" * 501}, "最多 500 个字"),
    ],
)
async def test_a_decline_without_a_usable_reason_is_asked_again(world, me, session, data, message):
    offer_id = world.offers["invite2"]
    refused = await me.post(f"/v/offers/{offer_id}/decline", data={**data, "back": "home"})
    assert refused.status_code == 422
    assert message in refused.text and 'aria-invalid="true"' in refused.text
    assert f'id="decline-error-{offer_id}"' in refused.text
    assert '<details class="vol-decline" open>' in refused.text
    assert (await _offer(session, offer_id)).status == OfferStatus.offered


async def test_a_decline_error_in_english(world, me):
    refused = await me.post(
        f"/v/offers/{world.offers['invite2']}/decline", data={"back": "offer"}, headers=EN
    )
    assert refused.status_code == 422 and "Pick a reason" in refused.text


async def test_confirming_my_next_activity(world, me, session, clock):
    from service.models import Order

    held = await session.get(Order, world.orders["held"])
    held.starts_at, held.ends_at = (
        clock.now() + timedelta(hours=12),
        clock.now() + timedelta(hours=14),
    )
    await session.commit()  # within the 24 hours the reminder asks for a confirmation
    offer_id = world.offers["held"]
    assert "确认：我会准时到" in _main(await me.get("/v"))
    answer = await me.post(f"/v/offers/{offer_id}/confirm", data={"back": "home"})
    assert answer.status_code == 303 and answer.headers["location"] == "/v?done=confirmed"
    assert (await _offer(session, offer_id)).confirmed_at is not None
    main = _main(await me.get("/v?done=confirmed"))
    assert "已确认" in main and "确认：我会准时到" not in main
    refused = await me.post(f"/v/offers/{world.offers['invite']}/confirm", data={"back": "home"})
    assert refused.status_code == 409 and 'role="alert"' in refused.text


async def test_only_volunteers_open_these_pages(world, client):
    for path in ("/v", "/v/nearby", "/v/schedule", "/v/calendar"):
        response = await client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")
