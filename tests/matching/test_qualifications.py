"""Certificates and insurance are hard rules on every local date an order touches; the index,
the batch pairs and team members follow the one-pair reference."""

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.batch import build_candidate_graph
from matching.eligibility import (
    BLACKOUT_DATE,
    CREDENTIAL_LAPSED,
    MISSING_CREDENTIAL,
    NOT_INSURED,
    check_eligibility,
)
from matching.explain import explain_problem_en, explain_problem_zh
from matching.index import VolunteerIndex
from matching.params import MatchParams
from matching.qualifications import QualificationProblem, qualification_problems
from matching.table import VolunteerTable
from matching.teams import available_members
from matching.types import Credential, InsuranceCoverage, TeamSnapshot
from tests.matching.factories import CENTER, NOW, order, volunteer
from tests.matching.strategies import (
    KINDS,
    qualifications,
    qualified_orders,
    qualified_volunteers,
    utc_offsets,
)

P = MatchParams()
FIRST_AID = "red_cross_first_aider"
SAFETY = "safety_training"
CODES = {MISSING_CREDENTIAL, CREDENTIAL_LAPSED, NOT_INSURED}
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DEC_5 = date(2026, 12, 5)


def local(day: date, hour: int, minute: int = 0, offset_h: float = 8.0) -> datetime:
    """An aware moment given as local wall time at a fixed UTC offset."""
    tz = timezone(timedelta(hours=offset_h))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz).astimezone(UTC)


def at(start: datetime, minutes: int, **kwargs):
    """An order at the centre from ``start`` for ``minutes``, needing skill 1."""
    return replace(order(start=start, **kwargs), end=start + timedelta(minutes=minutes))


def certified(id=1, until=DEC_5, kind=FIRST_AID, **kwargs):
    return volunteer(id, credentials=(Credential(kind, until),), **kwargs)


def insured(id=1, *periods, **kwargs):
    return volunteer(id, insurance=tuple(InsuranceCoverage(a, b) for a, b in periods), **kwargs)


def local_days(o, offset: timedelta) -> set[date]:
    """Local dates of [start, end) by stepping through it (an independent count)."""
    tz = timezone(offset)
    days, t = set(), o.start
    while t < o.end:
        days.add(t.astimezone(tz).date())
        t += timedelta(minutes=5)
    return days | {(o.end - timedelta(microseconds=1)).astimezone(tz).date()}


# ----------------------------------------------------------------- the rules, by example


def test_nothing_required_nothing_checked():
    assert check_eligibility(volunteer(), order(), now=NOW) == []


def test_missing_certificate():
    o = order(required_credentials=frozenset({FIRST_AID}))
    assert check_eligibility(volunteer(), o, now=NOW) == [MISSING_CREDENTIAL]
    assert check_eligibility(certified(kind=SAFETY), o, now=NOW) == [MISSING_CREDENTIAL]


@pytest.mark.parametrize("offset_h", [8.0, 0.0, -5.0, 5.5])
def test_certificate_valid_through_its_last_local_day_and_not_after(offset_h):
    params = MatchParams(utc_offset=timedelta(hours=offset_h))
    v = certified(until=DEC_5)
    need = {"required_credentials": frozenset({FIRST_AID})}
    next_day = DEC_5 + timedelta(days=1)
    cases = [
        (at(local(DEC_5, 22, 0, offset_h), 90, **need), []),  # ends 23:30 on the last day
        (at(local(DEC_5, 22, 30, offset_h), 90, **need), []),  # ends at 00:00: the 5th only
        (at(local(next_day, 0, 10, offset_h), 60, **need), [CREDENTIAL_LAPSED]),
        (at(local(DEC_5, 23, 0, offset_h), 120, **need), [CREDENTIAL_LAPSED]),  # over midnight
    ]
    now = local(DEC_5, 0, 0, offset_h) - timedelta(days=3)
    for o, expected in cases:
        assert check_eligibility(v, o, params, now) == expected, o
        index = VolunteerIndex.build([v], params)
        assert index.is_eligible(v.id, o, params, now) == (not expected)


