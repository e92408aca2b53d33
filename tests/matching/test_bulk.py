"""The vectorized batch path: same pairs and scores as the one-pair rules, lossless pruning."""

import dataclasses
from datetime import timedelta

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching.batch import assign_batch, build_candidate_graph, solve_brute_force
from matching.batch.assign import reduce_graph, solve_graph
from matching.eligibility import check_eligibility
from matching.params import MatchParams
from matching.ranking import rank_candidates
from matching.table import VolunteerTable
from matching.time_windows import MINUTES_PER_WEEK, availability_covers
from matching.types import AvailabilityWindow
from tests.matching.factories import NOW
from tests.matching.strategies import orders, volunteers
from tests.matching.test_index import reference_score

P = MatchParams()
TIGHT = MatchParams(candidate_factor=1, min_candidates=1)  # prune as hard as allowed
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def lexi(result, params=P):
    return result.filled, round(result.total_score * 10**params.score_decimals)


@given(volunteers(max_size=10), orders(max_size=5))
@SETTINGS
def test_unpruned_graph_is_exactly_the_eligible_pairs_with_their_scores(vs, os):
    graph = build_candidate_graph(os, vs, P, NOW, prune=False)
    got = {
        (int(graph.order_ids[o]), int(v)): float(s)
        for o, v, s in zip(graph.edge_order, graph.edge_volunteer, graph.edge_score, strict=True)
    }
    expected = {
        (o.id, v.id): reference_score(v, o)
        for o in os
        for v in vs
        if o.slots > 0 and not check_eligibility(v, o, P, NOW)
    }
    assert got.keys() == expected.keys()
    for k, s in expected.items():
        assert abs(got[k] - s) <= 1e-6


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_pruned_batch_equals_the_unpruned_optimum_when_lossless(vs, os):
    pruned = assign_batch(os, vs, TIGHT, NOW)
    full = assign_batch(os, vs, TIGHT, NOW, prune=False)
    if pruned.stats["pruning_lossless"] and pruned.proven_optimal and full.proven_optimal:
        assert lexi(pruned) == lexi(full)


@given(volunteers(max_size=6), orders(max_size=4))
@SETTINGS
def test_graph_reduction_keeps_an_optimum(vs, os):
    graph = build_candidate_graph(os, vs, P, NOW, prune=False)
    if graph.n_edges > 16:
        return
    keep = reduce_graph(graph)
    _, filled, score = solve_brute_force(graph)
    r = solve_graph(graph, P)
    assert (r.filled, round(r.total_score * 1e6)) == (filled, score)
    assert r.stats.get("solver_edges", graph.n_edges) == int(keep.sum())


def test_volunteers_sharing_no_window_with_other_orders_make_pruning_lossless():
    from tests.matching.factories import MONDAY_10_LOCAL, order, volunteer

    vs = [volunteer(i, recent_hours=i) for i in range(1, 40)]
    # Three orders on three different days: every candidate is exclusive to its order.
    three = [order(i, start=MONDAY_10_LOCAL + timedelta(days=i), slots=3) for i in range(1, 4)]
    r = assign_batch(three, vs, MatchParams(candidate_factor=2, min_candidates=1), NOW)
    assert r.stats["pruning_lossless"] and r.filled == 9
    assert r.stats["solver_edges"] == 9  # the reduction keeps the three best of each


@st.composite
def week_windows(draw):
    n = draw(st.integers(0, 6))
    aligned = draw(st.booleans())
    out = []
    for _ in range(n):
        day = draw(st.integers(0, 6))
        if aligned:
            s = draw(st.integers(0, 23)) * 60
            e = min(s + draw(st.integers(1, 24)) * 60, 1440)
        else:
            s = draw(st.integers(0, 1439))
            e = draw(st.integers(s + 1, 1440))
        out.append(AvailabilityWindow(day, s, e))
    return out


@given(st.lists(week_windows(), min_size=1, max_size=5), st.data())
@settings(max_examples=150, deadline=None)
def test_hour_bitmap_is_necessary_and_exact_for_on_the_hour_windows(rows, data):
    r = [i for i, ws in enumerate(rows) for _ in ws]
    ws = [w for w_list in rows for w in w_list]
    table = VolunteerTable.from_columns(
        ids=np.arange(len(rows)),
        lat=np.zeros(len(rows)),
        lng=np.zeros(len(rows)),
        radius_km=np.ones(len(rows)),
        skills=(np.arange(len(rows)), np.ones(len(rows))),
        windows=(
            r,
            [w.weekday for w in ws],
            [w.start_minute for w in ws],
            [w.end_minute for w in ws],
        ),
    )
    bits, exact = table.hour_bitmap()
    from matching.index import _hour_mask

    for _ in range(10):
        b = data.draw(st.integers(0, MINUTES_PER_WEEK - 1))
        e = b + data.draw(st.integers(1, 600))
        need = np.array(_hour_mask(b, e), dtype=np.uint64)
        passes = np.all((bits & need) == need, axis=1)
        for i, w_list in enumerate(rows):
            covered = availability_covers(w_list, b, e)
            assert passes[i] or not covered  # necessary
            if exact[i]:
                assert passes[i] == covered  # and sufficient when on the hour


def test_orders_requiring_many_skills_keep_their_cover_groups_apart():
    from tests.matching.factories import MONDAY_10_LOCAL, order, volunteer

    skills = set(range(1, 9))  # 8 required skills: covers up to 255
    vs = [volunteer(i, skills={1 + (i % 8)}, recent_hours=i) for i in range(1, 25)]
    vs.append(volunteer(99, skills=skills))
    os = [
        order(1, skills=skills, slots=8, cover_all_skills=True),
        order(2, start=MONDAY_10_LOCAL + timedelta(days=1), skills={1}, slots=1),
    ]
    r = assign_batch(os, vs, P, NOW)
    full = assign_batch(os, vs, P, NOW, prune=False)
    assert lexi(r) == lexi(full)
    assert r.filled == 9


@given(volunteers(max_size=10), orders(max_size=5))
@SETTINGS
def test_without_the_cover_rule_the_batch_graph_equals_the_per_order_ranking(vs, os):
    """One skill rule: with ``cover_all_skills`` off, the unpruned batch graph of an order holds
    exactly the volunteers the per-order ranking (``rank_candidates`` / ``top_k``) lists,
    with the same scores; the cover rule never changes which pairs are candidates."""
    os = [dataclasses.replace(o, cover_all_skills=False) for o in os]
    graph = build_candidate_graph(os, vs, P, NOW, prune=False)
    covered = build_candidate_graph(
        [dataclasses.replace(o, cover_all_skills=True) for o in os], vs, P, NOW, prune=False
    )
    assert np.array_equal(graph.edge_volunteer, covered.edge_volunteer)
    assert np.array_equal(graph.edge_order, covered.edge_order)
    assert not graph.full_cover.any() and not graph.edge_cover.any()
    for i, o in enumerate(sorted(os, key=lambda o: o.id)):
        mine = graph.edge_order == i
        batch = dict(zip(graph.edge_volunteer[mine].tolist(), graph.edge_score[mine], strict=True))
        ranked = {c.volunteer_id: c.score for c in rank_candidates(o, vs, len(vs), P, NOW)}
        if o.slots == 0:
            assert batch == {}  # nothing to staff; the ranking still lists candidates
            continue
        assert batch.keys() == ranked.keys()
        assert all(abs(batch[v] - s) <= 1e-9 for v, s in ranked.items())
