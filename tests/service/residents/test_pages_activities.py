"""Residents' pages without an account: activities near a community or a place, one activity,
the home page's entries, 长辈 mode by default — whole and as htmx fragments, in zh and en."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from service.vocab import AreaLevel, OrderStatus, TargetGroup
from tests.factories import ZHIFU_LAT, ZHIFU_LNG, make_area, make_order

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


async def arrange(session, clock):
    """Two communities 3 km apart with one activity each, and activities nobody may see."""
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    here = await make_area(session, parent=street, name="海岸社区")
    there = await make_area(session, parent=street, name="山顶社区", lat=ZHIFU_LAT + 0.027)
    soon = clock.now() + timedelta(days=2)
    far = await make_order(
        session, community=there, starts_at=soon, status=OrderStatus.published,
        title="山顶防诈骗讲座", lat=ZHIFU_LAT + 0.027, venue_address="山顶路 8 号",
    )  # fmt: skip
    near = await make_order(
        session, community=here, starts_at=soon + timedelta(days=3), slots=3,
        status=OrderStatus.staffed, accepted_count=3, title="海岸急救课",
        target_group=TargetGroup.youth, venue_address="海岸路 1 号", venue_name="海岸活动室",
    )  # fmt: skip
    hidden = {}
    for status in (OrderStatus.draft, OrderStatus.cancelled, OrderStatus.expired):
        row = await make_order(
            session, community=here, starts_at=soon, status=status, title=f"不公开{status}"
        )
        hidden[status] = row.id
    done = await make_order(
        session, community=here, starts_at=clock.now() - timedelta(days=3),
        status=OrderStatus.completed, title="上周的讲座",
    )  # fmt: skip
    await session.commit()
    return {"here": here, "there": there, "far": far, "near": near, "hidden": hidden, "done": done}


def main(page) -> str:
    text = page.text
    return text[text.index("<main") : text.index("</main>")] if "<main" in text else text


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_activities_near_a_community_come_nearest_first(client, session, clock, headers):
    world = await arrange(session, clock)
    page = await client.get(f"/activities?community_id={world['here'].id}", headers=headers)
    assert page.status_code == 200
    assert ("<html" in page.text) != bool(headers)
    body = main(page)
    assert "离海岸社区最近的活动" in body
    assert body.index("海岸急救课") < body.index("山顶防诈骗讲座")
    assert "约 100 米" in body and "约 3.0 公里" in body
    assert "青少年" in body and "老年人" in body
    assert "不公开" not in body and "上周的讲座" not in body
    assert f'href="/activities/{world["near"].id}"' in body


async def test_activities_near_the_phones_place(client, session, clock):
    world = await arrange(session, clock)
    page = await client.get(f"/activities?lat={ZHIFU_LAT + 0.027}&lng={ZHIFU_LNG}")
    body = main(page)
    assert "离您最近的活动" in body
    assert body.index("山顶防诈骗讲座") < body.index("海岸急救课")
    assert world["far"].title in body


@pytest.mark.parametrize(
    "query",
    ["lat=abc&lng=1", "lat=95&lng=1", "lat=nan&lng=nan", "community_id=999999", "community_id=x"],
)
async def test_a_place_not_understood_is_said_and_the_list_still_shows(
    client, session, clock, query
):
    await arrange(session, clock)
    page = await client.get(f"/activities?{query}")
    assert page.status_code == 200
    assert "请在上面选择社区" in page.text or "没有找到这个社区" in page.text
    assert "即将开始的活动" in main(page) and "海岸急救课" in page.text


async def test_a_phone_far_from_the_district_is_asked_to_choose_a_community(client, session, clock):
    await arrange(session, clock)
    page = await client.get("/activities?lat=0&lng=0")
    assert page.status_code == 200 and "离本区的社区太远" in page.text
    assert "约 " not in main(page)  # no distance from the Gulf of Guinea


async def test_activities_in_english(client, session, clock):
    world = await arrange(session, clock)
    page = await client.get(f"/activities?community_id={world['here'].id}", headers=EN)
    body = main(page)
    assert "<h1>Activities near you</h1>" in body
    assert "about 100 m" in body and "about 3.0 km" in body
    assert "Youth" in body and "附近" not in body


@pytest.mark.parametrize("headers", [{}, HTMX, EN], ids=["page", "htmx", "en"])
async def test_one_activity_says_what_when_where_and_who_is_coming(client, session, clock, headers):
    world = await arrange(session, clock)
    page = await client.get(f"/activities/{world['near'].id}", headers=headers)
    assert page.status_code == 200
    body = main(page)
    if headers is EN:
        assert "3 volunteers are coming (3 needed)" in body
        assert "Go to 海岸路 1 号 and look for “海岸活动室”." in body
    else:
        assert "已有 3 位志愿者报名（共需 3 位）" in body
        assert "到海岸路 1 号，找「海岸活动室」。" in body
        assert "青少年" in body
    assert "/rate" not in body  # not over yet


async def test_an_activity_that_ended_links_to_its_rating(client, session, clock):
    world = await arrange(session, clock)
    page = await client.get(f"/activities/{world['done'].id}")
    assert page.status_code == 200 and 'href="/rate"' in main(page)


async def test_unknown_and_non_public_activities_are_not_found_in_words(client, session, clock):
    world = await arrange(session, clock)
    for order_id in [*world["hidden"].values(), 987654]:
        page = await client.get(f"/activities/{order_id}")
        assert page.status_code == 404
        assert "没有找到这个活动" in page.text and "不公开" not in page.text
    english = await client.get(f"/activities/{world['hidden'][OrderStatus.draft]}", headers=EN)
    assert english.status_code == 404 and "could not find this activity" in english.text


async def test_resident_pages_open_in_large_text_until_switched_off(client, session, clock):
    world = await arrange(session, clock)
    for url in ("/", "/activities", f"/activities/{world['near'].id}", "/demand", "/rate"):
        page = await client.get(url)
        assert re.search(r'<html lang="zh-CN" class="large-text"', page.text), url
    client.cookies.set("kepu_large", "0")
    page = await client.get("/activities")
    assert 'class="large-text"' not in page.text.split(">", 2)[1]


async def test_the_login_page_keeps_normal_text(client):
    page = await client.get("/login")
    assert 'class="large-text"' not in page.text[:300]


async def test_home_offers_the_four_things_a_resident_can_do(client, session, clock):
    await arrange(session, clock)
    body = main(await client.get("/"))
    for words in ("我要点单", "附近的科普活动", "查询点单进度", "评价活动"):
        assert words in body
    for path in ("/demand", "/activities", "/demand/follow", "/rate"):
        assert f'href="{path}"' in body
    english = main(await client.get("/", headers=EN))
    assert "I want an activity" in english and "Rate an activity" in english


async def test_a_long_list_shows_the_nearest_ten_and_offers_the_rest(client, session, clock):
    world = await arrange(session, clock)
    for n in range(10):
        await make_order(
            session, community=world["there"], starts_at=clock.now() + timedelta(days=1),
            status=OrderStatus.published, title=f"加场{n}", lat=ZHIFU_LAT + 0.03,
        )  # fmt: skip
    await session.commit()
    url = f"/activities?community_id={world['here'].id}"
    body = main(await client.get(url))
    assert body.count('class="resident-card"') == 10 and "海岸急救课" in body
    assert "显示更多活动（还有 2 个）" in body
    assert f'href="/activities?community_id={world["here"].id}&amp;show=all"' in body
    everything = main(await client.get(url + "&show=all"))
    assert everything.count('class="resident-card"') == 12 and "显示更多" not in everything
    english = main(await client.get(url, headers=EN))
    assert "Show more activities (2 more)" in english