def test_the_boundary_moves_with_the_configured_zone():
    # 2026-12-05 20:00 UTC is the 6th in Beijing (04:00) but still the 5th in UTC.
    o = at(datetime(2026, 12, 5, 20, 0, tzinfo=UTC), 60)
    o = replace(o, required_credentials=frozenset({FIRST_AID}))
    now = datetime(2026, 12, 1, tzinfo=UTC)
    beijing, london = MatchParams(), MatchParams(utc_offset=timedelta(0))
    assert check_eligibility(certified(), o, beijing, now) == [CREDENTIAL_LAPSED]
    assert check_eligibility(certified(), o, london, now) == []


def test_the_latest_of_two_certificates_of_a_kind_counts():
    v = volunteer(
        credentials=(
            Credential(FIRST_AID, DEC_5 - timedelta(days=400)),
            Credential(FIRST_AID, DEC_5),
        )
    )
    o = at(local(DEC_5, 9), 60, required_credentials=frozenset({FIRST_AID}))
    assert check_eligibility(v, o, P, NOW) == []


def test_every_required_kind_is_needed():
    o = at(local(DEC_5, 9), 60, required_credentials=frozenset({FIRST_AID, SAFETY}))
    assert check_eligibility(certified(), o, P, NOW) == [MISSING_CREDENTIAL]
    both = volunteer(
        credentials=(Credential(FIRST_AID, DEC_5), Credential(SAFETY, date(2026, 1, 1)))
    )
    assert check_eligibility(both, o, P, NOW) == [CREDENTIAL_LAPSED]
    problems = qualification_problems(both, o, P)
    assert problems == [
        QualificationProblem(CREDENTIAL_LAPSED, SAFETY, date(2026, 1, 1), DEC_5),
    ]


def test_qualification_reasons_come_with_the_others():
    o = at(
        local(DEC_5, 9), 60, required_credentials=frozenset({FIRST_AID}), requires_insurance=True
    )
    v = volunteer(blackout_dates={DEC_5})
    assert check_eligibility(v, o, P, NOW) == [BLACKOUT_DATE, MISSING_CREDENTIAL, NOT_INSURED]


def test_insurance_must_cover_every_local_day_with_periods_joined():
    dec = [date(2026, 12, d) for d in range(1, 11)]
    two_days = at(local(dec[4], 22), 180, requires_insurance=True)  # 5th 22:00 to 6th 01:00
    joined = insured(1, (dec[0], dec[4]), (dec[5], dec[8]))  # meet: the 5th and the 6th
    overlapping = insured(2, (dec[0], dec[5]), (dec[3], dec[8]))
    gap = insured(3, (dec[0], dec[4]), (dec[6], dec[8]))  # the 6th is not covered
    late = insured(4, (dec[5], dec[8]))
    never = volunteer(5)
    expected = {1: [], 2: [], 3: [NOT_INSURED], 4: [NOT_INSURED], 5: [NOT_INSURED]}
    vs = [joined, overlapping, gap, late, never]
    for v in vs:
        assert check_eligibility(v, two_days, P, NOW) == expected[v.id]
    index = VolunteerIndex.build(vs, P)
    assert index.eligible_ids(two_days, P, NOW) == [1, 2]
    assert [p for v in vs[2:] for p in qualification_problems(v, two_days, P)] == [
        QualificationProblem(NOT_INSURED, expired_on=dec[4], uncovered_on=dec[5]),
        QualificationProblem(NOT_INSURED, uncovered_on=dec[4]),
        QualificationProblem(NOT_INSURED),
    ]


def test_problems_in_words():
    names = {FIRST_AID: "救护员证"}
    o = at(local(DEC_5 + timedelta(days=1), 9), 60, requires_insurance=True)
    o = replace(o, required_credentials=frozenset({FIRST_AID, SAFETY}))
    v = volunteer(
        credentials=(Credential(FIRST_AID, DEC_5),),
        insurance=(InsuranceCoverage(date(2026, 1, 1), DEC_5),),
    )
    zh = [explain_problem_zh(p, names) for p in qualification_problems(v, o, P)]
    assert zh == ["救护员证 12月05日过期", f"缺少{SAFETY}", "保险 12月05日到期"]
    en = [
        explain_problem_en(p, {FIRST_AID: "first-aid certificate"})
        for p in qualification_problems(v, o, P)
    ]
    assert en == ["first-aid certificate expired 05 Dec", f"no {SAFETY}", "insurance ended 05 Dec"]
    assert explain_problem_zh(QualificationProblem(NOT_INSURED), names) == "未投保"
    later = QualificationProblem(NOT_INSURED, uncovered_on=DEC_5)
    assert explain_problem_zh(later, names) == "保险未覆盖 12月05日"


