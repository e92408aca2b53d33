"""What the worker's desk pages show about orders, in words: the next step, the offers, the history.

Plain data in, plain rows out (no I/O, no HTTP): the page routes load the rows and render these.
Labels are Chinese source texts marked with ``N_`` and translated by the templates, where the
reader's language is known; names of volunteers are masked ("李*"), staff names are shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from service.lifecycle.machine import OFFER_TRANSITIONS, ORDER_TRANSITIONS
from service.masking import mask_phone
from service.models import Event, Offer, Order
from service.page_text import N_
from service.vocab import (
    DEMAND_STATUS_LABELS,
    OFFER_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    DemandStatus,
    OfferStatus,
    OrderStatus,
    Role,
)

# Statuses between dispatch and completion: the activity is planned, staffed or running.
UNDER_WAY = (
    OrderStatus.published,
    OrderStatus.staffed,
    OrderStatus.expired,
    OrderStatus.in_progress,
)
ENGAGED = (OfferStatus.accepted, OfferStatus.checked_in, OfferStatus.completed, OfferStatus.no_show)
CLOSED = (OfferStatus.declined, OfferStatus.expired, OfferStatus.withdrawn)
VOLUNTEER_ROLES = (Role.volunteer.value, Role.team_leader.value)

DISPATCH_MODE_LABELS = {
    "open": N_("开放接单（符合条件的志愿者都可以接）"),
    "targeted": N_("定向邀请（按匹配度依次邀请志愿者）"),
    "team": N_("按队派单（由志愿队队长安排队员）"),
}
DISPATCH_MODE_SHORT = {"open": N_("开放接单"), "targeted": N_("定向邀请"), "team": N_("按队派单")}
WEEKDAY_LABELS = (
    N_("周一"),
    N_("周二"),
    N_("周三"),
    N_("周四"),
    N_("周五"),
    N_("周六"),
    N_("周日"),
)


def mask_name(name: str | None) -> str:
    """李明 → 李*: enough for the worker to tell volunteers apart on a page that others see."""
    if not name:
        return "*"
    return name[0] + "*" * max(len(name) - 1, 1)


# ---------------------------------------------------------------- the next step of an order


@dataclass(frozen=True)
class NextStep:
    label: str  # Chinese source text
    path: str  # where the step is taken
    urgent: bool = False


def next_step(order: Order, now: datetime) -> NextStep | None:
    """The one thing the community should do next with ``order``, if anything."""
    page = f"/desk/orders/{order.id}"
    status = OrderStatus(order.status)
    if status == OrderStatus.draft:
        if order.starts_at <= now:
            return NextStep(N_("开始时间已过，取消草稿"), f"{page}/cancel", urgent=True)
        return NextStep(N_("检查并派单"), f"{page}#actions")
    if status in UNDER_WAY and order.ends_at <= now:
        if order.accepted_count == 0 and status != OrderStatus.in_progress:
            return NextStep(N_("无人接单，取消活动"), f"{page}/cancel", urgent=True)
        return NextStep(N_("确认完成"), f"{page}/complete", urgent=True)
    if status == OrderStatus.expired:
        return NextStep(N_("重新派单"), f"{page}#actions", urgent=True)
    if status == OrderStatus.published and order.accepted_count < order.slots:
        return NextStep(N_("查看接单情况"), page)
    if status == OrderStatus.completed:
        return NextStep(N_("评单"), f"{page}/rate")
    if status in UNDER_WAY:
        return NextStep(N_("查看活动"), page)
    return None


# ---------------------------------------------------------------- offers and acceptances


@dataclass(frozen=True)
class OfferRow:
    """One volunteer's offer as the order page shows it."""

    id: int
    status: str
    name: str  # masked
    user_id: int
    phone_masked: str | None
    team_name: str | None
    rank: int | None
    explanation: str | None
    offered_at: datetime
    expires_at: datetime | None
    responded_at: datetime | None
    decline_reason: str | None
    confirmed: bool
    unconfirmed: bool  # reminded and not confirmed: the community should phone

    @property
    def status_label(self) -> str:
        """The offer's status in words; "withdrawn" says who let go (the vocabulary's 已退出
        would tell a worker that a volunteer quit when the community took back its invitation)."""
        if self.status == OfferStatus.withdrawn:
            return N_("已不再参加") if self.responded_at else N_("邀请已撤回")
        return OFFER_STATUS_LABELS[OfferStatus(self.status)]

    @property
    def engaged(self) -> bool:
        return self.status in ENGAGED

    @property
    def waiting(self) -> bool:
        return self.status == OfferStatus.offered


