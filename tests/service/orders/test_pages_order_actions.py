"""Actions on the order page: 派单, 重新派单, 取消活动, 撤回邀请 — same services as the API,
refusals inline next to their cause, in the reader's language, with the refusal's status."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from service.models import Event, Notification, Offer, Order
from tests.service.orders.desk_world import EN, HX, build_desk_world


@pytest.fixture
async def world(app, settings, session, clock):
    return await build_desk_world(app, settings, session, clock)


async def _fresh(world, model, row_id):
    async with world.app.state.sessionmaker() as session:
        return await session.get(model, row_id)


async def _event_count(world, order_id) -> int:
    async with world.app.state.sessionmaker() as session:
        return await session.scalar(
            sa.select(sa.func.count()).select_from(Event).where(Event.order_id == order_id)
        )


def _notice(html: str) -> str:
    found = re.search(r'<p class="notice error" role="alert"[^>]*>([^<]*)</p>', html)
    return found.group(1) if found else ""


# ---------------------------------------------------------------- 派单


async def test_publishing_a_draft_goes_back_to_the_order_page(world):
    order_id = world.order_id("draft")
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        assert f'action="/desk/orders/{order_id}/publish"' in page.text
        assert 'name="csrf_token"' in page.text
        published = await http.post(f"/desk/orders/{order_id}/publish")
    assert (
        published.status_code == 303 and published.headers["location"] == f"/desk/orders/{order_id}"
    )
    order = await _fresh(world, Order, order_id)
    assert order.status == "published"
    # The cascade invited the volunteers (the same service as the API's publish).
    async with world.app.state.sessionmaker() as session:
        offers = await session.scalar(
            sa.select(sa.func.count()).select_from(Offer).where(Offer.order_id == order_id)
        )
    assert offers == 3


async def test_publishing_with_htmx_answers_with_hx_redirect(world):
    order_id = world.order_id("draft")
    async with world.client(**HX) as http:
        published = await http.post(f"/desk/orders/{order_id}/publish")
    assert published.status_code == 204
    assert published.headers["HX-Redirect"] == f"/desk/orders/{order_id}"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "这个活动现在是「已派单」，不能再派单。"),
        (EN, "This activity is now “Dispatched”, so it cannot be dispatched."),
        (HX, "这个活动现在是「已派单」，不能再派单。"),
    ],
)
async def test_publishing_twice_is_refused_inline_with_409(world, headers, expected):
    order_id = world.order_id("lecture")
    before = await _event_count(world, order_id)
    async with world.client(**headers) as http:
        refused = await http.post(f"/desk/orders/{order_id}/publish")
    assert refused.status_code == 409
    assert _notice(refused.text) == expected
    assert 'id="actions"' in refused.text  # on the order page, in the actions
    assert ("<html" in refused.text) == ("HX-Request" not in headers)
    assert await _event_count(world, order_id) == before  # nothing written


async def test_a_refusal_rolls_back_what_the_service_had_begun(world, clock):
    # A draft whose start has passed: publish is refused after the service looked it up;
    # the page still renders from the database, unchanged.
    async with world.app.state.sessionmaker() as session:
        order = await session.get(Order, world.order_id("draft"))
        order.starts_at = clock.now()
        await session.commit()
    async with world.client() as http:
        refused = await http.post(f"/desk/orders/{world.order_id('draft')}/publish")
    assert refused.status_code == 409 and "活动开始时间已过" in _notice(refused.text)
    assert (await _fresh(world, Order, world.order_id("draft"))).status == "draft"


# ---------------------------------------------------------------- 重新派单


async def test_redispatching_widens_the_distance(world):
    order_id = world.order_id("lecture")
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        assert "放宽到 15 公里" in page.text and "不变（10 公里）" in page.text
        moved = await http.post(
            f"/desk/orders/{order_id}/redispatch",
            data={"max_distance_km": "15", "dispatch_mode": "", "reason": "放宽服务距离"},
        )
    assert moved.status_code == 303
    assert (await _fresh(world, Order, order_id)).max_distance_km == 15


async def test_a_bad_redispatch_field_is_shown_next_to_the_field(world):
    order_id = world.order_id("lecture")
    async with world.client() as http:
        refused = await http.post(
            f"/desk/orders/{order_id}/redispatch", data={"max_distance_km": "-3", "reason": "试试"}
        )
    assert refused.status_code == 422
    assert re.search(
        r'id="redispatch-distance" name="max_distance_km"\s+aria-invalid="true" '
        r'aria-describedby="redispatch-distance-error"',
        refused.text,
    )
    assert 'id="redispatch-distance-error"' in refused.text
    assert 'value="试试"' in refused.text  # what the person typed is kept
    assert '<details class="action-form" open>' in refused.text


async def test_redispatching_a_draft_is_refused_inline(world):
    async with world.client(**EN) as http:
        refused = await http.post(f"/desk/orders/{world.order_id('draft')}/redispatch", data={})
    assert refused.status_code == 409
    assert _notice(refused.text).startswith(
        "Only expired or pending activities can be dispatched again"
    )


# ---------------------------------------------------------------- 取消活动


async def test_cancelling_takes_a_confirmation_step_and_tells_the_volunteers(world):
    order_id = world.order_id("lecture")
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        assert f'href="/desk/orders/{order_id}/cancel"' in page.text
        confirm = await http.get(f"/desk/orders/{order_id}/cancel")
        assert confirm.status_code == 200
        assert "确定要取消「社区急救知识讲座」吗？" in confirm.text
        assert "已接单的 1 位志愿者和等待回复的 2 位志愿者会收到通知" in confirm.text
        assert "确认取消活动并通知志愿者" in confirm.text and "返回，不取消" in confirm.text
        cancelled = await http.post(
            f"/desk/orders/{order_id}/cancel", data={"reason": "场地临时维修"}
        )
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/desk/orders/{order_id}"
    assert (await _fresh(world, Order, order_id)).status == "cancelled"
    async with world.app.state.sessionmaker() as session:
        told = set(
            await session.scalars(
                sa.select(Notification.user_id).where(
                    Notification.kind == "order_cancelled", Notification.body == "场地临时维修"
                )
            )
        )
    assert told == {v.user_id for v in world.volunteers.values()}


async def test_the_cancel_confirmation_in_english_and_as_a_fragment(world):
    order_id = world.order_id("lecture")
    async with world.client(**EN) as http:
        page = await http.get(f"/desk/orders/{order_id}/cancel")
        fragment = await http.get(f"/desk/orders/{order_id}/cancel", headers=HX)
    assert "Cancel “社区急救知识讲座”?" in page.text
    assert "Yes, cancel and notify the volunteers" in page.text and "<html" in page.text
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert "Yes, cancel and notify the volunteers" in fragment.text


async def test_cancelling_without_a_reason_keeps_the_page_and_points_at_the_field(world):
    order_id = world.order_id("lecture")
    async with world.client() as http:
        refused = await http.post(f"/desk/orders/{order_id}/cancel", data={"reason": "  "})
    assert refused.status_code == 422
    assert 'aria-invalid="true" aria-describedby="cancel-reason-error"' in refused.text
    assert "请填写取消原因。" in refused.text
    assert (await _fresh(world, Order, order_id)).status == "published"


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, "这个活动现在是「已取消」，不能再取消。"),
        (EN, "This activity is now “Cancelled”, so it can no longer be cancelled."),
    ],
)
async def test_cancelling_twice_is_refused_inline_with_409(world, headers, expected):
    order_id = world.order_id("lecture")
    async with world.client(**headers) as http:
        first = await http.post(f"/desk/orders/{order_id}/cancel", data={"reason": "改期"})
        assert first.status_code == 303
        again = await http.post(f"/desk/orders/{order_id}/cancel", data={"reason": "再取消"})
    assert again.status_code == 409 and _notice(again.text) == expected


# ---------------------------------------------------------------- 撤回邀请


async def test_withdrawing_an_invitation_takes_a_confirmation_step(world):
    order_id, offer_id = world.order_id("lecture"), world.offer_ids["zhang"]
    url = f"/desk/orders/{order_id}/offers/{offer_id}/withdraw"
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
        assert f'href="{url}"' in page.text and "撤回邀请" in page.text
        assert f'href="/desk/orders/{order_id}/offers/{world.offer_ids["li"]}/withdraw"' not in (
            page.text
        )  # an acceptance has no such link
        confirm = await http.get(url)
        assert confirm.status_code == 200 and "撤回对 张* 的邀请？" in confirm.text
        done = await http.post(url, data={"reason": "已安排本社区志愿者"})
    assert done.status_code == 303 and done.headers["location"] == f"/desk/orders/{order_id}#offers"
    assert (await _fresh(world, Offer, offer_id)).status == "withdrawn"
    async with world.client() as http:
        page = await http.get(f"/desk/orders/{order_id}")
    assert "撤回对志愿者 张* 的邀请" in page.text and "说明：已安排本社区志愿者" in page.text
    # Who let go, in words: the community took the invitation back (not "the volunteer quit").
    assert "待回复 → 邀请已撤回" in page.text and "已退出" not in page.text


async def test_withdrawing_an_accepted_offer_is_refused_inline(world):
    order_id, offer_id = world.order_id("lecture"), world.offer_ids["li"]
    url = f"/desk/orders/{order_id}/offers/{offer_id}/withdraw"
    for headers, expected in (
        ({}, "只能撤回尚未回复的邀请"),
        (EN, "Only an invitation still awaiting an answer can be withdrawn"),
    ):
        async with world.client(**headers) as http:
            refused = await http.post(url, data={})
        assert refused.status_code == 409 and _notice(refused.text).startswith(expected)
    assert (await _fresh(world, Offer, offer_id)).status == "accepted"


async def test_an_offer_of_another_order_is_not_found(world):
    url = f"/desk/orders/{world.order_id('draft')}/offers/{world.offer_ids['zhang']}/withdraw"
    async with world.client() as http:
        assert (await http.get(url)).status_code == 404
        assert (await http.post(url, data={})).status_code == 404
