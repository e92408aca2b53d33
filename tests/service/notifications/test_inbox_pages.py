"""The inbox page (消息): my messages in my language, newest first; opening one marks it read and
goes to what it is about for the role I act in; the header's unread count; the live stream."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from service.messages import text
from service.notifications.outbox import notify
from service.notifications.routes_pages import message_target
from service.vocab import Role
from tests.factories import make_user

HTMX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


@pytest.fixture
async def people(session, clock):
    me = await make_user(session, name="李志愿", roles=((Role.volunteer, None, None),))
    other = await make_user(session, name="王别人", roles=((Role.volunteer, None, None),))
    now = clock.now()
    rows = {
        "old": await notify(
            session,
            user_id=me.id,
            kind="service_recorded",
            title=text("notification.service_recorded.title", order_title="防诈骗讲座"),
            body=text("notification.service_recorded.body", hours=2.5),
            payload={"order_id": 7},
            now=now,
        ),
        "new": await notify(
            session,
            user_id=me.id,
            kind="offer_new",
            title="新的邀请：急救培训",
            payload={"order_id": 8, "offer_id": 21},
            now=now + timedelta(minutes=5),
        ),
        "foreign": await notify(session, user_id=other.id, kind="t", title="别人的消息", now=now),
    }
    await session.commit()
    return me, other, rows


def _main(page) -> str:
    text_ = page.text
    return text_[text_.index("<main") : text_.index("</main>")] if "<main" in text_ else text_


async def test_the_inbox_lists_only_my_messages_newest_first_with_the_unread_count(people, login):
    me, _other, _rows = people
    client = await login(me.id)
    page = await client.get("/inbox")
    assert page.status_code == 200
    main = _main(page)
    assert "<h1>我的消息</h1>" in main and "2 条未读" in main
    assert main.index("新的邀请：急救培训") < main.index("防诈骗讲座")
    assert "别人的消息" not in page.text
    badge = await client.get("/inbox/badge")
    assert badge.json() == {"unread": 2}
    assert 'class="inbox-link"' in page.text  # the header's 消息 link


async def test_the_inbox_in_english_says_catalogue_messages_in_english(people, login):
    me, _other, _rows = people
    client = await login(me.id)
    main = _main(await client.get("/inbox", headers=EN))
    assert "<h1>My messages</h1>" in main and "2 unread" in main
    assert "防诈骗讲座" in main  # the order's title is the order's own
    assert "我的消息" not in main and "全部标为已读" not in main
    fragment = await client.get("/inbox/list", headers={**HTMX, **EN})
    assert "<html" not in fragment.text and 'id="inbox-messages"' in fragment.text
    assert "Mark all as read" in fragment.text
    whole_as_fragment = await client.get("/inbox", headers=HTMX)
    assert "<html" not in whole_as_fragment.text and "<h1>我的消息</h1>" in whole_as_fragment.text


async def test_opening_a_message_marks_it_read_and_goes_to_my_offer(people, login, session):
    me, _other, rows = people
    client = await login(me.id)
    opened = await client.post(f"/inbox/{rows['new'].id}/open")
    assert opened.status_code == 303 and opened.headers["location"] == "/v/offers/21"
    await session.refresh(rows["new"])
    assert rows["new"].read_at is not None
    assert (await client.get("/inbox/badge")).json() == {"unread": 1}
    with_htmx = await client.post(f"/inbox/{rows['old'].id}/open", headers=HTMX)
    assert with_htmx.headers.get("HX-Redirect") == "/v"


async def test_someone_elses_message_is_not_found_and_stays_unread(people, login, session):
    me, _other, rows = people
    client = await login(me.id)
    stolen = await client.post(f"/inbox/{rows['foreign'].id}/open")
    assert stolen.status_code == 404 and "未找到这条消息" in stolen.text
    await session.refresh(rows["foreign"])
    assert rows["foreign"].read_at is None
    assert (await client.post("/inbox/99999999999999999999/open")).status_code == 404


async def test_mark_all_read_reads_mine_only(people, login, session):
    me, _other, rows = people
    client = await login(me.id)
    done = await client.post("/inbox/read-all")
    assert done.status_code == 303 and done.headers["location"] == "/inbox"
    for row in rows.values():
        await session.refresh(row)
    assert rows["old"].read_at and rows["new"].read_at and rows["foreign"].read_at is None
    assert "消息都已读过" in _main(await client.get("/inbox"))


async def test_the_inbox_needs_a_login(client):
    for path in ("/inbox", "/inbox/badge"):
        page = await client.get(path, follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")


async def test_the_live_version_moves_when_a_message_arrives(people, login, session, clock):
    me, _other, _rows = people
    client = await login(me.id)
    before = (await client.get("/inbox/live")).text
    await notify(session, user_id=me.id, kind="t", title="又一条", now=clock.now())
    await session.commit()
    after = (await client.get("/inbox/live")).text
    assert re.fullmatch(r"\d+-\d+", before) and after != before


def test_where_a_message_leads_depends_on_the_role_i_act_in():
    payload = {"order_id": 8, "offer_id": 21}
    assert message_target(payload, Role.volunteer) == "/v/offers/21"
    assert message_target({"order_id": 8}, Role.volunteer) == "/v"
    assert message_target(payload, Role.team_leader) == "/desk/team/offers/8"
    assert message_target(payload, Role.worker) == "/desk/orders/8"
    assert message_target({"demand_id": 3}, Role.worker) == "/desk/demands"
    assert message_target({"demand_id": 3}, Role.coordinator) is None
    assert message_target({}, Role.volunteer) is None
