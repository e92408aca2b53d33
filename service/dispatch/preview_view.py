"""The candidate preview in a worker's words, in the page's language.

``preview.preview_form`` answers with numbers and codes (the API's shape); a person reads
"1–3 km · 心肺复苏 ✓ · 本月已服务 3 次 · 同社区". Distances stay bands, as the preview gives
them: nothing here can say more about where a volunteer lives than the API does.
Call these inside ``page_text.use_locale`` (the route does), so ``_()`` speaks the reader's
language.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from service.orders.schemas import CandidatePublic, PreviewPublic
from service.page_text import gettext as _

SEPARATOR = " · "


def _km(value: float | None) -> str:
    return f"{value:g}" if value is not None else ""


def distance_words(detail: dict) -> str:
    lower, upper = detail.get("lower_km") or 0, detail.get("upper_km")
    if upper is None:
        return _("%(km)s km 以外") % {"km": _km(lower)}
    if not lower:
        return _("%(km)s km 以内") % {"km": _km(upper)}
    return _("%(low)s–%(high)s km") % {"low": _km(lower), "high": _km(upper)}


def _skill_words(detail: dict, skill_names: dict[int, str]) -> list[str]:
    matched = set(detail.get("matched_skill_ids", ()))
    return [
        f"{skill_names.get(sid, '?')} {'✓' if sid in matched else '✗'}"
        for sid in detail.get("required_skill_ids", ())
    ]


def candidate_words(candidate: CandidatePublic, skill_names: dict[int, str]) -> str:
    """One line: distance band, skills, this month's work, locality, reliability."""
    parts = {part.code: part.detail for part in candidate.parts}
    words = [distance_words(parts.get("distance", {}))]
    words += _skill_words(parts.get("skill", {}), skill_names)
    served = parts.get("fairness", {}).get("activities_this_month", 0)
    words.append(_("本月已服务 %(n)s 次") % {"n": served} if served else _("本月尚未服务"))
    locality = parts.get("locality", {})
    if locality.get("same_community"):
        words.append(_("同社区"))
    elif locality.get("same_street"):
        words.append(_("同街道"))
    reliability = parts.get("reliability", {})
    if reliability.get("no_shows"):
        words.append(_("爽约 %(n)s 次") % {"n": reliability["no_shows"]})
    if reliability.get("rating_avg") is not None:
        words.append(_("评分 %(r)s") % {"r": f"{reliability['rating_avg']:.1f}"})
    return SEPARATOR.join(words)


def candidate_rows(found: PreviewPublic, skill_names: dict[int, str]) -> list[dict]:
    """The top candidates as the panel lists them (name and masked phone as the API gives)."""
    return [
        {
            "name": c.name,
            "phone": c.phone_masked or "",
            "words": candidate_words(c, skill_names),
            "fit": round(c.score * 100),
        }
        for c in found.candidates
    ]


def suggestions(found: PreviewPublic, zone: str) -> list[str]:
    """What would find someone when nobody fits: a wider radius, or the coming Saturday."""
    advice = found.suggestion
    if not advice:
        return []
    lines = []
    gained = advice.get("candidates_with_extra_km", 0) - advice.get("candidates_now", 0)
    if gained > 0:
        lines.append(
            _("最远服务距离再放宽 %(km)s 公里，就有 %(n)s 名候选志愿者。")
            % {"km": _km(advice.get("extra_km")), "n": gained}
        )
    on_saturday = advice.get("candidates_on_saturday", 0)
    if on_saturday and advice.get("saturday_starts_at"):
        day = datetime.fromisoformat(advice["saturday_starts_at"]).astimezone(ZoneInfo(zone))
        lines.append(
            _("改到 %(day)s（周六）同一时间，有 %(n)s 名候选志愿者。")
            % {"day": day.strftime("%Y-%m-%d"), "n": on_saturday}
        )
    if not lines:
        lines.append(_("附近暂无符合条件的志愿者。可以少选几项技能、换个时间，或交给志愿队。"))
    return lines