def offer_rows(rows) -> list[OfferRow]:
    """(offer, user id, name, phone, team name) rows → page rows, best ranked first."""
    result = []
    for offer, user_id, name, phone, team_name in rows:
        result.append(
            OfferRow(
                id=offer.id,
                status=str(offer.status),
                name=mask_name(name),
                user_id=user_id,
                phone_masked=mask_phone(phone),
                team_name=team_name,
                rank=offer.rank,
                explanation=_explanation(offer),
                offered_at=offer.offered_at,
                expires_at=offer.expires_at,
                responded_at=offer.responded_at,
                decline_reason=offer.decline_reason,
                confirmed=offer.confirmed_at is not None,
                unconfirmed="unconfirmed" in (offer.flags or []),
            )
        )
    # Ranked invitations in their order, then direct acceptances by time.
    return sorted(result, key=lambda r: (r.rank is None, r.rank or 0, r.offered_at, r.id))


def _explanation(offer: Offer) -> str | None:
    for part in offer.score_parts or []:
        if isinstance(part, dict) and part.get("code") == "explanation":
            return part.get("text")
    return None


# ---------------------------------------------------------------- the history (event log)

_S, _F = OrderStatus, OfferStatus
_ORDER_SENTENCES = {
    (None, _S.draft): N_("%(who)s 创建了草稿"),
    (_S.draft, _S.published): N_("%(who)s 派单"),
    (_S.draft, _S.cancelled): N_("%(who)s 取消了草稿"),
    (_S.published, _S.staffed): N_("名额已满"),
    (_S.published, _S.expired): N_("接单截止，仍有空缺名额"),
    (_S.published, _S.cancelled): N_("%(who)s 取消了活动"),
    (_S.staffed, _S.cancelled): N_("%(who)s 取消了活动"),
    (_S.expired, _S.cancelled): N_("%(who)s 取消了活动"),
    (_S.published, _S.in_progress): N_("活动开始"),
    (_S.staffed, _S.in_progress): N_("活动开始"),
    (_S.expired, _S.in_progress): N_("活动开始"),
    (_S.staffed, _S.published): N_("有志愿者退出，名额重新开放"),
    (_S.in_progress, _S.completed): N_("%(who)s 确认活动完成"),
    (_S.completed, _S.evaluated): N_("评单完成"),
    (_S.expired, _S.published): N_("%(who)s 重新派单"),
}
_OFFER_SENTENCES = {
    (None, _F.offered): N_("邀请志愿者 %(name)s"),
    (None, _F.accepted): N_("志愿者 %(name)s 接单"),
    (_F.offered, _F.accepted): N_("志愿者 %(name)s 接单"),
    (_F.withdrawn, _F.accepted): N_("志愿者 %(name)s 重新接单"),
    (_F.offered, _F.declined): N_("志愿者 %(name)s 婉拒邀请"),
    (_F.offered, _F.expired): N_("邀请志愿者 %(name)s 超时未回复"),
    (_F.offered, _F.withdrawn): N_("撤回对志愿者 %(name)s 的邀请"),
    (_F.accepted, _F.withdrawn): N_("志愿者 %(name)s 不再参加"),
    (_F.accepted, _F.checked_in): N_("志愿者 %(name)s 签到"),
    (_F.accepted, _F.no_show): N_("志愿者 %(name)s 未到场"),
    (_F.accepted, _F.completed): N_("志愿者 %(name)s 服务完成"),
    (_F.checked_in, _F.completed): N_("志愿者 %(name)s 服务完成"),
    (_F.expired, _F.offered): N_("再次邀请志愿者 %(name)s"),
    (_F.withdrawn, _F.offered): N_("再次邀请志愿者 %(name)s"),
}
_DEMAND_SENTENCES = {
    (DemandStatus.new, DemandStatus.adopted): N_("居民点单被采纳，生成了这个活动"),
}
TEAM_ASSIGNMENT_REASON = "队长指派"  # what offers.teams.team_accept writes as the reason
_BY_TEAM_LEADER = N_("队长 %(who)s 安排志愿者 %(name)s 出队")
_SOMETHING_CHANGED = N_("状态变更")
# Reasons the services write by themselves; they repeat the sentence, so they are not shown.
_ROUTINE_REASONS = frozenset(
    {
        *ORDER_TRANSITIONS.values(),
        *OFFER_TRANSITIONS.values(),
        "创建草稿",
        "发布派单",
        "开放接单",
        TEAM_ASSIGNMENT_REASON,
        "名额已满",
        "重新派单",
        "截止时仍有空缺",
    }
)


