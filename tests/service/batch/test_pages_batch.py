"""The 一键派单 pages: the form, planning, the plan with its totals and people, applying, the
report, applying again, refusals next to their field, scope — whole pages and htmx, zh and en."""

from __future__ import annotations

import html
import re

import sqlalchemy as sa

from service.models import DispatchPlan, Offer

HX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


def words(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def _plan_via_page(client, world, area="street", **fields):
    data = {"area": str(world.ids[area]), **fields}
    return await client.post("/desk/batch/plans", data=data)


async def _latest_plan(session) -> DispatchPlan:
    await session.rollback()
    return await session.scalar(sa.select(DispatchPlan).order_by(DispatchPlan.id.desc()))


async def test_the_form_lists_the_areas_in_scope(login, world):
    client = await login(world.users["street"].id)
    page = await client.get("/desk/batch")
    assert page.status_code == 200
    assert "向阳街道" in page.text and "白石街道" not in page.text
    assert 'name="day_from"' in page.text and 'name="day_to"' in page.text


async def test_planning_shows_the_plan_with_totals_and_people(login, world, session):
    client = await login(world.users["street"].id)
    response = await _plan_via_page(client, world)
    assert response.status_code == 303
    plan = await _latest_plan(session)
    assert response.headers["location"] == f"/desk/batch/plans/{plan.id}"
    page = await client.get(response.headers["location"])
    text = words(page.text)
    assert page.status_code == 200
    assert "3 个活动共缺 4 人；这个方案排上 4 人，逐个派单能排上 3 人" in text
    assert "已证明是最优方案" in text
    pattern = rf'id="batch-order-{world.ids["morning_b"]}".*?</article>'
    card = words(re.search(pattern, page.text, re.S).group(0))
    assert "near" in card and "1 km 以内" in card and "首次参加" in card
    assert "****" in card  # the phone, masked
    assert "确认执行，发出 4 个邀请" in text
    form = words((await client.get("/desk/batch")).text)
    assert f"方案 {plan.id}" in form and "4 / 4" in form and "待确认" in form


async def test_applying_from_the_page_sends_and_reports_then_again_sends_nothing(
    login, world, session
):
    client = await login(world.users["street"].id)
    await _plan_via_page(client, world)
    plan = await _latest_plan(session)
    response = await client.post(f"/desk/batch/plans/{plan.id}/apply")
    assert response.status_code == 303
    report = await client.get(response.headers["location"])
    assert "发出 4 个邀请。" in words(report.text) and "没有发送" not in words(report.text)
    again = await client.post(f"/desk/batch/plans/{plan.id}/apply", headers=HX)
    assert again.status_code == 204 and again.headers["HX-Redirect"].endswith("?again=1")
    page = await client.get(again.headers["HX-Redirect"])
    assert "这个方案已经执行过了，这次没有再发送任何邀请" in words(page.text)
    await session.rollback()
    assert await session.scalar(sa.select(sa.func.count()).select_from(Offer)) == 5


async def test_a_backwards_period_is_said_next_to_the_field(login, world):
    client = await login(world.users["street"].id)
    response = await _plan_via_page(client, world, day_from="2026-12-05", day_to="2026-12-01")
    assert response.status_code == 422
    assert 'id="batch-to-error"' in response.text
    assert "结束日期不能早于开始日期" in response.text
    assert 'value="2026-12-05"' in response.text  # what was typed is kept


async def test_another_area_is_refused_in_words(login, world):
    client = await login(world.users["street2"].id)
    response = await _plan_via_page(client, world, area="street")
    assert response.status_code == 403
    assert "不在您负责的范围内" in response.text


async def test_nothing_to_plan_says_so(login, world):
    client = await login(world.users["street2"].id)
    response = await _plan_via_page(client, world, area="street2",
                                    day_from="2026-12-20", day_to="2026-12-21")  # fmt: skip
    page = await client.get(response.headers["location"])
    assert "这段时间本区域没有需要派人的活动" in page.text
    assert "batch-apply" not in page.text


async def test_another_areas_plan_is_not_found(login, world, session):
    client = await login(world.users["street"].id)
    await _plan_via_page(client, world)
    plan = await _latest_plan(session)
    foreign = await login(world.users["street2"].id)
    assert (await foreign.get(f"/desk/batch/plans/{plan.id}")).status_code == 404
    assert (await foreign.post(f"/desk/batch/plans/{plan.id}/apply")).status_code == 404
    assert (await foreign.get(f"/desk/batch/plans/{plan.id}/report")).status_code == 404


async def test_pages_render_as_fragments_and_in_english(login, world, session):
    client = await login(world.users["street"].id)
    await _plan_via_page(client, world)
    plan = await _latest_plan(session)
    fragment = await client.get(f"/desk/batch/plans/{plan.id}", headers=HX)
    assert fragment.status_code == 200 and "<html" not in fragment.text
    english = await client.get(f"/desk/batch/plans/{plan.id}", headers=EN)
    assert "Filled places" in english.text
    assert "一键派单" not in words(english.text).replace("一键派单：", "")
