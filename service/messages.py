"""The texts people read in notifications and refusals, in one catalogue keyed by stable ids.

Every entry is a whole sentence with named ``{placeholders}``; callers pass the values by name
and never glue pieces together, so a translator sees the sentence and may reorder it. Only
zh_CN exists today; another locale is one more mapping in ``CATALOGUES`` with the same keys
and the same placeholders (the tests check both). A missing key or a wrong set of parameters
raises ``MessageError``: a programming mistake that the catalogue tests catch, never a half
filled sentence shown to a person.
"""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

DEFAULT_LOCALE = "zh_CN"

ZH_CN: Mapping[str, str] = {
    # Notifications: ``notification.<kind>[.<case>].title|body`` (the kind is the outbox kind).
    "notification.offer_new.title": "新的活动邀请：{order_title}",
    "notification.offer_new.body": "请在 {expires_at} 前回复。",
    "notification.offer_reminder.title": "请确认参加：{order_title}",
    "notification.offer_reminder.body": "活动将于 {starts_at} 开始，请点击确认。",
    "notification.offer_unconfirmed.title": "志愿者未确认参加「{order_title}」",
    "notification.offer_unconfirmed.body": "提醒后仍未确认，请电话联系。",
    "notification.order_changed.withdrawn.title": "志愿者退出「{order_title}」",
    "notification.order_changed.confirmed.title": "志愿者已确认参加「{order_title}」",
    "notification.order_changed.confirmed.body": "无需再电话联系。",
    "notification.order_cancelled.title": "活动已取消：{order_title}",
    "notification.order_expired.title": "活动「{order_title}」接单截止仍未满员",
    "notification.order_needs_attention.no_candidates.title": (
        "活动「{order_title}」暂无可邀请的志愿者"
    ),
    "notification.order_needs_attention.team_declined.title": (
        "活动「{order_title}」被志愿队婉拒，需要重新派单"
    ),
    "notification.team_order.title": "志愿队派单：{order_title}",
    "notification.team_order.body": "需要 {slots} 名队员，请队长接单并指定人员。",
    "notification.team_assigned.title": "队长已安排您参加：{order_title}",
    "notification.team_assigned.body": "如不能参加，请尽快联系队长。",
    "notification.service_recorded.title": "「{order_title}」服务时长已记录",
    "notification.service_recorded.body": "社区已确认您的服务时长 {hours:g} 小时，感谢参与！",
    "notification.no_show.title": "「{order_title}」记录为未到场",
    "notification.no_show.body": "如有误，请联系社区工作者更正。",
    "notification.demand_status.adopted.title": "您的点单已被采纳",
    "notification.demand_status.adopted.body": "「{topic}」已列入社区活动计划。",
    "notification.demand_status.declined.title": "您的点单未被采纳",
    "notification.demand_status.merged.title": "您的点单已合并",
    "notification.demand_status.merged.body": "与相同需求「{topic}」合并处理。",
    "notification.volunteer_approved.title": "志愿者注册已通过审核",
    "notification.volunteer_approved.body": "您现在可以登录并接收活动邀请了。",
    # One-time codes texted to a phone, and the answer that says one was sent.
    "notification.phone_code.register.title": "验证码 {code}，用于志愿者注册",
    "notification.phone_code.upvote.title": "验证码 {code}，用于「我也想要」",
    "notification.phone_code.body": "{minutes} 分钟内有效，请勿告诉他人。",
    "notification.phone_code.taken.title": "有人尝试用您的手机号注册志愿者",
    "notification.phone_code.taken.body": "您已注册，可直接登录；如非本人操作，请忽略。",
    "notification.phone_code.sent": (
        "如果手机号 {phone} 可以使用，验证码已发送，请在 {minutes} 分钟内填写。"
    ),
    "notification.demand_status.submitted": (
        "点单已提交，编号 {demand_id}，查询码 {code}。查询码只显示这一次，请记下，"
        "凭手机号和查询码查询进度。"
    ),
    # Texts that notifications and the coordinator's queue carry as their reason.
    "reason.team_declined": "志愿队「{team}」婉拒：{reason}",
    "suggestion.with_reason": "{reason}。建议：{suggestion}",
    # Refusals: ``refusal.<object>.<why>``, the detail of a 4xx problem / error page.
    # Any status machine (service/lifecycle/engine.py); {noun} is the machine's 活动/邀请/点单/….
    "refusal.throttled": "操作过于频繁，请在约 {minutes} 分钟后重试。",
    "refusal.phone_code.wrong": "验证码错误或已失效，请重新获取。",
    "refusal.password.too_short": "密码至少需要 {min_length} 个字符。",
    "refusal.password.contains_phone": "密码不能包含手机号。",
    "refusal.password.too_simple": "密码过于简单，请混合使用不同的字符。",
    "refusal.password.common": (
        "这个密码太常见，很容易被猜中，请换一个不常见的密码（例如几个词和数字的组合）。"
    ),
    "refusal.transition.illegal": "{noun}当前状态为「{current}」，不能变更为「{target}」。",
    "refusal.transition.lost_race": "{noun}状态刚刚被他人更改，请刷新后重试。",
    "refusal.transition.not_found": "未找到该{noun}。",
    "refusal.order.not_found": "未找到该活动。",
    "refusal.preview.outside_area": (
        "只能预览本社区范围内的地点：请选择社区已保存的场地，或距社区中心 {radius_km} 公里以内的地点。"
    ),
    "refusal.order.nearby_not_volunteer": "只有志愿者可以查看附近活动。",
    "refusal.order.unknown_coord_system": "不支持的坐标系「{coord_system}」，可选 wgs84、gcj02、bd09。",
    "refusal.order.venue_not_found": "所选场地不属于该社区。",
    "refusal.order.venue_missing": "请选择已保存的场地，或填写地址或坐标。",
    "refusal.order.geocode_offline_failed": (
        "无法定位地址「{query}」：离线模式只识别本社区已保存的场地和社区名称，"
        "请选择已保存的场地或直接填写坐标。"
    ),
    "refusal.order.geocoder_unavailable": (
        "地址解析服务暂不可用（{error}），请稍后重试或直接填写坐标。"
    ),
    "refusal.order.geocode_failed": "无法定位地址「{query}」，请检查地址或直接填写坐标。",
    "refusal.community.not_yours": "您不负责「{community}」，不能处理该社区的事务。",
    "refusal.order.community_not_found": "所选社区不存在。",
    "refusal.order.demand_not_found": "来源点单不存在，或不是本活动所属社区的点单。",
    "refusal.order.skill_not_found": "技能不存在：{skills}",
    "refusal.order.team_required": "按队派单需要选择志愿队。",
    "refusal.order.team_not_found": "所选志愿队不存在或已停用。",
    "refusal.order.not_draft": "只有草稿可以编辑；已派单的活动请使用重新派单或取消。",
    "refusal.order.skills_required": "至少需要一项技能。",
    "refusal.order.ends_before_start": "结束时间必须晚于开始时间。",
    "refusal.order.deadline_after_start": "接单截止时间不能晚于活动开始时间。",
    "refusal.order.publish_starts_in_past": "活动开始时间已过，请先修改时间再派单。",
    "refusal.order.publish_deadline_in_past": "接单截止时间已过，请先修改截止时间。",
    "refusal.order.publish_without_skills": "请先为活动选择所需技能。",
    "refusal.order.not_redispatchable": "只有已过期或待派的活动可以重新派单。",
    "refusal.order.time_locked": "已有志愿者接单，不能修改活动时间；请取消后重新创建。",
    "refusal.order.redispatch_starts_in_past": "活动开始时间已过，请修改时间后再派单。",
    "refusal.order.is_cancelled": "该活动已取消，不能再更改状态。",
    "refusal.order.is_evaluated": "该活动已评价归档，不能再更改状态。",
    "refusal.order.is_completed": "该活动已完成，只能进行评价。",
    "refusal.order.is_in_progress": "该活动正在进行，只能确认完成。",
    "refusal.accept.started": "活动已开始，无法接单。",
    "refusal.accept.expired": "该活动已过接单截止时间，无法接单。",
    "refusal.accept.cancelled": "该活动已取消，无法接单。",
    "refusal.accept.full": "名额已满：该活动需要 {slots} 名志愿者，已全部接满。",
    "refusal.accept.not_open": "活动当前状态为「{status}」，无法接单。",
    "refusal.accept.not_volunteer": "只有志愿者可以接单。",
    "refusal.accept.not_open_mode": "该活动为定向派单，请通过收到的邀请接单。",
    "refusal.accept.not_eligible": "您暂不符合该活动的条件：{reasons}。",
    "refusal.accept.again": "无法再次接单。",
    "refusal.accept.time_overlap": (
        "时间冲突：您已接「{held_title}」（{held_starts_at}），"
        "两项活动间隔不足 {buffer_minutes} 分钟路途时间。"
    ),
    "refusal.accept.member_time_overlap": (
        "时间冲突：队员「{member}」已接「{held_title}」（{held_starts_at}），"
        "两项活动间隔不足 {buffer_minutes} 分钟路途时间。"
    ),
    "refusal.offer.not_found": "未找到该邀请。",
    "refusal.offer.list_not_volunteer": "只有志愿者可以查看邀请。",
    "refusal.offer.not_yours": "只能处理发给自己的邀请。",
    "refusal.offer.closed": "该邀请已结束。",
    "refusal.offer.declined": "您已婉拒该邀请。",
    "refusal.offer.expired": "该邀请已超时，无法接单。",
    "refusal.offer.withdrawn": "该邀请已撤回（活动已满员或已取消）。",
    "refusal.offer.decline_instead": "尚未接单的邀请请选择「婉拒」。",
    "refusal.offer.withdraw_after_start": "活动已开始，不能再退出；如有特殊情况请联系社区。",
    "refusal.offer.confirm_not_accepted": "只有已接单的活动需要确认。",
    "refusal.offer.no_slot_to_release": "该活动没有可退出的名额。",
    "refusal.offer.is_declined": "您已婉拒该邀请，不能再更改。",
    "refusal.offer.is_completed": "该服务已完成，不能再更改。",
    "refusal.offer.is_no_show": "已记录为未到场，不能再更改。",
    "refusal.team.not_team_mode": "该活动不是按志愿队派单的。",
    "refusal.team.not_leader": "只有该志愿队的队长可以处理本队的派单。",
    "refusal.team.member_inactive": "队员「{member}」已暂停服务。",
    "refusal.team.member_unavailable": "队员「{member}」{blockers}。",
    "refusal.team.skills_not_covered": "所选队员未覆盖活动所需技能：{skills}。",
    "refusal.team.bad_members": "请指定不重复的队员。",
    "refusal.team.not_members": "该志愿者不是本队队员（编号 {volunteer_ids}）。",
    # How far a volunteer lives from a venue, as others see it: a band, never a number.
    "name.distance_band.within": "{upper} km 以内",
    "name.distance_band.between": "{lower}–{upper} km",
    "name.distance_band.beyond": "{lower} km 以上",
    "refusal.team.too_many_members": "该活动只剩 {open_slots} 个名额，您指定了 {chosen} 名新队员。",
    "refusal.team.member_replied": "队员「{member}」已回复过该活动，不能再指派。",
    "refusal.team.decline_not_open": "该活动当前不在待接单状态，无需婉拒。",
    "refusal.demand.phone_for_upvote": "未登录时请填写手机号，每个手机号只计一次。",
    "refusal.demand.community_required": "请选择一个社区或村。",
    "refusal.demand.not_found": "未找到该点单。",
    "refusal.demand.phone_for_submit": "未登录时请留下手机号，以便查询点单进度。",
    "refusal.demand.lookup_failed": "未找到该点单，请核对点单编号、手机号和查询码。",
    "refusal.demand.upvote_declined": "该点单未被采纳，不能再点「我也想要」。",
    "refusal.demand.skills_required": "点单未选择技能，请指定活动所需技能。",
    "refusal.demand.merge_into_itself": "不能把点单合并到它自己。",
    "refusal.demand.merge_other_community": "只能合并同一社区的点单。",
    "refusal.demand.merge_target_closed": "目标点单已被拒绝或合并，不能再合并进去。",
    "refusal.evaluation.too_many_codes": "每个活动最多 {limit} 个评价码。",
    "refusal.evaluation.code_invalid": "评价码无效，请核对后重新输入。",
    "refusal.evaluation.code_used": "该评价码已使用过，每个评价码只能评价一次。",
    "refusal.evaluation.not_completed": "活动确认完成后才能评价志愿者。",
    "refusal.evaluation.codes_not_completed": "活动确认完成后才能生成评价码。",
    "refusal.evaluation.not_served": "该志愿者没有参与本次活动的服务记录。",
    "refusal.evaluation.already_rated": "已评价过该志愿者。",
    "refusal.activity.not_yours": "只能为自己签到、签退。",
    "refusal.activity.no_volunteer_profile": "您还没有志愿者档案。",
    "refusal.activity.check_in_not_accepted": "只有已接单的活动才能签到。",
    "refusal.activity.check_in_not_open": "签到将于 {opens_at}（活动开始前 {minutes} 分钟）开放。",
    "refusal.activity.check_in_pending": "您的签到正等待社区工作者确认，确认后才能签退。",
    "refusal.activity.no_pending_check_in": "该志愿者没有待确认的签到。",
    "refusal.activity.check_in_closed": "活动已结束或已取消，不能再签到。",
    "refusal.activity.not_checked_in": "请先签到，再签退。",
    "refusal.activity.already_completed": "该活动已确认完成。",
    "refusal.activity.complete_not_in_progress": "只有进行中（或已开始）的活动可以确认完成。",
    "refusal.activity.complete_before_start": "活动尚未开始，不能确认完成。",
    "refusal.activity.unknown_present": "以下志愿者没有待确认的接单：{volunteer_ids}",
    # The input layer (service/schemas_common.py, service/web/security.py).
    "refusal.input.surrogate": "包含无效的字符（孤立的代理码位），请删除后重新输入。",
    "refusal.input.control_character": "不能包含控制字符。",
    "refusal.input.line_break": "不能包含换行或控制字符。",
    "refusal.input.naive_datetime": "时间必须带时区，例如 2026-12-01T09:00:00+08:00。",
    "refusal.input.datetime_out_of_range": "时间须在 {earliest} 年至 {latest} 年之间。",
    "refusal.input.json_too_deep": "提交的内容嵌套过深（最多 {limit} 层）。",
    "refusal.order.venue_outside_china": "活动地点坐标不在中国境内，请检查经纬度（不能为 0,0）。",
    "refusal.order.starts_too_early": "活动开始时间不能早于当前时间一天以上。",
    "refusal.order.starts_too_late": "活动开始时间不能晚于 {years} 年之后。",
    "refusal.order.too_long": "一次活动最长 {days} 天，请拆分为多次活动。",
}

CATALOGUES: Mapping[str, Mapping[str, str]] = {"zh_CN": ZH_CN}


class MessageError(LookupError):
    """A message asked for under an unknown key or locale, or with the wrong parameters."""


def placeholders(template: str) -> frozenset[str]:
    """The names a template's ``{placeholders}`` need."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)


def text(key: str, /, *, locale: str = DEFAULT_LOCALE, **params: object) -> str:
    """The message ``key`` in ``locale`` with exactly its named placeholders filled in."""
    try:
        template = CATALOGUES[locale][key]
    except KeyError:
        raise MessageError(f"no message {key!r} in locale {locale!r}") from None
    expected = placeholders(template)
    if params.keys() != expected:
        raise MessageError(f"message {key!r} takes {sorted(expected)}, was given {sorted(params)}")
    return template.format(**params)
