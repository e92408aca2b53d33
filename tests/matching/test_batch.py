"""Batch assignment rules on hand-made instances."""

import dataclasses
from datetime import timedelta

import numpy as np
import pytest

from matching.batch import CandidateGraph, assign_batch, assign_greedy, solve_brute_force
from matching.batch.assign import solve_graph
from matching.batch.conflicts import conflict_structure
from matching.batch.greedy import greedy_assign
from matching.params import MatchParams
from tests.matching.batch_checks import violations
from tests.matching.factories import MONDAY_10_LOCAL, NOW, order, volunteer

P = MatchParams()
H = timedelta(hours=1)


def at(hours: float):
    return MONDAY_10_LOCAL + timedelta(hours=hours)


def test_slots_are_never_exceeded():
    vs = [volunteer(i) for i in range(1, 6)]
    r = assign_batch([order(slots=2)], vs, P, NOW)
    assert r.filled == 2 and r.total_slots == 2
    assert r.by_order() == {100: [1, 2]}  # equal scores: lowest ids
    assert violations(r, [order(slots=2)], vs, P, NOW) == []


def test_one_volunteer_serves_orders_that_do_not_overlap():
    os = [order(1, start=at(0), hours=1), order(2, start=at(1.5), hours=1)]  # 30 min buffer: ok
    r = assign_batch(os, [volunteer(7)], P, NOW)
    assert r.by_order() == {1: [7], 2: [7]}
    assert r.proven_optimal and r.method == "flow"


def test_one_volunteer_never_gets_two_overlapping_orders():
    os = [order(1, start=at(0), hours=1), order(2, start=at(1.25), hours=1)]  # 15 min gap < buffer
    r = assign_batch(os, [volunteer(7)], P, NOW)
    assert r.filled == 1
    no_buffer = MatchParams(travel_buffer=timedelta(0))
    assert assign_batch(os, [volunteer(7)], no_buffer, NOW).filled == 2


def test_chain_of_overlaps_takes_both_ends_not_the_middle():
    # A overlaps B, B overlaps C, A and C are compatible: the optimum is A + C with one volunteer.
    os = [
        order(1, start=at(0), hours=1),
        order(2, start=at(1), hours=1),
        order(3, start=at(2), hours=1),
    ]
    vs = [volunteer(7)]
    assert (
        conflict_structure(
            CandidateGraph.from_edges(os, [(o.id, 7, 0.5, frozenset({1})) for o in os], P)
        ).all_cliques
        is False
    )
    r = assign_batch(os, vs, P, NOW)
    assert r.by_order() == {1: [7], 3: [7]}
    assert r.proven_optimal and violations(r, os, vs, P, NOW) == []


def test_fill_first_then_score():
    # x fits A (0.9) and B (0.8); y fits only A (0.1). Best score alone would leave B empty.
    os = [order(1), order(2)]
    g = CandidateGraph.from_edges(
        os, [(1, 10, 0.9, frozenset()), (2, 10, 0.8, frozenset()), (1, 11, 0.1, frozenset())], P
    )
    r = solve_graph(g, P)
    assert sorted((a.order_id, a.volunteer_id) for a in r.assignments) == [(1, 11), (2, 10)]
    greedy = greedy_assign(g)
    assert int(greedy.sum()) == 1  # greedy takes x -> A and strands B


def test_multi_skill_order_needs_every_skill_covered_when_it_says_so():
    # Needs CPR (1) and bandaging (2), two slots. The two best have only CPR.
    o = order(skills={1, 2}, slots=2, cover_all_skills=True)
    vs = [
        volunteer(1, skills={1}),
        volunteer(2, skills={1}),
        volunteer(3, skills={2}, recent_hours=40),
    ]
    r = assign_batch([o], vs, P, NOW)
    assert r.filled == 2 and 3 in r.by_order()[100]  # 1 and 2 tie: either is optimal
    assert violations(r, [o], vs, P, NOW) == []
    g = assign_greedy([o], vs, P, NOW)
    assert violations(g, [o], vs, P, NOW) == []
    assert (g.filled, g.total_score) <= (r.filled, r.total_score)


