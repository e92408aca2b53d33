"""The volunteer's phone pages: 我的志愿 (next activity, invitations to answer), one invitation,
附近可接 (open orders I can take), 我的日程 and the calendar feed.

Every answer goes through ``service.offers.service`` (accept_offer, decline_offer,
confirm_offer, accept_open_order), the same calls as the JSON API; a refusal is shown beside
the activity it concerns, with the service's status, in the reader's language.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_fields, redirect
from service.context import ActionContext
from service.errors import AppError
from service.offers import service as offers
from service.offers.schemas import DeclineRequest
from service.orders.desk_views import WEEKDAY_LABELS
from service.page_text import N_
from service.vocab import Role
from service.volunteering import calendar, views
from service.volunteering.nearby import orders_i_can_take
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, render

router = APIRouter(include_in_schema=False)
VolunteerActor = Annotated[Actor, requires(Role.volunteer)]
NEARBY_LIMIT = 30

MONTH_LABELS = (
    N_("1月"), N_("2月"), N_("3月"), N_("4月"), N_("5月"), N_("6月"),
    N_("7月"), N_("8月"), N_("9月"), N_("10月"), N_("11月"), N_("12月"),
)  # fmt: skip
# Reasons to tap instead of typing; stored in Chinese, the words the community reads.
DECLINE_REASONS = (
    N_("那天有别的事"),
    N_("身体不舒服"),
    N_("路太远，去不了"),
    N_("这个内容我不太擅长"),
)
_REASON_ERRORS = {
    "too_long": N_("原因最多 500 个字，请删短一些。"),
    "control_character": N_("原因里有无法识别的字符，请重新输入。"),
    "surrogate": N_("原因里有无法识别的字符，请重新输入。"),
    "nul_byte": N_("原因里有无法识别的字符，请重新输入。"),
}
Back = Literal["home", "offer"]


def _labels() -> dict:
    return {
        "WEEKDAY_LABELS": WEEKDAY_LABELS,
        "MONTH_LABELS": MONTH_LABELS,
        "DECLINE_REASONS": DECLINE_REASONS,
    }


def _back(form: dict) -> Back:
    return "offer" if form.get("back") == "offer" else "home"


# ---------------------------------------------------------------- 我的志愿


async def _home_page(
    request: Request, session: AsyncSession, ctx: ActionContext, *, status_code=200, **extra
):
    context = {"home": await views.home_view(session, ctx), **_labels(), **extra}
    context.setdefault("refusals", {})
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    return render(request, "volunteer/home.html", context, status_code=status_code)


@router.get("/v", name="volunteer_home")
async def volunteer_home(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: VolunteerActor,
    done: Annotated[Literal["declined", "confirmed"] | None, Query()] = None,
):
    """我的志愿: my next activity and the invitations waiting for my answer."""
    return await _home_page(request, session, ctx, done=done)


async def _offer_page(
    request: Request,
    session: AsyncSession,
    ctx: ActionContext,
    offer_id: int,
    *,
    status_code=200,
    **extra,
):
    context = {"card": await views.offer_card(session, ctx, offer_id), **_labels(), **extra}
    context.setdefault("refusals", {})
    context.setdefault("errors", {})
    context.setdefault("typed", {})
    return render(request, "volunteer/offer.html", context, status_code=status_code)


@router.get("/v/offers/{offer_id}", name="volunteer_offer")
async def volunteer_offer(
    request: Request,
    offer_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: VolunteerActor,
    done: Annotated[Literal["accepted", "confirmed"] | None, Query()] = None,
):
    """One invitation or activity of mine: what, for whom, when, where, how far, which skills."""
    return await _offer_page(request, session, ctx, offer_id, done=done)


async def _refused(request, session, ctx, offer_id: int, back: Back, status_code: int, **extra):
    """The page the answer came from again, the refusal or error beside the offer."""
    await session.rollback()  # nothing of the refused answer stays
    if back == "offer":
        return await _offer_page(request, session, ctx, offer_id, status_code=status_code, **extra)
    return await _home_page(request, session, ctx, status_code=status_code, **extra)


async def _refusal_of(answer, request, session, ctx, offer_id: int, back: Back, **kept):
    """Await an answer; when the service refuses it, the page it came from again with the
    refusal beside the offer (None when the answer went through)."""
    try:
        await answer
    except AppError as refused:
        message = in_page_locale(request, refused.detail)
        return await _refused(
            request, session, ctx, offer_id, back, refused.status_code,
            refusals={offer_id: message}, **kept,
        )  # fmt: skip
    return None


@router.post("/v/offers/{offer_id}/accept", name="volunteer_offer_accept")
async def volunteer_offer_accept(
    request: Request, offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """接受邀请 (service.offers.accept_offer)."""
    back = _back(form_fields(await request.form()))
    answer = offers.accept_offer(session, ctx, offer_id=offer_id)
    if refused := await _refusal_of(answer, request, session, ctx, offer_id, back):
        return refused
    target = request.url_for("volunteer_offer", offer_id=offer_id).path
    return redirect(request, f"{target}?done=accepted")


@router.post("/v/offers/{offer_id}/decline", name="volunteer_offer_decline")
async def volunteer_offer_decline(
    request: Request, offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """婉拒邀请, with a reason tapped or typed (service.offers.decline_offer)."""
    await views.offer_card(session, ctx, offer_id)  # 404 before the reason: not my offer
    form = form_fields(await request.form())
    back = _back(form)
    typed = form.get("reason", "")
    chosen = form.get("reason_choice", "")
    reason = typed.strip() or (chosen if chosen in DECLINE_REASONS else "")
    try:
        data = DeclineRequest(reason=reason)
    except ValidationError as invalid:
        kind = invalid.errors()[0]["type"]
        message = _REASON_ERRORS.get(kind, N_("请选一个原因，或者写几个字说明为什么去不了。"))
        return await _refused(
            request, session, ctx, offer_id, back, 422,
            errors={offer_id: message}, typed={offer_id: typed},
        )  # fmt: skip
    answer = offers.decline_offer(session, ctx, offer_id=offer_id, reason=data.reason)
    kept = {"typed": {offer_id: typed}}
    if refused := await _refusal_of(answer, request, session, ctx, offer_id, back, **kept):
        return refused
    return redirect(request, f"{request.url_for('volunteer_home').path}?done=declined")


@router.post("/v/offers/{offer_id}/confirm", name="volunteer_offer_confirm")
async def volunteer_offer_confirm(
    request: Request, offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """确认按时参加 (service.offers.confirm_offer)."""
    back = _back(form_fields(await request.form()))
    answer = offers.confirm_offer(session, ctx, offer_id=offer_id)
    if refused := await _refusal_of(answer, request, session, ctx, offer_id, back):
        return refused
    if back == "offer":
        target = request.url_for("volunteer_offer", offer_id=offer_id).path
        return redirect(request, f"{target}?done=confirmed")
    return redirect(request, f"{request.url_for('volunteer_home').path}?done=confirmed")


# ---------------------------------------------------------------- 附近可接


async def _nearby_page(
    request: Request, session: AsyncSession, ctx: ActionContext, *, status_code=200, **extra
):
    views.my_volunteer_id(ctx)
    takeable = await orders_i_can_take(session, ctx, limit=NEARBY_LIMIT)
    context = {"cards": await views.nearby_cards(session, ctx, takeable), **_labels(), **extra}
    context.setdefault("refusal", None)
    return render(request, "volunteer/nearby.html", context, status_code=status_code)


@router.get("/v/nearby", name="volunteer_nearby")
async def volunteer_nearby(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """附近可接: open orders near me that I can take now (the same rule as the API)."""
    return await _nearby_page(request, session, ctx)


@router.post("/v/nearby/{order_id}/accept", name="volunteer_nearby_accept")
async def volunteer_nearby_accept(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """接单 from the open list (service.offers.accept_open_order)."""
    try:
        offer = await offers.accept_open_order(session, ctx, order_id=order_id)
    except AppError as refused:
        await session.rollback()
        return await _nearby_page(
            request,
            session,
            ctx,
            status_code=refused.status_code,
            refusal=in_page_locale(request, refused.detail),
            refused_order=order_id,
        )
    target = request.url_for("volunteer_offer", offer_id=offer.id).path
    return redirect(request, f"{target}?done=accepted")


# ---------------------------------------------------------------- 我的日程 and the feed


@router.get("/v/schedule", name="volunteer_schedule")
async def volunteer_schedule(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """我的日程: accepted activities by day, and what I did in the last weeks."""
    context = {"schedule": await views.schedule_view(session, ctx), **_labels()}
    return render(request, "volunteer/schedule.html", context)


async def _calendar_page(request, session, ctx, *, status_code=200, **extra):
    context = {"feed_on": await calendar.feed_is_on(session, ctx), **extra}
    return render(request, "volunteer/calendar.html", context, status_code=status_code)


@router.get("/v/calendar", name="volunteer_calendar")
async def volunteer_calendar(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: VolunteerActor,
    done: Annotated[Literal["off"] | None, Query()] = None,
):
    """日历订阅: turn my .ics feed on, make a new address, or turn it off."""
    return await _calendar_page(request, session, ctx, done=done)


@router.post("/v/calendar", name="volunteer_calendar_new")
async def volunteer_calendar_new(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """A new secret address (the old one stops working); shown on this answer only."""
    key = await calendar.new_feed_key(session, ctx)
    feed_path = request.url_for("volunteer_calendar_feed", key=key).path
    return await _calendar_page(
        request, session, ctx, status_code=201, feed_url=ctx.settings.origin + feed_path
    )


@router.post("/v/calendar/off", name="volunteer_calendar_off")
async def volunteer_calendar_off(
    request: Request, session: SessionDep, ctx: ContextDep, actor: VolunteerActor
):
    """Turn the feed off: its address stops working."""
    await calendar.turn_feed_off(session, ctx)
    return redirect(request, f"{request.url_for('volunteer_calendar').path}?done=off")


@router.get("/calendar/{key}.ics", name="volunteer_calendar_feed")
async def volunteer_calendar_feed(
    key: str, session: SessionDep, ctx: ContextDep, actor: Annotated[Actor, requires(PUBLIC)]
):
    """The .ics feed behind a secret address (a calendar app fetches it without a login)."""
    body = await calendar.feed(session, key=key, settings=ctx.settings, now=ctx.now)
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "no-store", "X-Robots-Tag": "noindex"},
    )
