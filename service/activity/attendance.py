"""The attendance sheet a worker confirms completion from: who came, how long, preselected.

Preselection follows the check-ins (checked in → present, not → absent) and the hours are what
``confirm_completion`` would credit, computed by the same functions, so what the worker sees is
what is recorded unless they change it. After completion the sheet shows what was recorded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from service.activity import repository
from service.activity.service import (
    completion_blocker,
    credited_hours,
    is_pending,
    roster,
)
from service.context import ActionContext
from service.errors import AppError
from service.masking import mask_name, mask_phone
from service.models import Offer, Order, ServiceRecord
from service.vocab import OfferStatus

ATTENDING = (OfferStatus.accepted, OfferStatus.checked_in)


@dataclass(frozen=True)
class AttendanceLine:
    """One volunteer of the order, as the worker sees them on the attendance sheet."""

    volunteer_id: int
    name: str  # masked: 李*轩
    phone: str | None  # masked: 138****5678
    status: OfferStatus
    checked_in_at: datetime | None
    checked_out_at: datetime | None
    flags: list[str]
    present: bool  # preselected (before completion) or recorded (after)
    hours: float | None  # prefilled (before completion) or recorded (after); None: no-show
    pending: bool = False  # a check-in waiting for a worker's confirmation

    @property
    def checked_in(self) -> bool:
        return self.checked_in_at is not None and not self.pending


@dataclass(frozen=True)
class AttendanceSheet:
    order: Order
    lines: list[AttendanceLine]
    blocker: AppError | None  # why completion is refused now (None: it may be confirmed)
    ended: bool  # the scheduled end has passed: a missing check-out counts until then
    records: list[ServiceRecord] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return self.order.status in ("completed", "evaluated")

    @property
    def scheduled_hours(self) -> float:
        return round((self.order.ends_at - self.order.starts_at).total_seconds() / 3600, 2)

    def line(self, volunteer_id: int) -> AttendanceLine | None:
        return next((line for line in self.lines if line.volunteer_id == volunteer_id), None)


def _line(
    order: Order,
    offer: Offer,
    person: tuple[str, str | None],
    now: datetime,
    record: ServiceRecord | None,
) -> AttendanceLine:
    status = OfferStatus(offer.status)
    pending = is_pending(offer)
    if status in ATTENDING:
        present = status == OfferStatus.checked_in
        hours = credited_hours(order, offer, now)
    else:
        present = status == OfferStatus.completed
        hours = record.hours if record is not None else None
    flags = list(record.flags if record is not None else offer.flags or [])
    return AttendanceLine(
        volunteer_id=offer.volunteer_id,
        name=mask_name(person[0]),
        phone=mask_phone(person[1]),
        status=status,
        checked_in_at=offer.checked_in_at,
        checked_out_at=offer.checked_out_at,
        flags=flags,
        present=present,
        hours=hours,
        pending=pending,
    )


async def attendance_sheet(
    session: AsyncSession, ctx: ActionContext, *, order_id: int
) -> AttendanceSheet:
    """The order's attendance for the completion page (only for workers who manage it)."""
    order, offers, _names = await roster(session, ctx, order_id=order_id)
    people = await repository.people_of_volunteers(
        session=session, volunteer_ids=[offer.volunteer_id for offer in offers]
    )
    records = await repository.service_records_of_order(session=session, order_id=order.id)
    by_volunteer = {record.volunteer_id: record for record in records}
    lines = [
        _line(
            order,
            offer,
            people.get(offer.volunteer_id, ("", None)),
            ctx.now,
            by_volunteer.get(offer.volunteer_id),
        )
        for offer in offers
    ]
    attending = [offer for offer in offers if offer.status in ATTENDING]
    blocker = completion_blocker(order, attending, ctx.now, ctx.settings.timezone)
    return AttendanceSheet(
        order=order,
        lines=lines,
        blocker=blocker,
        ended=ctx.now >= order.ends_at,
        records=records,
    )
