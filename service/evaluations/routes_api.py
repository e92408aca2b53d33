"""JSON API of 评单: residents rate with a code, workers rate volunteers and print codes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, status

from service.actor import Actor
from service.auth.access import PUBLIC, requires
from service.auth.dependencies import ContextDep, ThrottleDep, client_ip
from service.evaluations import service
from service.evaluations.schemas import (
    EvaluationPublic,
    EvaluationSummary,
    IssueCodes,
    RatingCodeInfo,
    RatingCodePublic,
    RatingCodes,
    RatingThanks,
    ResidentRating,
    VolunteerRated,
    VolunteerRating,
)
from service.orders.service import managed_order
from service.schemas_common import Text
from service.vocab import RaterKind, Role
from service.web.deps import SessionDep
from service.web.params import IdPath

ratings_router = APIRouter(
    prefix="/ratings",
    tags=["evaluations 评单"],
    responses={
        404: {"description": "评价码无效"},
        409: {"description": "评价码已使用"},
        429: {"description": "尝试过于频繁（按 IP 限制）"},
    },
)
orders_router = APIRouter(
    prefix="/orders",
    tags=["evaluations 评单"],
    responses={
        403: {"description": "不负责该社区"},
        409: {"description": "活动尚未确认完成，或已评价过该志愿者"},
    },
)
Anyone = Annotated[Actor, requires(PUBLIC)]
Staff = Annotated[Actor, requires(Role.worker, Role.coordinator)]


@ratings_router.get("/{code}", summary="查看评价码")
async def rating_code(
    code: Text(20, min_len=1),
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
) -> RatingCodeInfo:
    """Every look-up counts against the IP's limit, so codes cannot be guessed quickly."""
    info = await service.look_up_code(
        session, ctx, raw_code=code, throttle=throttle, ip=client_ip(request)
    )
    return RatingCodeInfo(
        code=info.code,
        used=info.used,
        order_id=info.order.id,
        order_title=info.order.title,
        starts_at=info.order.starts_at,
        can_rate=not info.used and info.order.status in service.RATEABLE,
    )


@ratings_router.post("", status_code=status.HTTP_201_CREATED, summary="居民凭评价码评价活动")
async def rate_activity(
    body: ResidentRating,
    request: Request,
    session: SessionDep,
    ctx: ContextDep,
    throttle: ThrottleDep,
    actor: Anyone,
) -> RatingThanks:
    """One rating per code; a second use of the same code is a 409; attempts are limited per IP."""
    evaluation = await service.rate_with_code(
        session,
        ctx,
        raw_code=body.code,
        stars=body.stars,
        comment=body.comment,
        throttle=throttle,
        ip=client_ip(request),
    )
    return RatingThanks(
        evaluation=EvaluationPublic.model_validate(evaluation), message="感谢您的评价！"
    )


@orders_router.post(
    "/{order_id}/volunteer-ratings", status_code=status.HTTP_201_CREATED, summary="评价志愿者"
)
async def rate_volunteer(
    order_id: IdPath, body: VolunteerRating, session: SessionDep, ctx: ContextDep, actor: Staff
) -> VolunteerRated:
    """Once every volunteer who served is rated, the order becomes 「已评价」."""
    order = await managed_order(session, ctx, order_id)
    evaluation, _closed = await service.rate_volunteer(
        session,
        ctx,
        order=order,
        volunteer_id=body.volunteer_id,
        stars=body.stars,
        comment=body.comment,
    )
    return VolunteerRated(
        evaluation=EvaluationPublic.model_validate(evaluation), order_status=order.status
    )


@orders_router.get("/{order_id}/rating-codes", summary="评价码（可打印）")
async def list_rating_codes(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
) -> RatingCodes:
    order = await managed_order(session, ctx, order_id)
    _, codes = await service.summary(session, order=order)
    items = [RatingCodePublic.model_validate(code) for code in codes]
    return RatingCodes(
        order_id=order.id, items=items, used=sum(c.used_at is not None for c in codes)
    )


@orders_router.post(
    "/{order_id}/rating-codes", status_code=status.HTTP_201_CREATED, summary="追加评价码"
)
async def add_rating_codes(
    order_id: IdPath, body: IssueCodes, session: SessionDep, ctx: ContextDep, actor: Staff
) -> RatingCodes:
    order = await managed_order(session, ctx, order_id)
    codes = await service.add_rating_codes(session, order=order, count=body.count)
    items = [RatingCodePublic.model_validate(code) for code in codes]
    return RatingCodes(order_id=order.id, items=items, used=0)


@orders_router.get("/{order_id}/evaluations", summary="活动评价汇总")
async def evaluation_summary(
    order_id: IdPath, session: SessionDep, ctx: ContextDep, actor: Staff
) -> EvaluationSummary:
    order = await managed_order(session, ctx, order_id)
    evaluations, _ = await service.summary(session, order=order)
    residents = [e.stars for e in evaluations if e.rater_kind == RaterKind.resident]
    return EvaluationSummary(
        order_id=order.id,
        order_status=order.status,
        resident_count=len(residents),
        resident_avg=round(sum(residents) / len(residents), 2) if residents else None,
        evaluations=[EvaluationPublic.model_validate(e) for e in evaluations],
    )
