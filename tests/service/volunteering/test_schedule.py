"""我的日程: accepted activities by day; what I did in the last weeks."""

from __future__ import annotations

from datetime import timedelta

from service.models import Offer, Order
from service.vocab import OfferStatus, OrderStatus


def _main(page) -> str:
    return page.text[page.text.index("<main") : page.text.index("</main>")]


async def test_the_schedule_shows_upcoming_by_day_and_the_past_weeks(world, me, session):
    past = await session.get(Order, world.orders["invite2"])
    past.starts_at -= timedelta(days=10)
    past.ends_at -= timedelta(days=10)
    past.status = OrderStatus.completed
    offer = await session.get(Offer, world.offers["invite2"])
    offer.status = OfferStatus.completed
    await session.commit()
    page = await me.get("/v/schedule")
    assert page.status_code == 200
    main = _main(page)
    assert "11月25日 周三" in main and "老年人防跌倒讲座" in main
    assert f'href="/v/activities/{world.offers["held"]}"' in main
    recent = main[main.index("最近四周参加的活动") :]
    assert "周末心肺复苏体验课" in recent and "已完成" in recent
    assert "社区急救知识讲座" not in main  # an invitation, not accepted
    assert "王大爷的邀请" not in main
    assert 'href="/v/calendar"' in main


async def test_the_schedule_in_english_and_as_a_fragment(world, me):
    english = _main(await me.get("/v/schedule", headers={"Accept-Language": "en"}))
    assert "<h1>My schedule</h1>" in english and "Wed 25 Nov" in english
    fragment = await me.get("/v/schedule", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and "<h1>我的日程</h1>" in fragment.text
