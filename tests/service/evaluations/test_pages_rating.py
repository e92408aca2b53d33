"""评单 on the desk: rating the volunteers who served, and the printable rating-code sheet."""

import re

import pytest
import sqlalchemy as sa

from service.models import Evaluation, Order, RatingCode
from tests.service.activity.page_helpers import (
    ENGLISH,
    HTMX,
    control,
    ended_order,
    is_fragment,
    stranger_browser,
    worker_browser,
)


async def fresh(session, model, row_id):
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


async def completed(client, session, clock, *, codes=4):
    """An order the worker confirmed: volunteers 1 and 2 served (checked in), 3 did not come."""
    community, order, people = await ended_order(
        client, session, clock, check_in=(0, 1), check_out=(0,)
    )
    worker_auth = await _worker_token(session, community)
    response = await client.post(
        f"/api/v1/orders/{order.id}/completion", json={"rating_codes": codes}, headers=worker_auth
    )
    assert response.status_code == 200, response.text
    return community, order, people, response.json()["rating_codes"]


async def _worker_token(session, community):
    from service.vocab import Role
    from tests.loop_helpers import user_with_token

    _, auth = await user_with_token(session, (Role.worker, community.id, None))
    await session.commit()
    return auth


def rate_url(order) -> str:
    return f"/desk/orders/{order.id}/rate"


def codes_url(order) -> str:
    return f"/desk/orders/{order.id}/rating-codes"


# ---------------------------------------------------------------- rating volunteers


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_the_volunteers_who_served_are_rated_in_one_go(
    app, settings, client, session, clock, headers
):
    community, order, people, _ = await completed(client, session, clock)
    (v1, _, _), (v2, _, _), (v3, _, _) = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(rate_url(order), headers=headers)
        assert page.status_code == 200 and is_fragment(page.text) == bool(headers)
        html = page.text
        # One star group per volunteer who served, each a fieldset with a legend; not the no-show.
        assert html.count('<fieldset class="stars') == 2
        assert f'name="stars-{v3.id}"' not in html
        assert "给 志**1 打分" in html and "志愿者1" not in html
        stars = [c for c in re.findall(r'name="stars-(\d+)" value="(\d)"', html)]
        assert stars.count((str(v1.id), "5")) == 1 and len(stars) == 10
        data = {f"stars-{v1.id}": "5", f"comment-{v1.id}": "准时、耐心", f"stars-{v2.id}": "4"}
        done = await desk.post(rate_url(order), data=data, headers=headers)
        if headers:
            assert done.status_code == 204 and done.headers["HX-Redirect"] == rate_url(order)
        else:
            assert done.status_code == 303 and done.headers["location"] == rate_url(order)
        after = (await desk.get(rate_url(order))).text
    ratings = {
        e.volunteer_id: (e.stars, e.comment)
        for e in (await session.scalars(sa.select(Evaluation))).all()
    }
    assert ratings == {v1.id: (5, "准时、耐心"), v2.id: (4, "")}
    assert (await fresh(session, Order, order.id)).status == "evaluated"  # the loop is closed
    assert "评单已完成" in after and "<q>准时、耐心</q>" in after
    assert 'name="stars-' not in after


async def test_a_missing_star_keeps_everything_typed_and_rates_nobody(
    app, settings, client, session, clock
):
    community, order, people, _ = await completed(client, session, clock)
    (v1, _, _), (v2, _, _), _ = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        data = {f"stars-{v1.id}": "5", f"comment-{v1.id}": "讲得好", f"comment-{v2.id}": "迟到了"}
        refused = await desk.post(rate_url(order), data=data)
        english = await desk.post(rate_url(order), data=data, headers=ENGLISH)
    assert refused.status_code == 422
    first = control(refused.text, name=f"stars-{v2.id}", value="1")
    assert first["aria-invalid"] == "true"
    assert (
        f'id="error-stars-{v2.id}" class="field-error">请为这位志愿者选 1 到 5 星。' in refused.text
    )
    assert "checked" in control(refused.text, name=f"stars-{v1.id}", value="5")
    assert ">讲得好</textarea>" in refused.text and ">迟到了</textarea>" in refused.text
    assert "Choose from 1 to 5 stars for this volunteer." in english.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0