def test_multi_skill_order_without_the_cover_rule_takes_the_best_by_one_shared_skill():
    o = order(skills={1, 2}, slots=2)  # cover_all_skills=False: the ranking's overlap rule
    vs = [
        volunteer(1, skills={1}),
        volunteer(2, skills={1}),
        volunteer(3, skills={2}, recent_hours=40),
    ]
    r = assign_batch([o], vs, P, NOW)
    assert r.by_order() == {100: [1, 2]} and r.proven_optimal
    assert violations(r, [o], vs, P, NOW) == []


def test_multi_skill_order_that_cannot_be_covered_gets_nobody():
    o = order(skills={1, 2}, slots=3, cover_all_skills=True)
    vs = [volunteer(1, skills={1}), volunteer(2, skills={1})]
    r = assign_batch([o], vs, P, NOW)
    assert r.filled == 0 and r.proven_optimal
    assert assign_greedy([o], vs, P, NOW).filled == 0
    assert assign_batch([dataclasses.replace(o, cover_all_skills=False)], vs, P, NOW).filled == 2


def test_volunteer_with_both_skills_can_cover_alone():
    o = order(skills={1, 2}, slots=1, cover_all_skills=True)
    r = assign_batch([o], [volunteer(1, skills={1}), volunteer(2, skills={1, 2})], P, NOW)
    assert r.by_order() == {100: [2]}


def test_heuristic_path_is_valid_and_bounded_when_exact_is_disallowed():
    os = [
        order(1, start=at(0), hours=1),
        order(2, start=at(1), hours=1),
        order(3, start=at(2), hours=1, skills={1, 2}, slots=2, cover_all_skills=True),
    ]
    vs = [volunteer(7, skills={1, 2}), volunteer(8, skills={1}), volunteer(9, skills={2})]
    params = MatchParams(exact_max_edges=0)
    r = assign_batch(os, vs, params, NOW)
    assert violations(r, os, vs, params, NOW) == []
    assert (r.filled, r.total_score) <= (r.upper_bound_filled, r.upper_bound_score + 1e-9)


def test_result_does_not_depend_on_input_order():
    os = [order(i, start=at(i % 3), hours=1 + i % 2, slots=1 + i % 2) for i in range(1, 7)]
    vs = [volunteer(i, recent_hours=i % 4, skills={1, 2} if i % 3 else {1}) for i in range(1, 9)]
    a = assign_batch(os, vs, P, NOW)
    b = assign_batch(os[::-1], vs[::-1], P, NOW)
    assert a.assignments == b.assignments and a.total_score == b.total_score


def test_pruning_keeps_the_best_candidates_and_reports_losslessness():
    vs = [volunteer(i, recent_hours=i) for i in range(1, 40)]
    small = MatchParams(candidate_factor=2, min_candidates=1)
    r = assign_batch([order(slots=3)], vs, small, NOW)
    assert r.stats["edges"] == 6 and r.by_order() == {100: [1, 2, 3]}
    assert r.stats["pruning_lossless"]  # 6 kept >= 3 slots and nothing overlaps
    two = [order(1, slots=3), order(2, slots=3)]
    assert assign_batch(two, vs, small, NOW).stats["pruning_lossless"]  # 6 kept >= 3 + 3
    three = [*two, order(3, slots=3)]
    assert not assign_batch(three, vs, small, NOW).stats["pruning_lossless"]  # 6 < 3 + 3 + 3


def test_empty_inputs():
    assert assign_batch([], [volunteer()], P, NOW).filled == 0
    r = assign_batch([order(slots=2)], [], P, NOW)
    assert (r.filled, r.total_slots, r.fill_rate) == (0, 2, 0.0)


def test_brute_force_refuses_big_instances():
    os = [order(1, slots=30)]
    g = CandidateGraph.from_edges(os, [(1, v, 0.5, frozenset()) for v in range(30)], P)
    with pytest.raises(ValueError):
        solve_brute_force(g)


