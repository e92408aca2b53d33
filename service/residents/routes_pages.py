"""Pages for residents without an account (phone first, 长辈 mode by default): activities near
them, one activity, 点单 with a phone number and its follow-up, a community's open demands with
「我也想要」. Every change goes through the same ``service.demands.service`` calls as the JSON
API (its rules, throttles and phone checks); refusals are shown beside their cause."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.auth.web import form_errors, form_fields, redirect
from service.demands import service as demands
from service.demands.repository import DemandFilters
from service.demands.schemas import DemandCreate, ProgressLookup, UpvoteRequest
from service.errors import AppError
from service.masking import mask_phone
from service.orders import repository as orders_repo
from service.page_text import N_
from service.residents import repository, views
from service.vocab import TARGET_GROUP_LABELS, DemandStatus
from service.web.deps import SessionDep
from service.web.params import IdPath
from service.web.templating import in_page_locale, render

router = APIRouter(include_in_schema=False)
Anyone = Annotated[Actor, requires(PUBLIC)]
OPEN_DEMANDS_SHOWN = 50
ACTIVITIES_SHOWN = 10

# The form's own words for what pydantic refuses (field → sentence); other refusals come from
# the catalogue (``form_errors``) in the reader's language.
_DEMAND_FIELD_WORDS = {
    "community_id": N_("请选择您所在的社区。"),
    "skill_id": N_("请选择想听的主题。"),
    "target_group": N_("请选择活动面向谁。"),
    "contact_phone": N_("请填写 11 位手机号，例如 13812345678。"),
    "preferred_end": N_("请重新选择希望的时间。"),
}


def _not_found(request: Request, message: str):
    return render(request, "resident/not_found.html", {"message": message}, status_code=404)


# ---------------------------------------------------------------- activities near me


@router.get("/activities", name="resident_activities")
async def activities(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Anyone,
    community_id: Annotated[str | None, Query(max_length=12)] = None,
    lat: Annotated[str | None, Query(max_length=24)] = None,
    lng: Annotated[str | None, Query(max_length=24)] = None,
    show: Annotated[str | None, Query(max_length=8)] = None,
):
    """Upcoming public activities, nearest to the chosen community (or the phone's place) first;
    the first few, so that a phone's page stays short (「显示更多活动」 shows them all)."""
    communities = await repository.communities_with_streets(session=session)
    origin, problem = _origin(communities, community_id, lat, lng)
    rows = await repository.upcoming_activities(session=session, now=ctx.now)
    nearby = views.nearest_first(rows, origin)
    shown = nearby if show == "all" else nearby[:ACTIVITIES_SHOWN]
    more = request.url.include_query_params(show="all") if len(shown) < len(nearby) else None
    context = {
        "streets": views.by_street(communities),
        "origin": origin,
        "problem": problem,
        "nearby": shown,
        "more_url": f"{more.path}?{more.query}" if more else None,
        "hidden_count": len(nearby) - len(shown),
    }
    return render(request, "resident/activities.html", context)


def _origin(
    communities: list[dict], community_id: str | None, lat: str | None, lng: str | None
) -> tuple[views.Origin | None, str | None]:
    """Where to measure from, and what to say when the choice was not understood."""
    if lat or lng:
        point = views.parse_point(lat, lng)
        if point is None:
            return None, N_("没能读到您的位置，请在上面选择社区。")
        if not views.near_any(point, communities):
            return None, N_("您现在的位置离本区的社区太远，请在上面选择社区。")
        return views.Origin(*point), None
    if community_id:
        chosen = next((c for c in communities if str(c["id"]) == community_id), None)
        if chosen is None:
            return None, N_("没有找到这个社区，请重新选择。")
        return views.Origin(chosen["lat"], chosen["lng"], chosen["id"], chosen["name"]), None
    return None, None


@router.get("/activities/{order_id}", name="resident_activity")
async def activity(
    request: Request, order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Anyone
):
    """One activity: what, for whom, when, where (and how to get there), who is coming."""
    found = await repository.public_activity(session=session, order_id=order_id)
    if found is None:
        return _not_found(request, N_("没有找到这个活动。它可能已经取消，或者还没有发布。"))
    context = {"activity": found, "ended": views.has_ended(found, ctx.now)}
    return render(request, "resident/activity.html", context)


# ---------------------------------------------------------------- 点单


async def _demand_form(
    request: Request, session: AsyncSession, ctx, *, values: dict, errors: dict, status_code=200
):
    communities = await repository.communities_with_streets(session=session)
    context = {
        "streets": views.by_street(communities),
        "skill_tree": await orders_repo.skill_tree(session=session),
        "groups": TARGET_GROUP_LABELS,
        "day_parts": views.DAY_PARTS,
        "earliest": views.earliest_wish_day(ctx.now, ctx.settings.timezone),
        "values": values,
        "errors": errors,
    }
    return render(request, "resident/demand_form.html", context, status_code=status_code)


@router.get("/demand", name="resident_demand_new")
async def demand_form(
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    actor: Anyone,
    community_id: Annotated[str | None, Query(max_length=12)] = None,
):
    """点单: what the resident would like, for whom, when, and a phone number."""
    values = {"community_id": community_id or "", "target_group": "elderly"}
    return await _demand_form(request, session, ctx, values=values, errors={})


@router.post("/demand", name="resident_demand_new")
async def submit_demand(request: Request, session: SessionDep, ctx: ContextDep, actor: Anyone):
    """Record the demand (nothing is saved when anything is wrong) and show its receipt."""
    values = {k: v.strip() for k, v in form_fields(await request.form()).items()}
    errors: dict[str, str] = {}
    skills = {s.id: s for _, children in await orders_repo.skill_tree(session=session)
              for s in children}  # fmt: skip
    skill = skills.get(int(values["skill_id"])) if values.get("skill_id", "").isdigit() else None
    wished = _wish_day(values.get("day", ""), ctx, errors)
    starts, ends = views.preferred_window(wished, values.get("part"), ctx.settings.timezone)
    try:
        data = DemandCreate(
            community_id=values.get("community_id") or None,
            skill_id=skill.id if skill else None,
            topic=skill.name if skill else "",
            target_group=values.get("target_group") or None,
            description=values.get("description", ""),
            preferred_start=starts,
            preferred_end=ends,
            contact_name=values.get("contact_name", ""),
            contact_phone=values.get("contact_phone") or None,
        )
    except ValidationError as invalid:
        found = form_errors(invalid, request)
        errors.update({k: _DEMAND_FIELD_WORDS.get(k, v) for k, v in found.items()
                       if k not in ("description", "contact_name")})  # fmt: skip
        errors.update({k: v for k, v in found.items() if k in ("description", "contact_name")})
        data = None
    if "topic" in errors or (skill is None and data is not None):  # the topic is the skill's name
        errors.pop("topic", None)
        errors["skill_id"] = _DEMAND_FIELD_WORDS["skill_id"]
    if not values.get("contact_phone"):  # said with the other mistakes, not on a second round
        errors["contact_phone"] = _DEMAND_FIELD_WORDS["contact_phone"]
    if errors or data is None:
        return await _demand_form(
            request, session, ctx, values=values, errors=errors, status_code=422
        )
    try:
        demand, code = await demands.submit(session, ctx, data=data)
    except AppError as refused:
        await session.rollback()
        errors[refused.extra.get("field") or "_"] = in_page_locale(request, refused.detail)
        return await _demand_form(
            request, session, ctx, values=values, errors=errors, status_code=refused.status_code
        )
    response = redirect(request, request.url_for("resident_demand_done").path)
    response.set_cookie(
        views.RECEIPT_COOKIE,
        views.receipt_value(ctx.settings.secret_key, demand.id, code),
        max_age=views.RECEIPT_MINUTES * 60,
        path="/demand",
        httponly=True,
        samesite="lax",
        secure=ctx.settings.cookie_secure,
    )
    return response


def _wish_day(typed: str, ctx, errors: dict) -> date | None:
    if not typed:
        return None
    try:
        day = date.fromisoformat(typed)
    except ValueError:
        errors["day"] = N_("请选择一个日子，例如 2026-12-05。")
        return None
    if day < views.earliest_wish_day(ctx.now, ctx.settings.timezone):
        errors["day"] = N_("请选择明天或以后的日子。")
        return None
    return day


@router.get("/demand/done", name="resident_demand_done")
async def demand_done(request: Request, session: SessionDep, ctx: ContextDep, actor: Anyone):
    """The demand number and the follow-up code, shown to this browser for a short while."""
    receipt = views.read_receipt(ctx.settings.secret_key, request.cookies.get(views.RECEIPT_COOKIE))
    if receipt is None:  # reloaded later, or another browser: the follow-up form says why
        notice = N_("这张回执已经过期。请用点单编号、手机号和查询码查询进度。")
        context = {"values": {"demand_id": ""}, "errors": {}, "notice": notice}
        return render(request, "resident/follow.html", context)
    demand_id, code = receipt
    demand = await demands.get(session, demand_id=demand_id)
    return render(request, "resident/demand_done.html", {"demand": demand, "code": code})


@router.get("/demand/follow", name="resident_demand_follow")
async def follow_form(
    request: Request,
    actor: Anyone,
    demand: Annotated[str | None, Query(max_length=12)] = None,
):
    """查询点单进度: the number, the phone and the code given at 点单."""
    values = {"demand_id": demand if demand and demand.isdigit() else ""}
    return render(request, "resident/follow.html", {"values": values, "errors": {}})


@router.post("/demand/follow", name="resident_demand_follow")
async def follow_up(
    request: Request, session: SessionDep, ctx: ContextDep, throttle: ThrottleDep, actor: Anyone
):
    """The demand's status, when the three belong together; otherwise one neutral "not found".

    A look-up, not a change: the answer is the page itself (a POST keeps phone and code out of
    the address bar and the logs). Every try counts against the service's look-up limits.
    """
    # Numbers copied down from the receipt may come back with spaces in them.
    values = {k: "".join(v.split()) for k, v in form_fields(await request.form()).items()}
    errors: dict[str, str] = {}
    if not values.get("demand_id", "").isdigit() or len(values["demand_id"]) > 12:
        errors["demand_id"] = N_("请填写点单编号（数字）。")
    try:
        lookup = ProgressLookup(phone=values.get("phone", ""), code=values.get("code", ""))
    except ValidationError as invalid:
        found = form_errors(invalid, request)
        if "phone" in found:
            errors["phone"] = N_("请填写 11 位手机号，例如 13812345678。")
        if "code" in found:
            errors["code"] = N_("查询码是 8 位数字，在点单后的回执上。")
        lookup = None
    if errors or lookup is None:
        context = {"values": values, "errors": errors}
        return render(request, "resident/follow.html", context, status_code=422)
    try:
        demand = await demands.progress(
            session, ctx, demand_id=int(values["demand_id"]), phone=lookup.phone,
            code=lookup.code, ip=client_ip(request), throttle=throttle,
        )  # fmt: skip
    except AppError as refused:  # not found, or too many tries: the same place on the form
        context = {
            "values": values,
            "errors": {},
            "refusal": in_page_locale(request, refused.detail),
        }
        return render(request, "resident/follow.html", context, status_code=refused.status_code)
    order = (await demands.orders_for(session, [demand])).get(demand.id)
    public = order and await repository.public_activity(session=session, order_id=order.id)
    merged_into = (
        await demands.topics_of(session, [demand.merged_into_id]) if demand.merged_into_id else {}
    )
    context = {
        "demand": demand,
        "activity": public or None,
        "merged_topic": merged_into.get(demand.merged_into_id, ""),
    }
    return render(request, "resident/progress.html", context)


# ---------------------------------------------------------------- 我也想要


async def _community_page(
    request: Request, session: AsyncSession, area_id: int, *, status_code=200, **extra
):
    community = await repository.community(session=session, area_id=area_id)
    if community is None:
        return _not_found(request, N_("没有找到这个社区。"))
    rows, total = await demands.public_page(
        session,
        filters=DemandFilters(community_ids=[area_id], status=DemandStatus.new),
        order_by="popular",
        limit=OPEN_DEMANDS_SHOWN,
        offset=0,
    )
    context = {
        "community": community,
        "demands": rows,
        "total": total,
        "asking": None,
        "errors": {},
        "values": {},
        **extra,
    }
    return render(request, "resident/community_demands.html", context, status_code=status_code)


@router.get("/communities/{area_id}/demands", name="resident_community_demands")
async def community_demands(
    request: Request,
    area_id: IdPath,
    session: SessionDep,
    actor: Anyone,
    voted: Annotated[str | None, Query(max_length=12)] = None,
    counted: Annotated[str | None, Query(max_length=1)] = None,
):
    """What neighbours have asked for, most wanted first, each with 「我也想要」."""
    outcome = None
    if voted and voted.isdigit():
        outcome = {"demand_id": int(voted), "counted": counted == "1"}
    return await _community_page(request, session, area_id, outcome=outcome)


@router.post("/communities/{area_id}/demands/{demand_id}/upvote", name="resident_community_upvote")
async def upvote(
    request: Request,
    area_id: IdPath,
    demand_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
):
    """「我也想要」 in two steps, as the API: the phone gets a texted code, then the code counts
    the vote (once per phone). Then back to the list, which shows the new count."""
    demand = await demands.get(session, demand_id=demand_id)
    if demand.community_id != area_id:
        return _not_found(request, N_("这个社区没有这条点单。"))
    values = {k: v.strip() for k, v in form_fields(await request.form()).items()}
    try:
        body = UpvoteRequest(phone=values.get("phone") or None, code=values.get("code") or None)
    except ValidationError as invalid:
        found = form_errors(invalid, request)
        errors = {
            field: words
            for field, words in (
                ("phone", N_("请填写 11 位手机号，例如 13812345678。")),
                ("code", N_("验证码是短信里的 6 位数字。")),
            )
            if field in found
        }
        return await _community_page(
            request, session, area_id, status_code=422, asking=demand_id, errors=errors,
            values=values,
        )  # fmt: skip
    if not body.phone:
        errors = {"phone": N_("请填写 11 位手机号，例如 13812345678。")}
        return await _community_page(
            request, session, area_id, status_code=422, asking=demand_id, errors=errors,
            values=values,
        )  # fmt: skip
    try:
        result = await demands.upvote(
            session, ctx, demand_id=demand_id, phone=body.phone, code=body.code,
            ip=client_ip(request), throttle=throttle,
        )  # fmt: skip
    except AppError as refused:
        field = "code" if body.code else "phone"
        errors = {field: in_page_locale(request, refused.detail)}
        return await _community_page(
            request, session, area_id, status_code=refused.status_code, asking=demand_id,
            errors=errors, values=values,
        )  # fmt: skip
    if isinstance(result, AppError):  # a wrong code: returned so its counted try is committed
        errors = {"code": in_page_locale(request, result.detail)}
        return await _community_page(
            request, session, area_id, status_code=result.status_code, asking=demand_id,
            errors=errors, values=values,
        )  # fmt: skip
    if result is None:  # the code was texted: ask for it beside this demand
        sent = {"phone": body.phone, "masked": mask_phone(body.phone)}
        return await _community_page(
            request, session, area_id, asking=demand_id, code_sent=sent, values=values
        )
    target = request.url_for("resident_community_demands", area_id=area_id).path
    query = f"?voted={demand_id}&counted={'1' if result.counted else '0'}"
    return redirect(request, f"{target}{query}#demand-{demand_id}")
