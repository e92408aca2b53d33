"""The team leader's pages (队伍接单, phone first): the orders offered to their teams, choosing
who goes (with each member's availability and conflicts shown first), declining with a reason,
and the team's schedule. Answers go through ``service.offers.teams``, as the JSON API's do."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.context import ActionContext
from service.errors import AppError
from service.offers import team_desk, teams
from service.offers.schemas import TeamAcceptRequest
from service.orders.schemas import ReasonRequest
from service.page_text import N_
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, render

router = APIRouter(prefix="/desk/team", include_in_schema=False)
Leader = Annotated[Actor, requires(Role.team_leader)]

WEEKDAY_LABELS = (
    N_("周一"),
    N_("周二"),
    N_("周三"),
    N_("周四"),
    N_("周五"),
    N_("周六"),
    N_("周日"),
)
MONTH_LABELS = (
    N_("1月"), N_("2月"), N_("3月"), N_("4月"), N_("5月"), N_("6月"),
    N_("7月"), N_("8月"), N_("9月"), N_("10月"), N_("11月"), N_("12月"),
)  # fmt: skip
# Words for the refusals the forms check themselves (by pydantic error type); field errors are
# Chinese source ids, translated by the template in the reader's language.
_REASON_ERRORS = {
    "too_long": N_("原因最多 500 个字，请删短一些。"),
    "control_character": N_("原因里有无法识别的字符，请重新输入。"),
    "surrogate": N_("原因里有无法识别的字符，请重新输入。"),
    "nul_byte": N_("原因里有无法识别的字符，请重新输入。"),
}


def _labels() -> dict:
    return {"WEEKDAY_LABELS": WEEKDAY_LABELS, "MONTH_LABELS": MONTH_LABELS}


@router.get("", name="desk_team")
async def team_offers(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Leader,
    done: Annotated[Literal["declined"] | None, Query()] = None,
):
    """队伍接单: the orders waiting for an answer from the leader's teams, most urgent first."""
    context = {
        "cards": await team_desk.team_offers(session, ctx),
        "team_names": await team_desk.led_team_names(session, ctx),
        "done": done,
        **_labels(),
    }
    return render(request, "desk/team/offers.html", context)


async def _offer_page(
    request: Request,
    session: AsyncSession,
    ctx: ActionContext,
    order_id: int,
    *,
    status_code: int = 200,
    **extra,
):
    detail = await team_desk.team_offer(session, ctx, order_id)
    context = {"detail": detail, "chosen": set(), "errors": {}, **_labels(), **extra}
    return render(request, "desk/team/offer.html", context, status_code=status_code)


@router.get("/offers/{order_id}", name="desk_team_offer")
async def team_offer(
    request: Request,
    order_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Leader,
    done: Annotated[Literal["accepted"] | None, Query()] = None,
):
    """One order of the team: what, when, where, and who of the team can go."""
    return await _offer_page(request, session, ctx, order_id, done=done)


def _chosen_ids(values: list) -> set[int]:
    return {int(v) for v in values if isinstance(v, str) and v.isdigit() and len(v) < 11}


@router.post("/offers/{order_id}/accept", name="desk_team_accept")
async def team_accept(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Leader
):
    """接单: the team takes the order with the members ticked (all or nothing)."""
    await team_desk.leader_order(session, ctx, order_id)  # 404 unless the team's order
    values = (await request.form()).getlist("member_ids")
    chosen = _chosen_ids(values)
    try:
        data = TeamAcceptRequest(member_ids=values)
    except ValidationError:
        message = N_("请至少勾选一名队员。") if not values else N_("所选队员有误，请重新勾选。")
        errors = {"member_ids": message}
        return await _offer_page(
            request, session, ctx, order_id, status_code=422, chosen=chosen, errors=errors
        )
    try:
        await teams.team_accept(session, ctx, order_id=order_id, member_ids=data.member_ids)
    except AppError as refused:
        await session.rollback()  # all or nothing: the page below reads the unchanged order
        return await _offer_page(
            request,
            session,
            ctx,
            order_id,
            status_code=refused.status_code,
            chosen=chosen,
            refusal=in_page_locale(request, refused.detail),
        )
    target = request.url_for("desk_team_offer", order_id=order_id).path
    return redirect(request, f"{target}?done=accepted")


async def _decline_page(
    request: Request,
    session: AsyncSession,
    ctx: ActionContext,
    order_id: int,
    *,
    status_code: int = 200,
    **extra,
):
    detail = await team_desk.team_offer(session, ctx, order_id)
    context = {"detail": detail, "reason": "", "errors": {}, **_labels(), **extra}
    return render(request, "desk/team/decline.html", context, status_code=status_code)


@router.get("/offers/{order_id}/decline", name="desk_team_decline_form")
async def team_decline_form(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Leader
):
    """The confirmation step of a decline: the reason, then 确认婉拒."""
    return await _decline_page(request, session, ctx, order_id)


@router.post("/offers/{order_id}/decline", name="desk_team_decline")
async def team_decline(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Leader
):
    """婉拒: the order goes to the coordinator's queue with the team's reason."""
    await team_desk.leader_order(session, ctx, order_id)  # 404 unless the team's order
    typed = form_fields(await request.form()).get("reason", "")
    try:
        data = ReasonRequest(reason=typed)
    except ValidationError as invalid:
        kind = invalid.errors()[0]["type"]
        message = _REASON_ERRORS.get(kind, N_("请写明婉拒的原因。"))
        return await _decline_page(
            request,
            session,
            ctx,
            order_id,
            status_code=422,
            reason=typed,
            errors={"reason": message},
        )
    try:
        await teams.team_decline(session, ctx, order_id=order_id, reason=data.reason)
    except AppError as refused:
        await session.rollback()
        return await _decline_page(
            request,
            session,
            ctx,
            order_id,
            status_code=refused.status_code,
            reason=typed,
            refusal=in_page_locale(request, refused.detail),
        )
    return redirect(request, f"{request.url_for('desk_team').path}?done=declined")


@router.get("/schedule", name="desk_team_schedule")
async def team_schedule(request: Request, session: SessionDep, ctx: ContextDep, actor: Leader):
    """队伍日程: the team's accepted activities that have not ended, by day, with who goes."""
    context = {
        "days": await team_desk.team_schedule(session, ctx),
        "team_names": await team_desk.led_team_names(session, ctx),
        **_labels(),
    }
    return render(request, "desk/team/schedule.html", context)
