"""The order page (GET /desk/orders/{id}): the order in words, its offers and history, scope."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.models import AuditEntry
from tests.service.orders.desk_world import EN, HX, build_desk_world


@pytest.fixture
async def world(app, settings, session, clock):
    return await build_desk_world(app, settings, session, clock)


def _main(html: str) -> str:
    """The page's own content, without the navigation and footer."""
    return html.split('id="main"', 1)[1].split("</main>", 1)[0] if 'id="main"' in html else html


async def test_the_order_page_says_what_when_where_and_who_in_words(world):
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{world.order_id('lecture')}")
    assert page.status_code == 200
    html = _main(page.text)
    assert "<h1>社区急救知识讲座</h1>" in html
    assert "已派单" in html and "已接单 1 / 2 人" in html  # status and 名额 in words
    assert "11月26日（周四） 10:00" in html  # 3 days after Monday 10:00, local time
    assert "心肺复苏" in html and "老年人" in html and "朝阳街社区" in html
    assert "定向邀请（按匹配度依次邀请志愿者）" in html
    # Offers: who accepted, who is still asked — masked names, masked phones only.
    assert "李*" in html and "张*" in html and "赵*" in html
    assert "李明" not in html and "张伟" not in html
    assert "已接单的志愿者" in html and "等待回复的邀请" in html and "第 1 顺位" in html
    for volunteer in world.volunteers.values():
        user = await _user(world, volunteer.user_id)
        assert user.phone not in page.text
    # History in words: who did what, from → to; never raw ids or JSON.
    assert "王芳 派单" in html and "草稿 → 已派单" in html
    assert "志愿者 李* 接单" in html and "待回复 → 已接单" in html
    assert "邀请志愿者 张*" in html
    visible = re.sub(r"<[^>]+>", " ", html)
    assert not re.search(r"order_id|offer_id|volunteer_id|\{\"|\bNone\b", visible)


async def _user(world, user_id):
    from service.models import User

    async with world.app.state.sessionmaker() as session:
        return await session.get(User, user_id)


async def test_the_order_page_in_english_and_as_an_htmx_fragment(world):
    order_id = world.order_id("lecture")
    async with world.client(**EN) as http:
        english = await http.get(f"/desk/orders/{order_id}")
        fragment = await http.get(f"/desk/orders/{order_id}", headers=HX)
    assert english.status_code == 200 and '<html lang="en"' in english.text
    html = _main(english.text)
    assert "Dispatched" in html and "1 of 2 accepted" in html
    assert "Thu 11/26 10:00" in html
    assert "王芳 dispatched the activity" in html and "Volunteer 李* accepted" in html
    assert "Invitations and acceptances" in html and "History" in html
    assert "已派单" not in html and "邀请与接单" not in html
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "1 of 2 accepted" in fragment.text and "<h1>社区急救知识讲座</h1>" in fragment.text


async def test_each_live_fragment_renders_alone_in_both_languages(world):
    order_id = world.order_id("lecture")
    expected = {
        "summary": ("已接单 1 / 2 人", "1 of 2 accepted"),
        "offers": ("志愿者", "Volunteers who accepted"),
        "timeline": ("王芳 派单", "王芳 dispatched the activity"),
    }
    for block, (chinese, english) in expected.items():
        url = f"/desk/orders/{order_id}/fragment?block={block}"
        for headers, text in (({}, chinese), (HX, chinese), (EN, english), ({**HX, **EN}, english)):
            async with world.client(**headers) as http:
                response = await http.get(url)
            assert response.status_code == 200, (block, headers)
            assert text in response.text and "<html" not in response.text, (block, headers)
            # The fragment replaces itself: its outer element carries the live trigger.
            assert 'hx-trigger="sse:order-changed, every 30s"' in response.text
            assert f"block={block}" in response.text


