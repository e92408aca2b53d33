"""The worker's desk: today's desk, my orders, and the order page whose offers update live.

Each page calls the same services as the JSON API (service/orders/routes_api.py and
service/offers/routes_api.py); only the rendering differs. Actions are plain forms (they work
without JavaScript); a refusal re-renders the page with the reason next to the action that
caused it, in the reader's language and with the refusal's status code, after rolling back
whatever the refused call had begun.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, Literal
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError

from service import page_text
from service.actor import Actor
from service.auth import policy
from service.auth.access import requires
from service.auth.dependencies import ContextDep
from service.auth.web import form_errors, form_fields, redirect
from service.context import ActionContext
from service.demands import service as demands_service
from service.demands.repository import DemandFilters
from service.errors import AppError, NotFound
from service.localtime import to_local
from service.messages import text
from service.offers import service as offers_service
from service.offers.schemas import InvitationWithdrawal
from service.orders import desk_views, repository, service
from service.orders.schemas import PublishRequest, ReasonRequest, RedispatchRequest
from service.page_text import N_
from service.pagination import PageParams
from service.schemas_common import Text
from service.vocab import ORDER_STATUS_LABELS, DemandStatus, OrderStatus, Role
from service.web.deps import SessionDep
from service.web.live import change_stream
from service.web.params import IdPath
from service.web.templating import in_page_locale, page_locale, render, render_fragment

router = APIRouter(include_in_schema=False)
# The order's community worker and the coordinators above it (the API's rule). A team leader
# whose team serves the order may read it once the orders service lets them: then add
# Role.team_leader here — the page already shows actions only to those who may take them.
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]

PAGE_SIZE = 20
DESK_ROWS = 6  # per section of today's desk
CLOSING_SOON = timedelta(hours=48)  # acceptance closing within this counts as "expiring"
TIMELINE_ROWS = 100
LIVE_EVENT = "order-changed"
DETAIL = "desk/orders/detail.html"
LIVE_STATUSES = (*desk_views.UNDER_WAY, OrderStatus.draft, OrderStatus.completed)


def _clock(ctx: ActionContext) -> dict:
    """What every desk template needs to show times: now, and a UTC → local converter."""
    zone = ctx.settings.timezone
    return {
        "now": ctx.now,
        "local": lambda value: to_local(value, zone),
        "WEEKDAY_LABELS": desk_views.WEEKDAY_LABELS,
    }


def _local_day(ctx: ActionContext, day: date) -> datetime:
    """The instant a local calendar day begins (in KEPU_TIMEZONE)."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(ctx.settings.timezone))


# A refused status change, said as a whole sentence per action: the machine's own refusal
# carries Chinese status labels inside its parameters, which an English page cannot translate.
_TOO_LATE = {
    "publish": N_("这个活动现在是「%(status)s」，不能再派单。"),
    "cancel": N_("这个活动现在是「%(status)s」，不能再取消。"),
}


async def _refused(request: Request, session, error: AppError, action: str | None = None) -> str:
    """Undo what the refused call had begun (the page is then rendered, not raised, so the unit
    of work would otherwise commit it) and say why in the reader's language."""
    await session.rollback()
    status = error.extra.get("from_status")
    if action in _TOO_LATE and error.code == "illegal_transition" and status in ORDER_STATUS_LABELS:
        with page_text.use_locale(page_locale(request)):
            label = page_text.gettext(ORDER_STATUS_LABELS[status])
            return page_text.gettext(_TOO_LATE[action]) % {"status": label}
    return in_page_locale(request, error.detail)


# ---------------------------------------------------------------- today's desk


@router.get("/desk", name="desk_today")
async def desk_today(request: Request, actor: Staff, session: SessionDep, ctx: ContextDep):
    """今日工作台: new demands, and the orders that need a hand now — one action each."""
    today = to_local(ctx.now, ctx.settings.timezone).date()
    day_end = _local_day(ctx, today + timedelta(days=1))
    scope = policy.managed_orders_clause(actor)
    sections = {}
    for bucket in repository.DESK_BUCKETS:
        orders, total = await repository.desk_bucket(
            session=session,
            scope=scope,
            bucket=bucket,
            now=ctx.now,
            day_end=day_end,
            soon=ctx.now + CLOSING_SOON,
            limit=DESK_ROWS,
        )
        rows = [(order, desk_views.next_step(order, ctx.now)) for order in orders]
        sections[bucket] = {"rows": rows, "total": total}
    _, new_demands = await demands_service.inbox_page(
        session,
        ctx,
        filters=DemandFilters(status=DemandStatus.new),
        order_by="newest",
        limit=1,
        offset=0,
    )
    communities = await repository.area_names(session=session, area_ids=actor.community_ids())
    context = {
        "actor": actor,
        "today": today,
        "sections": sections,
        "new_demands": new_demands,
        "communities": sorted(communities.values()),
        **_clock(ctx),
    }
    return render(request, "desk/today/page.html", context)