def test_uncertified_team_members_do_not_count():
    members = (certified(1), volunteer(2), certified(3, until=DEC_5 - timedelta(days=1)))
    team = TeamSnapshot(id=1, base_lat=CENTER[0], base_lng=CENTER[1], members=members)
    o = at(local(DEC_5, 9), 60, required_credentials=frozenset({FIRST_AID}))
    assert [m.id for m in available_members(team, o, P)] == [1]


def test_columns_from_dates_datetime64_or_ordinals_agree():
    days = [DEC_5, date(2027, 1, 1)]
    cols = {"ids": [1, 2], "lat": [CENTER[0]] * 2, "lng": [CENTER[1]] * 2, "radius_km": [5, 5]}
    cols |= {"skills": ([0, 1], [1, 1]), "windows": ((), (), (), ())}
    tables = [
        VolunteerTable.from_columns(
            **cols, credentials=([0, 1], [FIRST_AID] * 2, d), insurance=([0, 1], d, d)
        )
        for d in (days, np.array(days, dtype="datetime64[D]"), [d.toordinal() for d in days])
    ]
    for t in tables:
        assert list(t.credential_valid_through(FIRST_AID)) == [d.toordinal() for d in days]
        assert list(t.cover_end) == [d.toordinal() for d in days]
        assert not t.credential_valid_through(SAFETY).any()


@pytest.mark.parametrize(
    "make",
    [
        lambda: Credential("", DEC_5),
        lambda: Credential(FIRST_AID, datetime(2026, 12, 5, tzinfo=UTC)),
        lambda: InsuranceCoverage("2026-12-01", DEC_5),
        lambda: order(required_credentials={FIRST_AID}),  # a set, not a frozenset
        lambda: order(required_credentials=frozenset({7})),
    ],
)
def test_qualification_input_that_cannot_be_decided_on_is_refused(make):
    with pytest.raises(ValueError):
        make()


def test_coverage_ending_before_it_starts_is_refused():
    with pytest.raises(ValueError):
        InsuranceCoverage(DEC_5, DEC_5 - timedelta(days=1))
    with pytest.raises(ValueError, match="insurance"):
        VolunteerTable.from_columns(
            ids=[1],
            lat=[CENTER[0]],
            lng=[CENTER[1]],
            radius_km=[5],
            skills=([0], [1]),
            windows=((), (), (), ()),
            insurance=([0], [DEC_5], [DEC_5 - timedelta(days=1)]),
        )


# ----------------------------------------------------------------- properties


@given(qualified_volunteers(max_size=8), qualified_orders(max_size=1), utc_offsets())
@SETTINGS
def test_no_eligible_volunteer_lacks_a_required_certificate_or_insurance(vs, os, offset):
    o, params = os[0], MatchParams(utc_offset=offset)
    days = local_days(o, offset)
    index = VolunteerIndex.build(vs, params)
    for v in vs:
        ok = not check_eligibility(v, o, params, NOW)
        assert ok == index.is_eligible(v.id, o, params, NOW)
        if not ok:
            continue
        for kind in o.required_credentials:  # valid on every local day the order touches
            assert all(
                any(c.kind == kind and d <= c.valid_through for c in v.credentials) for d in days
            )
        if o.requires_insurance:
            assert all(any(c.start <= d <= c.end for c in v.insurance) for d in days)


@given(
    qualified_volunteers(max_size=10),
    qualified_orders(max_size=1),
    utc_offsets(),
    st.integers(1, 12),
)
@SETTINGS
def test_index_answers_equal_the_reference(vs, os, offset, k):
    o, params = os[0], MatchParams(utc_offset=offset)
    eligible = sorted(v.id for v in vs if not check_eligibility(v, o, params, NOW))
    half = len(vs) // 2
    index = VolunteerIndex.build(vs[:half], P)
    for v in vs[half:]:  # some in the delta table, then folded in by a compaction
        index.add(v)
    assert index.eligible_ids(o, params, NOW) == eligible
    count, top = index.count_and_top(o, k, params, NOW)
    assert count == len(eligible) == index.eligible_count(o, params, NOW)
    assert {c.volunteer_id for c in top} <= set(eligible) and len(top) == min(k, count)
    index.compact()
    assert index.eligible_ids(o, params, NOW) == eligible
    assert index.top_k(o, k, params, NOW) == top


