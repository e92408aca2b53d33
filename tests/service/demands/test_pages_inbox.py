"""The demand inbox page (点单待办): list, filters, decline and merge, in both languages."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.models import Demand, Notification
from service.vocab import DemandStatus
from tests.service.demands.desk_world import ENGLISH, HTMX, build, client_of

INBOX = "/desk/demands"


@pytest.fixture
async def world(session, clock):
    return await build(session, clock.now())


@pytest.fixture
async def worker(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.worker, clock.now()) as client:
        yield client


async def _status(session, demand_id: int) -> str:
    """The stored status (a column query: never the session's cached object)."""
    await session.commit()  # end the test session's snapshot, if any
    return await session.scalar(sa.select(Demand.status).where(Demand.id == demand_id))


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_the_inbox_shows_the_communitys_new_demands_with_votes_age_and_topic(
    worker, world, headers
):
    response = await worker.get(INBOX, headers=headers)
    assert response.status_code == 200
    body = response.text
    assert ("<html" in body) is (not headers)  # htmx gets the page without its shell
    assert "老年人急救知识讲座" in body and "高血压慢病管理讲座" in body
    assert "「我也想要」3 人" in body and "3 天前提交" in body and "10 天前提交" in body
    assert "应急 · 心肺复苏" in body and "老年人" in body and "待处理" in body
    assert "138****5678" in body and "13812345678" not in body  # the contact, masked
    assert "别社区的防诈骗讲座" not in body  # another community's demand
    # Most wanted first.
    assert body.index("老年人急救知识讲座") < body.index("高血压慢病管理讲座")


async def test_the_inbox_speaks_english(worker, world):
    response = await worker.get(INBOX, headers=ENGLISH)
    assert response.status_code == 200
    body = response.text
    assert "Demand inbox" in body and "“Me too”: 3" in body and "submitted 3 days ago" in body
    assert "Adopt and create an activity" in body and "Older people" in body
    assert "点单待办" not in body and "我也想要" not in body


async def test_the_filters_swap_the_list_alone(worker, world):
    response = await worker.get(
        INBOX,
        params={"target_group": "youth", "sort": "newest"},
        headers={**HTMX, "HX-Target": "demand-list"},
    )
    assert response.status_code == 200
    body = response.text
    assert body.lstrip().startswith('<section id="demand-list"')
    assert "<h1" not in body and "<h3>青少年科学实验课</h3>" in body
    assert "<h3>老年人急救知识讲座</h3>" not in body
    assert "共 1 条点单" in body


async def test_filters_by_skill_status_and_keyword(worker, world):
    by_skill = await worker.get(INBOX, params={"skill_id": world.chronic.id})
    assert "<h3>高血压慢病管理讲座</h3>" in by_skill.text
    assert "<h3>老年人急救知识讲座</h3>" not in by_skill.text
    by_word = await worker.get(INBOX, params={"q": "急救"})
    assert "<h3>老年人急救知识讲座</h3>" in by_word.text
    assert "<h3>高血压慢病管理讲座</h3>" not in by_word.text
    declined = await worker.get(INBOX, params={"status": "declined"})
    assert "共 0 条点单" in declined.text
    nonsense = await worker.get(INBOX, params={"status": "x", "page": "-1", "skill_id": "9" * 30})
    assert nonsense.status_code == 200 and "老年人急救知识讲座" in nonsense.text


async def test_a_worker_lands_on_the_desk_and_finds_the_inbox_in_the_navigation(worker, world):
    landing = await worker.get("/start")
    assert landing.status_code == 303 and landing.headers["location"] == "/desk"
    page = await worker.get(INBOX)
    assert f'<a href="{INBOX}" aria-current="page">点单待办</a>' in page.text
    assert 'href="/desk/orders/new"' in page.text


async def test_adopt_opens_the_order_form_for_that_demand(worker, world):
    page = await worker.get(INBOX)
    assert f'href="/desk/orders/new?demand_id={world.demands["cpr"].id}"' in page.text


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_declining_without_a_reason_is_refused_beside_the_reason(
    worker, world, session, headers
):
    demand = world.demands["cpr"]
    response = await worker.post(
        f"{INBOX}/{demand.id}/decline", data={"reason": "  ", "confirmed": "1"}, headers=headers
    )
    assert response.status_code == 422
    body = response.text
    assert 'aria-invalid="true"' in body and 'aria-describedby="reason-hint reason-error"' in body
    if headers:
        assert "Please give a reason" in body
    else:
        assert "请写明不采纳的原因" in body
    assert await _status(session, demand.id) == DemandStatus.new


async def test_declining_asks_to_confirm_then_declines_and_tells_the_resident(
    worker, world, session
):
    demand = world.demands["cpr"]
    url = f"{INBOX}/{demand.id}/decline"
    reason = "本月已安排同主题讲座，欢迎参加 12 月 5 日的活动。"
    asked = await worker.post(url, data={"reason": reason})
    assert asked.status_code == 200
    assert "不采纳这条点单？" in asked.text and "确认不采纳，通知居民" in asked.text
    assert reason in asked.text and 'name="confirmed" value="1"' in asked.text
    assert await _status(session, demand.id) == DemandStatus.new  # nothing changed yet
    done = await worker.post(url, data={"reason": reason, "confirmed": "1"}, headers=HTMX)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == f"{INBOX}?notice=declined"
    assert await _status(session, demand.id) == DemandStatus.declined
    assert (
        await session.scalar(sa.select(Demand.decline_reason).where(Demand.id == demand.id))
        == reason
    )
    shown = await worker.get(f"{INBOX}?notice=declined&status=declined")
    assert "已记录不采纳" in shown.text and reason in shown.text


async def test_a_plain_form_post_is_answered_with_a_redirect(worker, world):
    demand = world.demands["chronic"]
    done = await worker.post(
        f"{INBOX}/{demand.id}/decline", data={"reason": "暂无合适的志愿者", "confirmed": "1"}
    )
    assert done.status_code == 303 and done.headers["location"] == f"{INBOX}?notice=declined"


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_a_demand_adopted_meanwhile_is_a_409_beside_it(worker, world, session, headers):
    demand = world.demands["cpr"]
    demand.status = DemandStatus.adopted
    await session.commit()
    response = await worker.post(
        f"{INBOX}/{demand.id}/decline", data={"reason": "不需要了", "confirmed": "1"},
        headers=headers,
    )  # fmt: skip
    assert response.status_code == 409
    expected = "is now “Adopted”" if headers else "这条点单现在是「已采纳」"
    assert expected in response.text
    assert "确认不采纳，通知居民" not in response.text
    assert await _status(session, demand.id) == DemandStatus.adopted


@pytest.mark.parametrize("action", ["decline", "merge"])
async def test_another_communitys_demand_is_refused_and_not_shown(
    app, settings, session, clock, world, action
):
    foreign = world.demands["foreign"]
    async with await client_of(session, settings, app, world.worker, clock.now()) as client:
        response = await client.post(
            f"{INBOX}/{foreign.id}/{action}",
            data={
                "reason": "不归我管",
                "confirmed": "1",
                "into_demand_id": world.demands["cpr"].id,
            },
        )
    assert response.status_code == 403
    assert "别社区的防诈骗讲座" not in response.text and "您不负责" in response.text
    assert await _status(session, foreign.id) == DemandStatus.new


async def test_the_other_communitys_worker_sees_none_of_ours(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.other_worker, clock.now()) as client:
        page = await client.get(INBOX)
        refused = await client.post(
            f"{INBOX}/{world.demands['cpr'].id}/decline", data={"reason": "看看"}
        )
    assert page.status_code == 200 and "别社区的防诈骗讲座" in page.text
    assert "老年人急救知识讲座" not in page.text
    assert refused.status_code == 403 and "老年人急救知识讲座" not in refused.text


@pytest.mark.parametrize("demand_id", ["999999", "abc", "0", "99999999999999"])
async def test_an_unknown_demand_is_a_404(worker, world, demand_id):
    response = await worker.post(f"{INBOX}/{demand_id}/decline", data={"reason": "没有这条"})
    assert response.status_code == 404 and "未找到该点单" in response.text


async def test_a_volunteer_has_no_inbox(app, settings, session, clock, world):
    async with await client_of(session, settings, app, world.volunteer_user, clock.now()) as c:
        response = await c.get(INBOX)
    assert response.status_code == 403


async def test_merging_picks_a_demand_of_the_same_community_and_confirms(worker, world, session):
    duplicate, target = world.demands["chronic"], world.demands["cpr"]
    page = await worker.get(INBOX)
    assert f'action="{INBOX}/{duplicate.id}/merge"' in page.text
    url = f"{INBOX}/{duplicate.id}/merge"
    asked = await worker.post(url, data={"into_demand_id": str(target.id)})
    assert asked.status_code == 200 and "合并这条重复点单？" in asked.text
    assert "确认合并" in asked.text and "老年人急救知识讲座" in asked.text
    assert await _status(session, duplicate.id) == DemandStatus.new
    done = await worker.post(url, data={"into_demand_id": str(target.id), "confirmed": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"{INBOX}?notice=merged"
    assert await _status(session, duplicate.id) == DemandStatus.merged
    merged = await worker.get(INBOX, params={"status": "merged"})
    assert "已合并到「老年人急救知识讲座」" in merged.text


@pytest.mark.parametrize("headers", [{}, ENGLISH], ids=["zh", "en"])
async def test_merging_into_another_communitys_demand_is_refused_without_showing_it(
    worker, world, session, headers
):
    duplicate, foreign = world.demands["chronic"], world.demands["foreign"]
    response = await worker.post(
        f"{INBOX}/{duplicate.id}/merge",
        data={"into_demand_id": str(foreign.id), "confirmed": "1"},
        headers=headers,
    )
    assert response.status_code == 422
    assert "别社区的防诈骗讲座" not in response.text
    expected = "Please pick the request" if headers else "请从列表中选择要合并到的点单"
    assert expected in response.text and 'aria-invalid="true"' in response.text
    assert await _status(session, duplicate.id) == DemandStatus.new
    assert await _status(session, foreign.id) == DemandStatus.new


async def test_declining_tells_a_submitter_with_an_account(worker, world, session):
    demand = world.demands["youth"]
    demand.submitter_user_id = world.volunteer_user.id
    await session.commit()
    await worker.post(
        f"{INBOX}/{demand.id}/decline", data={"reason": "场地在维修，下月再办", "confirmed": "1"}
    )
    told = await session.scalar(
        sa.select(Notification.body).where(Notification.user_id == world.volunteer_user.id)
    )
    assert told == "场地在维修，下月再办"
