"""Fixed domain vocabularies: statuses, roles, target groups — identifiers in English, labels in Chinese."""

from __future__ import annotations

from enum import StrEnum

from service.page_text import N_


class AreaLevel(StrEnum):
    district = "district"  # 区县
    street = "street"  # 街道/乡镇
    community = "community"  # 社区/村


class Role(StrEnum):
    resident = "resident"
    worker = "worker"  # 社区工作者, scoped to one community
    volunteer = "volunteer"
    team_leader = "team_leader"  # scoped to one team
    coordinator = "coordinator"  # scoped to a street or district subtree
    admin = "admin"


class TargetGroup(StrEnum):
    youth = "youth"
    farmers = "farmers"
    workers = "workers"
    elderly = "elderly"
    officials = "officials"
    public = "public"


class UserStatus(StrEnum):
    pending = "pending"  # self-registered volunteer awaiting a coordinator's approval
    active = "active"
    disabled = "disabled"


class VolunteerStatus(StrEnum):
    pending = "pending"
    active = "active"
    paused = "paused"


class DemandStatus(StrEnum):
    new = "new"
    adopted = "adopted"
    declined = "declined"
    merged = "merged"


class OrderStatus(StrEnum):
    draft = "draft"
    published = "published"
    staffed = "staffed"
    in_progress = "in_progress"
    completed = "completed"
    evaluated = "evaluated"
    expired = "expired"
    cancelled = "cancelled"


class DispatchMode(StrEnum):
    open = "open"  # any eligible volunteer may accept
    targeted = "targeted"  # offers to the best matches, cascading
    team = "team"  # offer to a team; its leader names the members


class OfferStatus(StrEnum):
    offered = "offered"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"
    withdrawn = "withdrawn"
    checked_in = "checked_in"
    completed = "completed"
    no_show = "no_show"


class NotificationStatus(StrEnum):
    pending = "pending"
    sent = "sent"
    failed = "failed"  # will be retried
    dead = "dead"  # gave up after the last retry; visible to admins


class RaterKind(StrEnum):
    resident = "resident"
    worker = "worker"


ROLE_LABELS = {
    Role.resident: N_("群众"),
    Role.worker: N_("社区工作者"),
    Role.volunteer: N_("志愿者"),
    Role.team_leader: N_("队长"),
    Role.coordinator: N_("协调员"),
    Role.admin: N_("管理员"),
}

TARGET_GROUP_LABELS = {
    TargetGroup.youth: N_("青少年"),
    TargetGroup.farmers: N_("农民/城郊居民"),
    TargetGroup.workers: N_("产业工人"),
    TargetGroup.elderly: N_("老年人"),
    TargetGroup.officials: N_("领导干部和公务员"),
    TargetGroup.public: N_("社区居民"),
}

ORDER_STATUS_LABELS = {
    OrderStatus.draft: N_("草稿"),
    OrderStatus.published: N_("已派单"),
    OrderStatus.staffed: N_("已满员"),
    OrderStatus.in_progress: N_("进行中"),
    OrderStatus.completed: N_("已完成"),
    OrderStatus.evaluated: N_("已评价"),
    OrderStatus.expired: N_("已过期"),
    OrderStatus.cancelled: N_("已取消"),
}

OFFER_STATUS_LABELS = {
    OfferStatus.offered: N_("待回复"),
    OfferStatus.accepted: N_("已接单"),
    OfferStatus.declined: N_("已婉拒"),
    OfferStatus.expired: N_("已超时"),
    OfferStatus.withdrawn: N_("已退出"),
    OfferStatus.checked_in: N_("已签到"),
    OfferStatus.completed: N_("已完成"),
    OfferStatus.no_show: N_("未到场"),
}

USER_STATUS_LABELS = {
    UserStatus.pending: N_("待审核"),
    UserStatus.active: N_("正常"),
    UserStatus.disabled: N_("已停用"),
}

VOLUNTEER_STATUS_LABELS = {
    VolunteerStatus.pending: N_("待审核"),
    VolunteerStatus.active: N_("可接单"),
    VolunteerStatus.paused: N_("暂停接单"),
}

NOTIFICATION_STATUS_LABELS = {
    NotificationStatus.pending: N_("待发送"),
    NotificationStatus.sent: N_("已发送"),
    NotificationStatus.failed: N_("发送失败（将重试）"),
    NotificationStatus.dead: N_("发送失败（已放弃）"),
}

DEMAND_STATUS_LABELS = {
    DemandStatus.new: N_("待处理"),
    DemandStatus.adopted: N_("已采纳"),
    DemandStatus.declined: N_("未采纳"),
    DemandStatus.merged: N_("已合并"),
}