async def test_before_completion_the_page_sends_the_worker_to_confirm_it(
    app, settings, client, session, clock
):
    community, order, people = await ended_order(client, session, clock)
    (v1, _, _), *_ = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(rate_url(order))
        english = await desk.get(rate_url(order), headers=ENGLISH)
        refused = await desk.post(rate_url(order), data={f"stars-{v1.id}": "5"})
    assert page.status_code == 200 and "活动确认完成后才能评价志愿者。" in page.text
    assert f'href="/desk/orders/{order.id}/complete"' in page.text
    assert "Volunteers can be rated only after" in english.text
    assert refused.status_code == 409 and "活动确认完成后才能评价志愿者。" in refused.text


async def test_another_communitys_worker_cannot_rate(app, settings, client, session, clock):
    _, order, people, _ = await completed(client, session, clock)
    (v1, _, _), *_ = people
    async with await stranger_browser(app, settings, session, clock) as stranger:
        page = await stranger.get(rate_url(order))
        post = await stranger.post(rate_url(order), data={f"stars-{v1.id}": "1"})
        sheet = await stranger.get(codes_url(order))
        more = await stranger.post(codes_url(order), data={"count": "3"})
    for response in (page, post, sheet, more):
        assert response.status_code == 403 and order.title not in response.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(Evaluation)) == 0


# ---------------------------------------------------------------- the rating-code sheet


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_the_sheet_has_a_card_per_unused_code_with_a_qr_code(
    app, settings, client, session, clock, headers
):
    community, order, _, codes = await completed(client, session, clock, codes=4)
    used = await client.post("/api/v1/ratings", json={"code": codes[0], "stars": 5})
    assert used.status_code == 201
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(codes_url(order), headers=headers)
    html = page.text
    assert page.status_code == 200 and is_fragment(html) == bool(headers)
    cards = re.findall(r'<li class="code-card" data-rate-url="([^"]+)">', html)
    # The QR codes open the public rating page at the configured origin, never the Host header.
    assert sorted(cards) == sorted(f"{settings.origin}/rate/{code}" for code in codes[1:])
    assert html.count('<svg role="img"') == 3 and "<title>评价码 " in html
    for code in codes[1:]:
        assert f"{code[:3]}&nbsp;{code[3:]}" in html  # the code in large text, in two groups
    assert codes[0][:3] + "&nbsp;" + codes[0][3:] not in html
    assert "共有 4 个评价码，已经用了 1 个" in html and order.title in html
    assert "Ctrl+P" in html


async def test_more_codes_can_be_added_and_wrong_counts_are_refused_inline(
    app, settings, client, session, clock
):
    community, order, _, _ = await completed(client, session, clock, codes=2)
    async with await worker_browser(app, settings, session, clock, community) as desk:
        added = await desk.post(codes_url(order), data={"count": "3"})
        wrong = await desk.post(codes_url(order), data={"count": "0"})
        english = await desk.post(codes_url(order), data={"count": "abc"}, headers=ENGLISH)
    assert added.status_code == 303 and added.headers["location"] == codes_url(order)
    count = await session.scalar(
        sa.select(sa.func.count()).select_from(RatingCode).where(RatingCode.order_id == order.id)
    )
    assert count == 5
    assert wrong.status_code == 422
    field = control(wrong.text, name="count")
    assert field["value"] == "0" and field["aria-invalid"] == "true"
    assert "请填写 1 到 500 之间的整数。" in wrong.text
    assert english.status_code == 422 and "Enter a whole number from 1 to 500." in english.text


async def test_an_order_not_completed_has_no_sheet_yet(app, settings, client, session, clock):
    community, order, _ = await ended_order(client, session, clock)
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(codes_url(order))
        refused = await desk.post(codes_url(order), data={"count": "5"})
        english = await desk.post(codes_url(order), data={"count": "5"}, headers=ENGLISH)
    assert page.status_code == 200 and "活动确认完成后才会生成评价码。" in page.text
    assert 'class="code-card"' not in page.text
    assert refused.status_code == 409 and "活动确认完成后才能生成评价码。" in refused.text
    assert english.status_code == 409 and "confirmed as completed" in english.text
    assert await session.scalar(sa.select(sa.func.count()).select_from(RatingCode)) == 0