# ---------------------------------------------------------------- my orders


def _parse_day(value: str, field: str, errors: dict) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors[field] = "bad_date"
        return None


@router.get("/desk/orders", name="desk_orders")
async def desk_orders(
    request: Request,
    actor: Staff,
    session: SessionDep,
    ctx: ContextDep,
    status: Annotated[OrderStatus | Literal[""], Query()] = "",
    date_from: Annotated[Text(10), Query(alias="from")] = "",
    date_to: Annotated[Text(10), Query(alias="to")] = "",
    q: Annotated[Text(50), Query()] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
):
    """我的活动: the orders of my community (a coordinator: of the area), filtered, paginated."""
    errors: dict[str, str] = {}
    first_day = _parse_day(date_from, "from", errors)
    last_day = _parse_day(date_to, "to", errors)
    if first_day and last_day and last_day < first_day:
        errors["to"] = "to_before_from"
    filters = {
        "starts_after": _local_day(ctx, first_day) if first_day and not errors else None,
        "starts_before": (
            _local_day(ctx, last_day + timedelta(days=1)) if last_day and not errors else None
        ),
        "text": q or None,
    }
    scope = policy.managed_orders_clause(actor)
    chosen = OrderStatus(status) if status else None
    orders, total = await repository.list_orders(
        session=session,
        scope=scope,
        page=PageParams(limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE),
        status=chosen,
        upcoming_first=ctx.now,
        **filters,
    )
    counts = await repository.status_counts(session=session, scope=scope, **filters)
    query = {"from": date_from, "to": date_to, "q": q}
    query = {key: value for key, value in query.items() if value}

    def url(**changes) -> str:
        params = {**query, "status": status, **changes}
        params = {key: value for key, value in params.items() if value and value != 1}
        return request.url.path + (f"?{urlencode(params)}" if params else "")

    communities = await repository.area_names(
        session=session, area_ids={order.community_id for order in orders}
    )
    context = {
        "orders": [(order, desk_views.next_step(order, ctx.now)) for order in orders],
        "total": total,
        "counts": counts,
        "all_count": sum(counts.values()),
        "status": status,
        "form": {"from": date_from, "to": date_to, "q": q},
        "errors": errors,
        "page": page,
        "first_row": (page - 1) * PAGE_SIZE + 1,
        "last_row": min(page * PAGE_SIZE, total),
        "prev_url": url(page=page - 1) if page > 1 else None,
        "next_url": url(page=page + 1) if page * PAGE_SIZE < total else None,
        "tab_url": lambda value: url(status=value, page=1),
        "communities": communities,
        "show_community": len(actor.community_ids()) != 1,
        **_clock(ctx),
    }
    return render(request, "desk/orders/list.html", context, status_code=422 if errors else 200)


# ---------------------------------------------------------------- the order page


