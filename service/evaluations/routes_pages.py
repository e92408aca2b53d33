"""The evaluations pages (server-rendered; the same service calls as the API).

For the community worker (desk): rating the volunteers who served (``rate_volunteer``) and the
residents' rating codes as a printable sheet of cut-out cards with QR codes (``summary``,
``add_rating_codes``). For residents (public, phone first): the page a card's QR code opens,
where they rate the activity with the code (``look_up_code``, ``rate_with_code``; both counted
against the per-IP limit, like the API).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ValidationError

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.auth.web import form_fields, redirect
from service.errors import AppError, NotFound
from service.evaluations import codes as rating_codes
from service.evaluations import service
from service.evaluations.qr import qr_picture
from service.evaluations.schemas import IssueCodes, ResidentRating, VolunteerRating
from service.messages import text
from service.models import Order, RatingCode
from service.orders.service import managed_order
from service.page_text import N_
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, render

router = APIRouter(include_in_schema=False)
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]
Anyone = Annotated[Actor, requires(PUBLIC)]
# Whatever a resident typed or a QR code carried; judged by the service, refused inline.
RawCode = Annotated[str, Path(min_length=1, max_length=64)]
RATE_PAGE = "desk/activity/rate.html"
SHEET_PAGE = "desk/activity/rating_codes.html"
PUBLIC_PAGE = "public/rate.html"
START_PAGE = "public/rate_start.html"
DONE_PAGE = "public/rate_done.html"


# ---------------------------------------------------------------- the worker rates volunteers


class VolunteerRatingsForm(BaseModel):
    """The rating form: stars and a comment for every volunteer not rated yet (API schema)."""

    ratings: list[VolunteerRating]


def _rating_errors(error: ValidationError, volunteer_ids: list[int]) -> dict[str, str]:
    found: dict[str, str] = {}
    for item in error.errors():
        location = item.get("loc", ())
        if len(location) >= 3 and location[0] == "ratings":
            volunteer_id = volunteer_ids[int(location[1])]
            if location[2] == "stars":
                found.setdefault(f"stars-{volunteer_id}", N_("请为这位志愿者选 1 到 5 星。"))
            else:
                found.setdefault(
                    f"comment-{volunteer_id}", N_("评价最多 1000 字，不能含有特殊控制字符。")
                )
    return found


async def _rate_context(request: Request, session, order: Order, **extra) -> dict:
    people = await service.volunteers_to_rate(session, order=order)
    rateable = order.status in service.RATEABLE
    return {
        "order": order,
        "people": people,
        "to_rate": [person for person in people if person.rating is None],
        "rateable": rateable,
        "not_rateable": None
        if rateable
        else in_page_locale(request, text("refusal.evaluation.not_completed")),
        "values": {},
        "errors": {},
        "refusal": None,
        **extra,
    }


@router.get("/desk/orders/{order_id}/rate", name="desk_order_rate")
async def rate_page(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """Stars and a comment for each volunteer who served; the ones rated so far as given."""
    order = await managed_order(session, ctx, order_id)
    return render(request, RATE_PAGE, await _rate_context(request, session, order))


@router.post("/desk/orders/{order_id}/rate", name="desk_order_rate")
async def rate_volunteers(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """Rate every volunteer not rated yet in one go; the last rating closes the order (评单)."""
    order = await managed_order(session, ctx, order_id)
    people = await service.volunteers_to_rate(session, order=order)
    pending = [person.volunteer_id for person in people if person.rating is None]
    fields = form_fields(await request.form())
    values = {
        key: fields.get(key, "").strip()
        for volunteer_id in pending
        for key in (f"stars-{volunteer_id}", f"comment-{volunteer_id}")
    }
    try:
        form = VolunteerRatingsForm(
            ratings=[
                {
                    "volunteer_id": volunteer_id,
                    "stars": values[f"stars-{volunteer_id}"] or None,
                    "comment": values[f"comment-{volunteer_id}"],
                }
                for volunteer_id in pending
            ]
        )
    except ValidationError as invalid:
        context = await _rate_context(
            request, session, order, values=values, errors=_rating_errors(invalid, pending)
        )
        return render(request, RATE_PAGE, context, status_code=422)
    try:
        async with session.begin_nested():  # all ratings or none
            service.ensure_rateable(order)
            for rating in form.ratings:
                await service.rate_volunteer(
                    session,
                    ctx,
                    order=order,
                    volunteer_id=rating.volunteer_id,
                    stars=rating.stars,
                    comment=rating.comment,
                )
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        order = await managed_order(session, ctx, order_id)
        context = await _rate_context(
            request, session, order, values=values, refusal=in_page_locale(request, refused.detail)
        )
        return render(request, RATE_PAGE, context, status_code=refused.status_code)
    return redirect(request, request.url_for("desk_order_rate", order_id=order_id).path)


# ---------------------------------------------------------------- the printable code sheet


def _card(request: Request, code: RatingCode) -> dict:
    path = request.url_for("public_rate", code=code.code).path
    url = request.app.state.settings.origin + path
    return {"code": code.code, "url": url, "qr": qr_picture(url)}


async def _sheet_context(request: Request, session, order: Order, **extra) -> dict:
    _evaluations, codes = await service.summary(session, order=order)
    unused = [code for code in codes if code.used_at is None]
    return {
        "order": order,
        "rateable": order.status in service.RATEABLE,
        "cards": [_card(request, code) for code in unused],
        "total": len(codes),
        "used": len(codes) - len(unused),
        # Printed for typing by hand: without the scheme, which browsers add themselves.
        "start_url": (
            request.app.state.settings.origin + request.url_for("public_rate_start").path
        ).split("://", 1)[-1],
        "values": {"count": "10"},
        "errors": {},
        "refusal": None,
        **extra,
    }


@router.get("/desk/orders/{order_id}/rating-codes", name="desk_order_rating_codes")
async def rating_codes_page(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """The unused codes as cut-out cards (QR, the code, the activity); prints without chrome."""
    order = await managed_order(session, ctx, order_id)
    return render(request, SHEET_PAGE, await _sheet_context(request, session, order))


@router.post("/desk/orders/{order_id}/rating-codes", name="desk_order_rating_codes")
async def add_rating_codes(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
):
    """追加评价码: as many more as the worker asks for (1–500)."""
    order = await managed_order(session, ctx, order_id)
    values = {"count": form_fields(await request.form()).get("count", "").strip()}
    try:
        form = IssueCodes(count=values["count"] or None)
    except ValidationError:
        errors = {"count": N_("请填写 1 到 500 之间的整数。")}
        context = await _sheet_context(request, session, order, values=values, errors=errors)
        return render(request, SHEET_PAGE, context, status_code=422)
    try:
        async with session.begin_nested():
            await service.add_rating_codes(session, order=order, count=form.count)
    except AppError as refused:
        if refused.status_code in (403, 404):
            raise
        context = await _sheet_context(
            request, session, order, values=values, refusal=in_page_locale(request, refused.detail)
        )
        return render(request, SHEET_PAGE, context, status_code=refused.status_code)
    return redirect(request, request.url_for("desk_order_rating_codes", order_id=order_id).path)


# ---------------------------------------------------------------- residents rate (public)


def _refused_page(request: Request, refused: AppError, raw_code: str):
    """A code that does not work, or too many tries: said on the code form, with its status."""
    context = {"code": raw_code, "refusal": in_page_locale(request, refused.detail)}
    response = render(request, START_PAGE, context, status_code=refused.status_code)
    if retry_after := getattr(refused, "retry_after", None):
        response.headers["Retry-After"] = str(retry_after)
    return response


@router.get("/rate", name="public_rate_start")
async def rate_start(
    request: Request,
    actor: Anyone,
    code: Annotated[str | None, Query(max_length=64)] = None,
):
    """Where a resident types the code from their card (the card's QR code skips this)."""
    if code and code.strip():
        normalized = rating_codes.normalize(code)
        if rating_codes.looks_valid(normalized):
            return redirect(request, request.url_for("public_rate", code=normalized).path)
        refused = NotFound(text("refusal.evaluation.code_invalid"))
        return _refused_page(request, refused, code)
    if code is not None:  # 下一步 tapped with nothing typed: say so, beside the box
        return render(
            request, START_PAGE, {"code": "", "refusal": None, "empty": True}, status_code=422
        )
    return render(request, START_PAGE, {"code": "", "refusal": None})


@router.get("/rate/done", name="public_rate_done")
async def rate_done(request: Request, actor: Anyone):
    """Thanks, after a rating (a page of its own, so a reload does not send it again)."""
    return render(request, DONE_PAGE, {})


async def _public_context(request, session, ctx, throttle, code: str) -> dict:
    info = await service.look_up_code(
        session, ctx, raw_code=code, throttle=throttle, ip=client_ip(request)
    )
    return {
        "info": info,
        "can_rate": not info.used and info.order.status in service.RATEABLE,
        "values": {},
        "errors": {},
        "refusal": None,
    }


@router.get("/rate/{code}", name="public_rate")
async def rate_activity_page(
    request: Request,
    code: RawCode,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
):
    """The activity the code belongs to, and 1–5 stars with a comment (big, for a phone)."""
    try:
        context = await _public_context(request, session, ctx, throttle, code)
    except AppError as refused:
        return _refused_page(request, refused, code)
    return render(request, PUBLIC_PAGE, context)


@router.post("/rate/{code}", name="public_rate")
async def rate_activity(
    request: Request,
    code: RawCode,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
):
    """One rating per code (a second use is refused on the page, 409); attempts are counted."""
    fields = form_fields(await request.form())
    values = {"stars": fields.get("stars", "").strip(), "comment": fields.get("comment", "")}
    try:
        rating = ResidentRating(code=code, stars=values["stars"] or None, comment=values["comment"])
    except ValidationError as invalid:
        errors = {}
        for item in invalid.errors():
            field = str(item["loc"][0]) if item.get("loc") else ""
            if field == "stars":
                errors["stars"] = N_("请选择 1 到 5 星。")
            elif field == "comment":
                errors["comment"] = N_("评价最多 1000 字，不能含有特殊控制字符。")
        if not errors:  # only the code itself was wrong (longer than any code)
            refused = NotFound(text("refusal.evaluation.code_invalid"))
            return _refused_page(request, refused, code)
        try:
            context = await _public_context(request, session, ctx, throttle, code)
        except AppError as refused:
            return _refused_page(request, refused, code)
        context.update(values=values, errors=errors)
        return render(request, PUBLIC_PAGE, context, status_code=422)
    try:
        # Refusals are answered, not raised: the attempt the limit counted is kept (committed).
        await service.rate_with_code(
            session,
            ctx,
            raw_code=rating.code,
            stars=rating.stars,
            comment=rating.comment,
            throttle=throttle,
            ip=client_ip(request),
        )
    except AppError as refused:  # unknown (404), used already (409), too many tries (429)
        return _refused_page(request, refused, code)
    return redirect(request, request.url_for("public_rate_done").path)
