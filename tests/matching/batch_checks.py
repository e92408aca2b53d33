"""An independent checker of batch results, written only from the one-pair rules."""

from __future__ import annotations

from collections import Counter, defaultdict

from matching.eligibility import check_eligibility
from matching.params import MatchParams
from matching.time_windows import windows_conflict
from matching.types import BatchResult


def violations(result: BatchResult, orders, volunteers, params: MatchParams, now) -> list[str]:
    """Every broken rule in a batch result, as readable strings (empty when valid)."""
    out = []
    o_by_id = {o.id: o for o in orders}
    v_by_id = {v.id: v for v in volunteers}
    pairs = [(a.order_id, a.volunteer_id) for a in result.assignments]
    if len(set(pairs)) != len(pairs):
        out.append("duplicate assignment")
    for o_id, v_id in pairs:
        reasons = check_eligibility(v_by_id[v_id], o_by_id[o_id], params, now)
        if reasons:
            out.append(f"{v_id}->{o_id} ineligible: {reasons}")
    for o_id, n in Counter(o for o, _ in pairs).items():
        if n > o_by_id[o_id].slots:
            out.append(f"order {o_id} over its {o_by_id[o_id].slots} slots: {n}")
    by_vol = defaultdict(list)
    for o_id, v_id in pairs:
        by_vol[v_id].append(o_by_id[o_id])
    for v_id, os in by_vol.items():
        for i, a in enumerate(os):
            for b in os[i + 1 :]:
                if windows_conflict(a.start, a.end, b.start, b.end, params.travel_buffer):
                    out.append(f"volunteer {v_id} in overlapping orders {a.id} and {b.id}")
    by_order = defaultdict(set)
    for o_id, v_id in pairs:
        by_order[o_id] |= v_by_id[v_id].skills
    for o_id, skills in by_order.items():
        o = o_by_id[o_id]
        if o.cover_all_skills and not o.required_skills <= skills:
            out.append(f"order {o_id} skills not covered")
    if result.filled != len(pairs) or result.filled > result.total_slots:
        out.append("filled count wrong")
    if abs(result.total_score - sum(a.score for a in result.assignments)) > 1e-6:
        out.append("total score wrong")
    return out