async def _order_context(session, ctx: ActionContext, order_id: int) -> dict:
    """Everything the order page and its live fragments show (authorized by the service)."""
    order = await service.managed_order(session, ctx, order_id)
    community = await repository.get_area(session=session, area_id=order.community_id)
    offers = desk_views.offer_rows(
        await repository.offers_with_people(session=session, order_id=order.id)
    )
    events, event_total = await repository.recent_events(
        session=session, order_id=order.id, limit=TIMELINE_ROWS
    )
    names = await repository.user_names(
        session=session,
        user_ids={e.actor_user_id for e in events if e.actor_user_id}
        | ({order.created_by_user_id} if order.created_by_user_id else set()),
    )
    team = (
        await repository.get_team(session=session, team_id=order.team_id) if order.team_id else None
    )
    works_there = ctx.actor.works_for(order.community_id)
    status = OrderStatus(order.status)
    return {
        "order": order,
        "community": community,
        "skills": await repository.skill_names_of(session=session, order_id=order.id),
        "team": team,
        "creator": names.get(order.created_by_user_id),
        "offers": offers,
        "engaged": [row for row in offers if row.engaged],
        "waiting": [row for row in offers if row.waiting],
        "closed": [row for row in offers if row.status in desk_views.CLOSED],
        "timeline": desk_views.timeline_rows(
            events, offer_names={row.id: row.name for row in offers}, user_names=names
        ),
        "timeline_total": event_total,
        # Full numbers only for the community's own worker, of volunteers who accepted
        # (the rule of policy.can_see_full_phone; the reveal route checks it again).
        "can_reveal": works_there,
        "can_manage": policy.can_manage_order(
            ctx.actor, community_id=order.community_id, community_path=community.path
        ),
        "can_publish": status == OrderStatus.draft,
        "can_redispatch": status in (OrderStatus.published, OrderStatus.expired),
        "can_cancel": status
        in (OrderStatus.draft, OrderStatus.published, OrderStatus.staffed, OrderStatus.expired),
        "can_complete": status in desk_views.UNDER_WAY
        and order.accepted_count > 0
        and (order.ends_at <= ctx.now or status == OrderStatus.in_progress),
        "can_rate": status == OrderStatus.completed,
        "has_codes": status in (OrderStatus.completed, OrderStatus.evaluated),
        "live": status in LIVE_STATUSES,
        "version": await repository.live_version(session=session, order_id=order.id),
        "next": desk_views.next_step(order, ctx.now),
        "mode_labels": desk_views.DISPATCH_MODE_LABELS,
        "mode_short": desk_views.DISPATCH_MODE_SHORT,
        "distances": (2, 5, 10),
        **_clock(ctx),
    }


async def _render_order(
    request: Request,
    session,
    ctx: ActionContext,
    order_id: int,
    *,
    errors: dict | None = None,
    form: dict | None = None,
    status_code: int = 200,
):
    context = await _order_context(session, ctx, order_id)
    context.update(errors=errors or {}, form=form or {})
    return render(request, DETAIL, context, status_code=status_code)