async def test_the_page_listens_to_its_own_stream(world):
    order_id = world.order_id("lecture")
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        version = await http.get(f"/desk/orders/{order_id}/live")
    assert version.status_code == 200 and version.headers["content-type"].startswith("text/plain")
    assert f'sse-connect="/desk/orders/{order_id}/live?since={version.text}"' in page.text
    assert 'hx-ext="sse"' in page.text


async def test_a_cancelled_order_is_not_live(world):
    order_id = world.order_id("draft")
    async with world.client() as http:
        cancel = await http.post(f"/desk/orders/{order_id}/cancel", data={"reason": "场地维修"})
        assert cancel.status_code == 303
        page = await http.get(f"/desk/orders/{order_id}")
    assert "已取消" in page.text and "原因：场地维修" in page.text
    assert "sse-connect" not in page.text and "hx-trigger" not in page.text


@pytest.mark.parametrize("who", ["stranger", "far_coordinator"])
async def test_another_communitys_staff_get_nothing(world, who):
    order_id = world.order_id("lecture")
    urls = [
        f"/desk/orders/{order_id}",
        f"/desk/orders/{order_id}/fragment?block=offers",
        f"/desk/orders/{order_id}/fragment?block=timeline",
        f"/desk/orders/{order_id}/live",
        f"/desk/orders/{order_id}/cancel",
        f"/desk/orders/{order_id}/offers/{world.offer_ids['zhang']}/withdraw",
    ]
    async with world.client(who) as http:
        for url in urls:
            for headers in ({}, HX):
                response = await http.get(url, headers=headers)
                assert response.status_code in (403, 404), url
                assert "社区急救知识讲座" not in response.text and "李*" not in response.text
        for action in ("publish", "redispatch", "cancel"):
            response = await http.post(f"/desk/orders/{order_id}/{action}", data={"reason": "x"})
            assert response.status_code in (403, 404), action
            assert "社区急救知识讲座" not in response.text
        response = await http.post(
            f"/desk/orders/{order_id}/offers/{world.offer_ids['zhang']}/withdraw", data={}
        )
        assert response.status_code in (403, 404)


async def test_the_streets_coordinator_reads_and_manages_but_sees_no_full_number(world):
    async with world.client("coordinator") as http:
        page = await http.get(f"/desk/orders/{world.order_id('lecture')}")
    assert page.status_code == 200 and "社区急救知识讲座" in page.text
    assert "重新派单" in page.text and "取消活动" in page.text
    assert "显示完整号码" not in page.text  # full numbers are for the community's own worker


async def test_volunteers_and_anonymous_visitors_do_not_get_the_desk(world):
    order_id = world.order_id("lecture")
    async with world.client("li") as http:
        assert (await http.get(f"/desk/orders/{order_id}")).status_code == 403
        assert (await http.get("/desk")).status_code == 403
    from tests.service.auth.helpers import client_for

    async with client_for(world.app) as http:
        response = await http.get(f"/desk/orders/{order_id}")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_the_worker_reveals_an_accepted_volunteers_number_in_place_and_it_is_audited(world):
    order_id = world.order_id("lecture")
    li = world.volunteers["li"]
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        button = re.search(
            r'hx-post="(/users/(\d+)/phone-reveal)"\s+hx-vals=\'\{"order_id": "(\d+)"\}\'',
            page.text,
        )
        assert button and int(button.group(2)) == li.user_id and int(button.group(3)) == order_id
        assert 'hx-target="closest .reveal"' in page.text and "记入操作日志" in page.text
        # Only the accepted volunteer has the button; the invited ones do not.
        assert page.text.count("/phone-reveal") == 1
        revealed = await http.post(button.group(1), data={"order_id": str(order_id)}, headers=HX)
    phone = (await _user(world, li.user_id)).phone
    assert revealed.status_code == 200 and phone in revealed.text
    async with world.app.state.sessionmaker() as session:
        audited = await session.scalar(
            sa.select(sa.func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.target_user_id == li.user_id)
        )
    assert audited == 1
