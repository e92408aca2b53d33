"""JSON API of the activity day: check-in/out, the roster, confirming completion, my hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from service.activity import service
from service.activity.repository import service_records_page
from service.activity.schemas import (
    Attendance,
    CheckInRequest,
    CheckInResult,
    CheckOutRequest,
    CompletionRequest,
    CompletionResult,
    MyServiceRecords,
    Roster,
    ServiceRecordPublic,
)
from service.actor import Actor
from service.auth.access import requires
from service.auth.dependencies import ContextDep, ThrottleDep
from service.errors import Forbidden
from service.messages import text
from service.models import Offer
from service.vocab import Role
from service.web.deps import SessionDep
from service.web.pagination import PageDep
from service.web.params import IdPath

REFUSALS = {
    403: {"description": "不是自己的接单，或不负责该社区"},
    404: {"description": "邀请或活动不存在"},
    409: {"description": "签到未开放或已结束、未签到、活动未开始或未结束、已确认完成"},
}
CHECK_IN_REFUSALS = {
    422: {"description": "签到码不对、手机记下的时间超出范围"},
    429: {"description": "签到码输错次数过多"},
}
offers_router = APIRouter(prefix="/offers", tags=["activity 活动当天"], responses=REFUSALS)
orders_router = APIRouter(prefix="/orders", tags=["activity 活动当天"], responses=REFUSALS)
me_router = APIRouter(prefix="/me", tags=["activity 活动当天"])
Volunteer = Annotated[Actor, requires(Role.volunteer, Role.team_leader)]
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]


def _attendance(offer: Offer, name: str = "") -> dict:
    return {
        "offer_id": offer.id,
        "order_id": offer.order_id,
        "volunteer_id": offer.volunteer_id,
        "volunteer_name": name,
        "status": offer.status,
        "checked_in_at": offer.checked_in_at,
        "checked_out_at": offer.checked_out_at,
        "flags": list(offer.flags or []),
    }


def check_in_message(result: service.CheckIn) -> str:
    if result.pending:
        return "签到已记录，但无法确认您在活动地点，社区工作者确认后才计入服务时长。"
    return "您已签到。" if result.already else "签到成功。"


@offers_router.post("/{offer_id}/check-in", summary="签到", responses=CHECK_IN_REFUSALS)
async def check_in(
    offer_id: IdPath,
    body: CheckInRequest,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Volunteer,
) -> CheckInResult:
    """Server time is the check-in time, or the phone's ``at`` (sent later, offline); far
    away or without location it waits for a worker, unless the venue code is right."""
    result = await service.check_in(
        session,
        ctx,
        offer_id=offer_id,
        lat=body.lat,
        lng=body.lng,
        venue_code=body.venue_code,
        at=body.at,
        throttle=throttle,
    )
    return CheckInResult(
        **_attendance(result.offer), distance_m=result.distance_m, message=check_in_message(result)
    )


@offers_router.post("/{offer_id}/confirm-check-in", summary="确认签到（超出范围或无定位）")
async def confirm_check_in(
    offer_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
) -> Attendance:
    """A worker of the order's community vouches for a pending check-in; then it counts."""
    offer = await service.confirm_check_in(session, ctx, offer_id=offer_id)
    return Attendance(**_attendance(offer))


@offers_router.post("/{offer_id}/check-out", summary="签退", responses=CHECK_IN_REFUSALS)
async def check_out(
    offer_id: IdPath,
    session: SessionDep,
    ctx: ContextDep,
    actor: Volunteer,
    body: CheckOutRequest | None = None,
) -> Attendance:
    """Idempotent: checking out again keeps the first time. ``at``: when the phone recorded
    it (offline), within the same bounds as check-in."""
    at = body.at if body else None
    offer = await service.check_out(session, ctx, offer_id=offer_id, at=at)
    return Attendance(**_attendance(offer))


@orders_router.get("/{order_id}/attendance", summary="活动签到情况")
async def attendance(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
) -> Roster:
    order, offers, names = await service.roster(session, ctx, order_id=order_id)
    items = [Attendance(**_attendance(o, names.get(o.volunteer_id, ""))) for o in offers]
    return Roster(order_id=order.id, order_status=order.status, items=items)


@orders_router.post("/{order_id}/completion", summary="确认活动完成")
async def confirm_completion(
    order_id: IdPath, body: CompletionRequest, session: SessionDep, ctx: ContextDep, actor: Staff
) -> CompletionResult:
    """Writes service hours per volunteer, marks no-shows, and issues rating codes.

    Allowed from the scheduled end, or earlier once every volunteer who checked in has
    checked out (the activity ended early); refused (409 ``not_ended``) while it runs.
    """
    result = await service.confirm_completion(
        session,
        ctx,
        order_id=order_id,
        present_volunteer_ids=body.present_volunteer_ids,
        absent_volunteer_ids=body.absent_volunteer_ids,
        hours=body.hours_by_volunteer(),
        rating_code_count=body.rating_codes,
    )
    return CompletionResult(
        order_id=result.order.id,
        status=result.order.status,
        service_records=[
            ServiceRecordPublic.model_validate(r, from_attributes=True) for r in result.records
        ],
        no_show_volunteer_ids=result.no_show_volunteer_ids,
        rating_codes=result.rating_codes,
    )


@me_router.get("/service-records", summary="我的服务时长")
async def my_service_records(
    session: SessionDep, page: PageDep, actor: Volunteer
) -> MyServiceRecords:
    if actor.volunteer_id is None:
        raise Forbidden(text("refusal.activity.no_volunteer_profile"))
    rows, total, hours = await service_records_page(
        session=session, volunteer_id=actor.volunteer_id, limit=page.limit, offset=page.offset
    )
    items = [
        ServiceRecordPublic(
            **ServiceRecordPublic.model_validate(record, from_attributes=True).model_dump(
                exclude={"order_title"}
            ),
            order_title=title,
        )
        for record, title in rows
    ]
    return MyServiceRecords(
        items=items, total=total, total_hours=round(hours, 2), limit=page.limit, offset=page.offset
    )