@dataclass(frozen=True)
class TimelineRow:
    """One line of an order's history: when, who did what (to whom), from → to, why."""

    at: datetime
    sentence: str  # Chinese source text with %(who)s / %(name)s
    who: str | None  # None: the system
    name: str | None  # the volunteer the line is about (masked)
    entity: str
    from_status: str | None
    to_status: str
    reason: str | None

    @property
    def from_label(self) -> str | None:
        return None if self.from_status is None else self._label(self.from_status)

    @property
    def to_label(self) -> str:
        if self.entity == "offer" and self.to_status == OfferStatus.withdrawn:
            # Who let go: the community took back an invitation, or a volunteer left.
            return N_("邀请已撤回") if self.from_status == OfferStatus.offered else N_("已不再参加")
        return self._label(self.to_status)

    def _label(self, status: str) -> str:
        labels = {"offer": OFFER_STATUS_LABELS, "demand": DEMAND_STATUS_LABELS}.get(
            self.entity, ORDER_STATUS_LABELS
        )
        return labels.get(status, status)


def timeline_rows(
    events: list[Event], *, offer_names: dict[int, str], user_names: dict[int, str]
) -> list[TimelineRow]:
    """Event-log rows in words. ``offer_names``: offer id → masked volunteer name;
    ``user_names``: the acting users' names (staff shown in full, volunteers masked)."""
    rows = []
    for event in events:
        who = _who(event, user_names)
        key = (_status(event, event.from_status), _status(event, event.to_status))
        if event.entity == "offer":
            sentence = _OFFER_SENTENCES.get(key, _SOMETHING_CHANGED)
            # A team acceptance (the leader names the member); a leader accepting an offer of
            # their own is just a volunteer saying yes.
            if event.reason == TEAM_ASSIGNMENT_REASON and key[1] == _F.accepted:
                sentence = _BY_TEAM_LEADER
        elif event.entity == "demand":
            sentence = _DEMAND_SENTENCES.get(key, _SOMETHING_CHANGED)
        else:
            sentence = _ORDER_SENTENCES.get(key, _SOMETHING_CHANGED)
        reason = event.reason if event.reason and event.reason not in _ROUTINE_REASONS else None
        rows.append(
            TimelineRow(
                at=event.at,
                sentence=sentence,
                who=who,
                name=offer_names.get(event.entity_id) if event.entity == "offer" else None,
                entity=event.entity,
                from_status=event.from_status,
                to_status=event.to_status,
                reason=reason,
            )
        )
    return rows


def _status(event: Event, value: str | None):
    if value is None:
        return None
    statuses = {"offer": OfferStatus, "demand": DemandStatus}.get(event.entity, OrderStatus)
    try:
        return statuses(value)
    except ValueError:
        return value


def _who(event: Event, user_names: dict[int, str]) -> str | None:
    if event.actor_user_id is None or event.actor_user_id not in user_names:
        return None
    name = user_names[event.actor_user_id]
    return mask_name(name) if event.actor_role in VOLUNTEER_ROLES else name
