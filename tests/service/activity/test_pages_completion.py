"""确认完成 on the desk: the attendance preselected from check-ins, changed, confirmed, refused."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from service.models import Offer, Order, RatingCode, ServiceRecord
from service.vocab import Role
from tests.loop_helpers import staffed_order
from tests.service.activity.page_helpers import (
    ENGLISH,
    HTMX,
    NEAR,
    checked,
    control,
    ended_order,
    is_fragment,
    logged_in,
    stranger_browser,
    worker_browser,
)


async def fresh(session, model, row_id):
    await session.commit()
    return await session.get(model, row_id, populate_existing=True)


def page_url(order) -> str:
    return f"/desk/orders/{order.id}/complete"


def confirm_form(csrf_page: str, people, **overrides) -> dict:
    """The form as the page preselected it (radios and hours as shown), confirmed."""
    data = {"rating_codes": control(csrf_page, name="rating_codes")["value"], "confirmed": "yes"}
    for volunteer, _, _ in people:
        data[f"attendance-{volunteer.id}"] = checked(csrf_page, f"attendance-{volunteer.id}")
        data[f"hours-{volunteer.id}"] = control(csrf_page, name=f"hours-{volunteer.id}")["value"]
    return {**data, **overrides}


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_the_attendance_is_preselected_from_the_check_ins(
    app, settings, client, session, clock, headers
):
    community, order, people = await ended_order(
        client, session, clock, check_in=(0, 1), check_out=(0,)
    )
    (v1, _, _), (v2, _, _), (v3, _, _) = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(page_url(order), headers=headers)
    assert page.status_code == 200
    html = page.text
    assert is_fragment(html) == bool(headers)
    assert "<h1>确认活动完成</h1>" in html and order.title in html
    assert checked(html, f"attendance-{v1.id}") == "present"  # checked in and out
    assert checked(html, f"attendance-{v2.id}") == "present"  # checked in, still there
    assert checked(html, f"attendance-{v3.id}") == "absent"  # never checked in
    # Hours as completion will credit them: 90 minutes; until the scheduled end; scheduled time.
    assert control(html, name=f"hours-{v1.id}")["value"] == "1.5"
    assert control(html, name=f"hours-{v2.id}")["value"] == "2"
    assert control(html, name=f"hours-{v3.id}")["value"] == "2"
    assert "10:00 签到 · 11:30 签退" in html and "没有签到" in html
    # Names are masked (志愿者1 → 志**1), phones too; the expected residents prefill the codes.
    assert "志愿者1" not in html and "志**1" in html
    assert control(html, name="rating_codes")["value"] == "30"
    assert control(html, name="confirmed")["type"] == "checkbox"
    assert f'href="/desk/orders/{order.id}"' in html


async def test_the_page_speaks_english(app, settings, client, session, clock):
    community, order, _ = await ended_order(client, session, clock)
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(page_url(order), headers=ENGLISH)
    assert page.status_code == 200
    assert "Confirm the activity took place" in page.text and "Present" in page.text
    assert "确认活动完成" not in page.text


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
async def test_confirming_records_the_attendance_as_the_worker_set_it(
    app, settings, client, session, clock, headers
):
    community, order, people = await ended_order(
        client, session, clock, check_in=(0, 1), check_out=(0,)
    )
    (v1, _, o1), (v2, _, o2), (v3, _, o3) = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        shown = (await desk.get(page_url(order))).text
        # v2 checked in by mistake and left; v3 came without checking in, for one hour.
        data = confirm_form(
            shown,
            people,
            **{
                f"attendance-{v2.id}": "absent",
                f"attendance-{v3.id}": "present",
                f"hours-{v3.id}": "1",
                "rating_codes": "12",
            },
        )
        done = await desk.post(page_url(order), data=data, headers=headers)
        if headers:
            assert done.status_code == 204 and done.headers["HX-Redirect"] == page_url(order)
        else:
            assert done.status_code == 303 and done.headers["location"] == page_url(order)
        after = await desk.get(page_url(order))
    assert (await fresh(session, Order, order.id)).status == "completed"
    statuses = {o.id: (await fresh(session, Offer, o.id)).status for o in (o1, o2, o3)}
    assert statuses == {o1.id: "completed", o2.id: "no_show", o3.id: "completed"}
    records = {
        r.volunteer_id: r.hours for r in (await session.scalars(sa.select(ServiceRecord))).all()
    }
    assert records == {v1.id: 1.5, v3.id: 1.0}
    assert await session.scalar(sa.select(sa.func.count()).select_from(RatingCode)) == 12
    # Once confirmed, the page says what was recorded and what to do next.
    assert "活动已确认完成" in after.text and "1.5 小时" in after.text
    assert f'href="/desk/orders/{order.id}/rate"' in after.text
    assert f'href="/desk/orders/{order.id}/rating-codes"' in after.text
    assert 'name="confirmed"' not in after.text


async def test_a_running_activity_is_refused_inline_keeping_what_was_typed(
    app, settings, client, session, clock
):
    community, _, order, people = await staffed_order(session, starts_at=clock.now(), hours=2)
    (_, a1, o1), (v2, _, _) = people
    await client.post(f"/api/v1/offers/{o1.id}/check-in", json=NEAR, headers=a1)
    clock.advance(timedelta(minutes=40))  # v1 is still there
    async with await worker_browser(app, settings, session, clock, community) as desk:
        shown = (await desk.get(page_url(order))).text
        # The page says so before anyone tries, and offers no confirm button yet.
        assert "活动预定 2026-11-23 12:00 结束" in shown and 'name="confirmed"' not in shown
        data = confirm_form(
            shown, people, **{f"attendance-{v2.id}": "present", "rating_codes": "7"}
        )
        refused = await desk.post(page_url(order), data=data)
        english = await desk.post(page_url(order), data=data, headers=ENGLISH)
    assert refused.status_code == 409
    assert 'role="alert">活动预定 2026-11-23 12:00 结束' in refused.text
    assert checked(refused.text, f"attendance-{v2.id}") == "present"  # the worker's choice
    assert control(refused.text, name="rating_codes")["value"] == "7"
    assert english.status_code == 409 and "scheduled to end at 2026-11-23 12:00" in english.text
    assert (await fresh(session, Order, order.id)).status == "in_progress"


async def test_without_the_confirmation_tick_nothing_happens(app, settings, client, session, clock):
    community, order, people = await ended_order(client, session, clock)
    (v1, _, _), *_ = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        shown = (await desk.get(page_url(order))).text
        data = confirm_form(shown, people, confirmed="", **{f"hours-{v1.id}": "30"})
        refused = await desk.post(page_url(order), data=data)
        english = await desk.post(page_url(order), data=data, headers=ENGLISH)
    assert refused.status_code == 422
    box = control(refused.text, name="confirmed")
    assert box["aria-invalid"] == "true" and box["aria-describedby"] == "error-confirmed"
    assert 'id="error-confirmed" class="field-error">请勾选上面的确认，再提交。' in refused.text
    hours = control(refused.text, name=f"hours-{v1.id}")
    assert hours["value"] == "30" and hours["aria-invalid"] == "true"
    assert "请填写 0 到 24 之间的小时数" in refused.text
    assert "Tick the confirmation above" in english.text
    assert (await fresh(session, Order, order.id)).status == "in_progress"  # as it was


async def test_a_missing_choice_is_shown_next_to_the_volunteer(
    app, settings, client, session, clock
):
    community, order, people = await ended_order(client, session, clock)
    (v1, _, _), *_ = people
    async with await worker_browser(app, settings, session, clock, community) as desk:
        shown = (await desk.get(page_url(order))).text
        data = confirm_form(shown, people)
        del data[f"attendance-{v1.id}"]
        refused = await desk.post(page_url(order), data=data)
    assert refused.status_code == 422
    first_radio = control(refused.text, name=f"attendance-{v1.id}", value="present")
    assert first_radio["aria-invalid"] == "true"
    assert f'id="error-attendance-{v1.id}" class="field-error">请选择到场或未到场。' in refused.text


async def test_another_communitys_worker_sees_nothing(app, settings, client, session, clock):
    _, order, _ = await ended_order(client, session, clock)
    before = (await fresh(session, Order, order.id)).status
    async with await stranger_browser(app, settings, session, clock) as stranger:
        page = await stranger.get(page_url(order))
        post = await stranger.post(page_url(order), data={"confirmed": "yes"})
        missing = await stranger.get(f"/desk/orders/{order.id + 999}/complete")
    assert page.status_code == 403 and order.title not in page.text
    assert post.status_code == 403 and order.title not in post.text
    assert missing.status_code == 404
    assert (await fresh(session, Order, order.id)).status == before == "in_progress"


async def test_a_volunteer_cannot_open_the_page(app, settings, client, session, clock):
    _, order, _ = await ended_order(client, session, clock)
    async with await logged_in(app, settings, session, clock, (Role.volunteer, None, None)) as me:
        assert (await me.get(page_url(order))).status_code == 403
    anonymous = await client.get(page_url(order))
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_an_order_that_never_ran_cannot_be_confirmed(app, settings, client, session, clock):
    community, _, order, _ = await staffed_order(session, starts_at=clock.now() + timedelta(days=2))
    async with await worker_browser(app, settings, session, clock, community) as desk:
        page = await desk.get(page_url(order))
    assert page.status_code == 200
    assert "活动尚未开始，不能确认完成。" in page.text and 'name="confirmed"' not in page.text