def test_solvers_agree_on_a_hand_checked_instance():
    os = [
        order(1, start=at(0), hours=1),
        order(2, start=at(0.5), hours=1),
        order(3, start=at(2), hours=1),
    ]
    edges = [
        (1, 10, 0.9, frozenset()),
        (2, 10, 0.7, frozenset()),
        (3, 10, 0.6, frozenset()),
        (2, 11, 0.3, frozenset()),
        (3, 11, 0.65, frozenset()),
    ]
    g = CandidateGraph.from_edges(os, edges, P)
    mask, filled, score = solve_brute_force(g)
    r = solve_graph(g, P)
    # 10 -> 1 (0.9), 11 -> 2 (0.3) and 11 -> 3 (0.65): order 2 is over, buffer included, when
    # order 3 starts, so 11 can serve both; 10 -> 3 instead would score only 0.6.
    assert (filled, score) == (3, 1_850_000)
    assert (r.filled, round(r.total_score * 1e6)) == (filled, score)
    assert np.array_equal(np.flatnonzero(mask), [0, 2, 4])  # edges sorted by (order, volunteer)


def test_skill_reserving_flow_staffs_multi_skill_orders_with_coverage():
    from matching.batch.flow import solve_flow

    o = order(1, skills={1, 2}, slots=2, cover_all_skills=True)
    edges = [
        (1, 10, 0.9, frozenset({1})),
        (1, 11, 0.8, frozenset({1})),
        (1, 12, 0.1, frozenset({2})),
    ]
    g = CandidateGraph.from_edges([o], edges, P)
    s = conflict_structure(g)
    plain = solve_flow(g, s.edge_group, s.n_groups)
    reserved = solve_flow(g, s.edge_group, s.n_groups, reserve_skills=True)
    assert np.flatnonzero(plain).tolist() == [0, 1]  # best scores, CPR twice: uncovered
    assert np.flatnonzero(reserved).tolist() == [0, 2]  # CPR + bandaging


def test_packed_exclusivity_sweep_matches_the_generic_one():
    from matching.batch.graph import _SHIFT, _exclusive_packed, exclusive_edges

    rng = np.random.default_rng(7)
    for n in (0, 1, 2, 50, 2000):
        vol = rng.integers(0, 40, n)
        start = rng.integers(0, 10_000, n)
        busy = start + rng.integers(1, 800, n)
        o = np.lexsort((start, vol))
        vol, start, busy = vol[o], start[o], busy[o]
        want = exclusive_edges(vol, start, busy, presorted=True)
        got = _exclusive_packed(vol.astype(np.int64) << _SHIFT, start, busy)
        assert np.array_equal(got, want)


def test_graph_build_restores_numpy_huge_page_advice():
    from matching.batch.graph import build_candidate_graph

    setter = np._core.multiarray._set_madvise_hugepage
    before = setter(True)
    try:
        build_candidate_graph([order(slots=1)], [volunteer(1)], P, NOW)
        assert setter(False) is True  # restored to what it was before the build
        build_candidate_graph([order(slots=1)], [volunteer(1)], P, NOW)
        assert setter(False) is False
    finally:
        setter(before)


def _components_by_search(n: int, a, b) -> list[int]:
    """Reference: depth-first search from each unvisited node in id order."""
    neighbours: list[list[int]] = [[] for _ in range(n)]
    for u, v in zip(a, b, strict=True):
        neighbours[u].append(v)
        neighbours[v].append(u)
    label = [-1] * n
    count = 0
    for start in range(n):
        if label[start] < 0:
            stack, label[start] = [start], count
            while stack:
                for w in neighbours[stack.pop()]:
                    if label[w] < 0:
                        label[w] = count
                        stack.append(w)
            count += 1
    return label


def test_connected_components_match_a_plain_search():
    from matching.batch.assign import connected_components

    rng = np.random.default_rng(3)
    for n, m in ((1, 0), (5, 0), (6, 3), (40, 30), (300, 200), (2000, 1900)):
        a, b = rng.integers(0, n, m), rng.integers(0, n, m)
        got = connected_components(n, a, b)
        assert got.tolist() == _components_by_search(n, a.tolist(), b.tolist())
    path = rng.permutation(5000)  # a long chain in shuffled ids: many hooking rounds
    assert connected_components(5000, path[:-1], path[1:]).tolist() == [0] * 5000
