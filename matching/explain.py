"""One-line explanations of a candidate, e.g. "2.3 km · 心肺复苏 ✓ · 本月已服务 3 次", and of
a qualification problem, e.g. "救护员证 12月05日过期"."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from matching.qualifications import (
    CREDENTIAL_LAPSED,
    MISSING_CREDENTIAL,
    NOT_INSURED,
    QualificationProblem,
)
from matching.types import Candidate, TeamCandidate

SEPARATOR = " · "


def _skill_bits(candidate: Candidate | TeamCandidate, skill_names: Mapping[int, str]) -> list[str]:
    detail = _part(candidate, "skill")
    matched = set(detail["matched_skill_ids"])
    bits = []
    for sid in detail["required_skill_ids"]:
        name = skill_names.get(sid, f"#{sid}")
        bits.append(f"{name} {'✓' if sid in matched else '✗'}")
    return bits


def _part(candidate: Candidate | TeamCandidate, code: str) -> dict:
    return next(p.detail for p in candidate.parts if p.code == code)


def explain_zh(
    candidate: Candidate | TeamCandidate,
    skill_names: Mapping[int, str],
    *,
    distance_text: str | None = None,
) -> str:
    """Chinese one-liner for a community worker: distance, skills, recent work, locality, rating.

    ``distance_text`` replaces the exact distance (the service shows others only a band).
    """
    distance = f"{candidate.distance_km:.1f} km" if distance_text is None else distance_text
    bits = [distance, *_skill_bits(candidate, skill_names)]
    fairness = _part(candidate, "fairness")
    n = fairness.get("activities_this_month", 0)
    bits.append(f"本月已服务 {n} 次" if n else "本月尚未服务")
    locality = _part(candidate, "locality")
    if locality.get("same_community"):
        bits.append("同社区")
    elif locality.get("same_street"):
        bits.append("同街道")
    reliability = _part(candidate, "reliability")
    if reliability.get("no_shows"):
        bits.append(f"爽约 {reliability['no_shows']} 次")
    if reliability.get("rating_avg") is not None:
        bits.append(f"评分 {reliability['rating_avg']:.1f}")
    return SEPARATOR.join(bits)


def explain_en(candidate: Candidate | TeamCandidate, skill_names: Mapping[int, str]) -> str:
    """English one-liner with the same facts as ``explain_zh``."""
    bits = [f"{candidate.distance_km:.1f} km", *_skill_bits(candidate, skill_names)]
    n = _part(candidate, "fairness").get("activities_this_month", 0)
    bits.append(f"{n} activities this month" if n else "no activity this month yet")
    locality = _part(candidate, "locality")
    if locality.get("same_community"):
        bits.append("same community")
    elif locality.get("same_street"):
        bits.append("same street")
    reliability = _part(candidate, "reliability")
    if reliability.get("no_shows"):
        bits.append(f"{reliability['no_shows']} no-shows")
    if reliability.get("rating_avg") is not None:
        bits.append(f"rated {reliability['rating_avg']:.1f}")
    return SEPARATOR.join(bits)


def _zh_day(d: date) -> str:
    return f"{d.month}月{d.day:02d}日"


def explain_problem_zh(problem: QualificationProblem, kind_names: Mapping[str, str]) -> str:
    """Chinese words for one qualification problem: "缺少救护员证", "救护员证 12月05日过期",
    "未投保", "保险 12月05日到期", "保险未覆盖 12月06日". ``kind_names`` maps credential kinds
    to their short Chinese names (the kind itself is shown when missing)."""
    name = kind_names.get(problem.kind, problem.kind) if problem.kind else ""
    if problem.code == MISSING_CREDENTIAL:
        return f"缺少{name}"
    if problem.code == CREDENTIAL_LAPSED:
        return f"{name} {_zh_day(problem.expired_on)}过期"
    if problem.code == NOT_INSURED:
        if problem.expired_on is not None:
            return f"保险 {_zh_day(problem.expired_on)}到期"
        if problem.uncovered_on is not None:
            return f"保险未覆盖 {_zh_day(problem.uncovered_on)}"
        return "未投保"
    raise ValueError(f"not a qualification problem: {problem.code}")


def explain_problem_en(problem: QualificationProblem, kind_names: Mapping[str, str]) -> str:
    """English words with the same facts as ``explain_problem_zh``."""
    name = kind_names.get(problem.kind, problem.kind) if problem.kind else ""
    if problem.code == MISSING_CREDENTIAL:
        return f"no {name}"
    if problem.code == CREDENTIAL_LAPSED:
        return f"{name} expired {problem.expired_on:%d %b}"
    if problem.code == NOT_INSURED:
        if problem.expired_on is not None:
            return f"insurance ended {problem.expired_on:%d %b}"
        if problem.uncovered_on is not None:
            return f"insurance does not cover {problem.uncovered_on:%d %b}"
        return "not insured"
    raise ValueError(f"not a qualification problem: {problem.code}")