@given(qualified_volunteers(max_size=8), qualified_orders(max_size=4), utc_offsets())
@SETTINGS
def test_batch_pairs_equal_the_reference(vs, os, offset):
    params = MatchParams(utc_offset=offset)
    graph = build_candidate_graph(os, vs, params, NOW, prune=False)
    got = {
        (int(graph.order_ids[o]), int(v))
        for o, v in zip(graph.edge_order, graph.edge_volunteer, strict=True)
    }
    expected = {
        (o.id, v.id)
        for o in os
        for v in vs
        if o.slots > 0 and not check_eligibility(v, o, params, NOW)
    }
    assert got == expected


@given(qualified_volunteers(max_size=6), qualified_orders(max_size=1), utc_offsets())
@SETTINGS
def test_problems_name_exactly_the_failed_requirements(vs, os, offset):
    o, params = os[0], MatchParams(utc_offset=offset)
    days = sorted(local_days(o, offset))
    for v in vs:
        problems = qualification_problems(v, o, params)
        codes = [c for c in check_eligibility(v, o, params, NOW) if c in CODES]
        assert [p.code for p in problems] == codes
        for p in problems:
            if p.code == CREDENTIAL_LAPSED:
                assert p.expired_on == max(
                    c.valid_through for c in v.credentials if c.kind == p.kind
                )
                assert (
                    p.uncovered_on == p.expired_on + timedelta(days=1) or p.uncovered_on == days[0]
                )
                assert p.uncovered_on in days and p.expired_on < days[-1]
            if p.code == NOT_INSURED and v.insurance:
                assert p.uncovered_on in days
                assert not any(c.start <= p.uncovered_on <= c.end for c in v.insurance)
            explain_problem_zh(p, {})  # every problem has words


@given(st.lists(qualifications(), min_size=1, max_size=6), st.data())
@settings(max_examples=60, deadline=None)
def test_coverage_union_with_gaps_equals_day_by_day(quals, data):
    vs = [volunteer(i, insurance=ins) for i, (_, ins) in enumerate(quals, start=1)]
    table = VolunteerTable.from_snapshots(vs)
    base = date(2025, 6, 2)
    first = base + timedelta(days=data.draw(st.integers(-4, 4)))
    last = first + timedelta(days=data.draw(st.integers(0, 3)))
    got = table.insured(np.arange(len(vs)), first.toordinal(), last.toordinal())
    span = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    expected = [all(any(c.start <= d <= c.end for c in v.insurance) for d in span) for v in vs]
    assert list(got) == expected
    # The same after reordering rows (take) and splitting and joining (concat).
    order_ = np.arange(len(vs))[::-1]
    moved = VolunteerTable.concat([table.take(order_[:2]), table.take(order_[2:])])
    assert (
        list(moved.insured(np.arange(len(vs)), first.toordinal(), last.toordinal()))
        == expected[::-1]
    )


@given(
    st.lists(qualifications(), min_size=1, max_size=6), st.sampled_from(KINDS), st.integers(-3, 3)
)
@settings(max_examples=60, deadline=None)
def test_credential_columns_survive_take_and_concat(quals, kind, shift):
    vs = [volunteer(i, credentials=cred) for i, (cred, _) in enumerate(quals, start=1)]
    day = (date(2025, 6, 2) + timedelta(days=shift)).toordinal()
    expected = [
        any(c.kind == kind and c.valid_through.toordinal() >= day for c in v.credentials)
        for v in vs
    ]
    # Split so that each part knows only the kinds it holds: concat recodes them.
    parts = [VolunteerTable.from_snapshots(vs[:1]), VolunteerTable.from_snapshots(vs[1:])]
    for t in (VolunteerTable.from_snapshots(vs), VolunteerTable.concat(parts)):
        assert list(t.credentials_valid(np.arange(len(vs)), [kind], day)) == expected