@router.get("/desk/orders/{order_id}", name="desk_order")
async def desk_order(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """The order: what, when, where, 名额; the offers and the history, both updating live."""
    return await _render_order(request, session, ctx, order_id)


@router.get("/desk/orders/{order_id}/fragment", name="desk_order_fragment")
async def desk_order_fragment(
    request: Request,
    order_id: IdPath,
    actor: Staff,
    session: SessionDep,
    ctx: ContextDep,
    block: Annotated[Literal["summary", "offers", "timeline"], Query()] = "offers",
):
    """One live part of the order page (authorized on its own, like the page)."""
    context = await _order_context(session, ctx, order_id)
    context.update(errors={}, form={})
    return render_fragment(request, DETAIL, block, context)


@router.get("/desk/orders/{order_id}/live", name="desk_order_live")
async def desk_order_live(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """Server-sent events: ``order-changed`` whenever the order or its offers change."""
    order = await service.managed_order(session, ctx, order_id)
    if "text/event-stream" not in request.headers.get("accept", ""):
        # Only an EventSource asks for a stream; anything else (a script, a crawler) would
        # otherwise hold a response open without end. It gets the current version instead.
        version = await repository.live_version(session=session, order_id=order.id)
        return PlainTextResponse(version, headers={"Cache-Control": "no-store"})

    async def version(own_session) -> str:
        return await repository.live_version(session=own_session, order_id=order.id)

    return change_stream(request, version=version, event=LIVE_EVENT)


@router.post("/desk/orders/{order_id}/publish", name="desk_order_publish")
async def desk_order_publish(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """派单: publish the draft in its dispatch mode (the cascade asks the first volunteers)."""
    try:
        await service.publish_order(session, ctx, order_id=order_id, data=PublishRequest())
    except AppError as error:
        message = await _refused(request, session, error, "publish")
        return await _render_order(
            request,
            session,
            ctx,
            order_id,
            errors={"publish": message},
            status_code=error.status_code,
        )
    return redirect(request, f"/desk/orders/{order_id}")


def _redispatch_fields(fields: dict) -> dict:
    """The form's non-empty fields, as RedispatchRequest reads them."""
    chosen = {
        "max_distance_km": fields.get("max_distance_km", ""),
        "dispatch_mode": fields.get("dispatch_mode", ""),
        "reason": fields.get("reason", ""),
    }
    return {key: value for key, value in chosen.items() if value.strip()}


@router.post("/desk/orders/{order_id}/redispatch", name="desk_order_redispatch")
async def desk_order_redispatch(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """重新派单: optionally widen the distance or change the mode, then ask again."""
    fields = form_fields(await request.form())
    form = _redispatch_fields(fields)
    try:
        data = RedispatchRequest(**form)
    except ValidationError as invalid:
        errors = {f"redispatch_{key}": value for key, value in form_errors(invalid).items()}
        return await _render_order(
            request, session, ctx, order_id, errors=errors, form=form, status_code=422
        )
    try:
        await service.redispatch_order(session, ctx, order_id=order_id, data=data)
    except AppError as error:
        message = await _refused(request, session, error)
        return await _render_order(
            request,
            session,
            ctx,
            order_id,
            errors={"redispatch": message},
            form=form,
            status_code=error.status_code,
        )
    return redirect(request, f"/desk/orders/{order_id}")


# ---------------------------------------------------------------- confirmation pages


async def _cancel_page(request, session, ctx, order_id, *, form=None, errors=None, status_code=200):
    context = await _order_context(session, ctx, order_id)
    context.update(form=form or {}, errors=errors or {})
    return render(request, "desk/orders/cancel.html", context, status_code=status_code)


@router.get("/desk/orders/{order_id}/cancel", name="desk_order_cancel")
async def desk_order_cancel(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """取消活动, step one: who will be told, and the reason they will read."""
    return await _cancel_page(request, session, ctx, order_id)


@router.post("/desk/orders/{order_id}/cancel", name="desk_order_cancel_submit")
async def desk_order_cancel_submit(
    request: Request, order_id: IdPath, actor: Staff, session: SessionDep, ctx: ContextDep
):
    """取消活动, step two: cancel with the reason; every offered or accepted volunteer is told."""
    fields = form_fields(await request.form())
    form = {"reason": fields.get("reason", "")}
    try:
        data = ReasonRequest(**form)
    except ValidationError as invalid:
        return await _cancel_page(
            request, session, ctx, order_id, form=form, errors=form_errors(invalid),
            status_code=422,
        )  # fmt: skip
    try:
        await service.cancel_order(session, ctx, order_id=order_id, reason=data.reason)
    except AppError as error:
        message = await _refused(request, session, error, "cancel")
        return await _cancel_page(
            request, session, ctx, order_id, form=form, errors={"_": message},
            status_code=error.status_code,
        )  # fmt: skip
    return redirect(request, f"/desk/orders/{order_id}")


async def _withdraw_page(
    request, session, ctx, order_id, offer_id, *, form=None, errors=None, status_code=200
):
    context = await _order_context(session, ctx, order_id)
    offer = next((row for row in context["offers"] if row.id == offer_id), None)
    if offer is None:
        raise NotFound(text("refusal.offer.not_found"))
    context.update(offer=offer, form=form or {}, errors=errors or {})
    return render(request, "desk/orders/withdraw.html", context, status_code=status_code)


@router.get("/desk/orders/{order_id}/offers/{offer_id}/withdraw", name="desk_offer_withdraw")
async def desk_offer_withdraw(
    request: Request,
    order_id: IdPath,
    offer_id: IdPath,
    actor: Staff,
    session: SessionDep,
    ctx: ContextDep,
):
    """撤回邀请, step one: whom, and what happens next."""
    return await _withdraw_page(request, session, ctx, order_id, offer_id)


@router.post(
    "/desk/orders/{order_id}/offers/{offer_id}/withdraw", name="desk_offer_withdraw_submit"
)
async def desk_offer_withdraw_submit(
    request: Request,
    order_id: IdPath,
    offer_id: IdPath,
    actor: Staff,
    session: SessionDep,
    ctx: ContextDep,
):
    """撤回邀请, step two: the volunteer is told; in targeted mode the next one is asked."""
    fields = form_fields(await request.form())
    form = {"reason": fields.get("reason", "")}
    try:
        data = InvitationWithdrawal(**{k: v for k, v in form.items() if v.strip()})
    except ValidationError as invalid:
        return await _withdraw_page(
            request, session, ctx, order_id, offer_id, form=form, errors=form_errors(invalid),
            status_code=422,
        )  # fmt: skip
    try:
        await offers_service.withdraw_invitation(
            session, ctx, order_id=order_id, offer_id=offer_id, reason=data.reason
        )
    except AppError as error:
        message = await _refused(request, session, error)
        return await _withdraw_page(
            request, session, ctx, order_id, offer_id, form=form, errors={"_": message},
            status_code=error.status_code,
        )  # fmt: skip
    return redirect(request, f"/desk/orders/{order_id}#offers")
