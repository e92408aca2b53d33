"""Property-based checks of batch assignment on random small instances."""

from hypothesis import HealthCheck, assume, given, settings

from matching.batch import assign_batch, assign_greedy, build_candidate_graph, solve_brute_force
from matching.params import MatchParams
from tests.matching.batch_checks import violations
from tests.matching.factories import NOW
from tests.matching.strategies import orders, volunteers

P = MatchParams()
SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def optimum(os, vs, max_edges):
    """(filled, integer score) of the exhaustive optimum; instances past max_edges are skipped."""
    graph = build_candidate_graph(os, vs, P, NOW)
    assume(graph.n_edges <= max_edges)
    return solve_brute_force(graph)[1:]


def lexi(result):
    """(filled, integer score): fill first, then score."""
    return result.filled, round(result.total_score * 10**P.score_decimals)


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_batch_never_breaks_a_hard_rule_slot_or_time_conflict(vs, os):
    r = assign_batch(os, vs, P, NOW)
    assert violations(r, os, vs, P, NOW) == []


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_greedy_never_breaks_a_hard_rule_slot_or_time_conflict(vs, os):
    assert violations(assign_greedy(os, vs, P, NOW), os, vs, P, NOW) == []


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_heuristic_fallback_never_breaks_a_rule_and_respects_its_bound(vs, os):
    params = MatchParams(exact_max_edges=0)  # force the repair path wherever the flow is not enough
    r = assign_batch(os, vs, params, NOW)
    assert violations(r, os, vs, params, NOW) == []
    assert (r.filled, r.total_score) <= (r.upper_bound_filled, r.upper_bound_score + 1e-9)


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_batch_is_never_worse_than_greedy(vs, os):
    # "Worse" in the batch objective: fewer filled slots, or as many at a lower total score.
    batch, greedy = assign_batch(os, vs, P, NOW), assign_greedy(os, vs, P, NOW)
    assert lexi(batch) >= lexi(greedy)
    if batch.filled == greedy.filled:
        assert batch.total_score >= greedy.total_score - 1e-9


@given(volunteers(max_size=6), orders(max_size=4))
@SETTINGS
def test_batch_equals_the_brute_force_optimum(vs, os):
    filled, score = optimum(os, vs, 16)
    r = assign_batch(os, vs, P, NOW)
    assert lexi(r) == (filled, score)
    assert r.proven_optimal


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_same_input_same_output(vs, os):
    a = assign_batch(os, vs, P, NOW)
    b = assign_batch(list(reversed(os)), list(reversed(vs)), P, NOW)
    assert (a.assignments, a.total_score, a.proven_optimal) == (
        b.assignments,
        b.total_score,
        b.proven_optimal,
    )


@given(volunteers(max_size=4), orders(min_size=3, max_size=5, chain=True))
@SETTINGS
def test_batch_equals_the_brute_force_optimum_on_chains_of_overlaps(vs, os):
    filled, score = optimum(os, vs, 16)
    r = assign_batch(os, vs, P, NOW)
    assert lexi(r) == (filled, score)
    assert violations(r, os, vs, P, NOW) == []


@given(volunteers(max_size=8), orders(max_size=5))
@SETTINGS
def test_orders_that_require_cover_get_every_skill_covered_or_nobody(vs, os):
    for r in (assign_batch(os, vs, P, NOW), assign_greedy(os, vs, P, NOW)):
        held = {}
        v_skills = {v.id: v.skills for v in vs}
        for a in r.assignments:
            held.setdefault(a.order_id, set()).update(v_skills[a.volunteer_id])
        for o in os:
            if o.cover_all_skills and o.id in held:
                assert o.required_skills <= held[o.id]


def ub(result):
    return result.upper_bound_filled, round(result.upper_bound_score * 10**P.score_decimals)


@given(volunteers(max_size=6), orders(min_size=2, max_size=5, chain=True))
@SETTINGS
def test_tightened_bound_is_never_below_the_optimum_and_exact_when_proven(vs, os):
    filled, score = optimum(os, vs, 18)
    for params in (P, MatchParams(exact_max_edges=0), MatchParams(exact_work_limit=1e-4)):
        r = assign_batch(os, vs, params, NOW)
        assert ub(r) >= (filled, score) >= lexi(r)
        if r.proven_optimal:
            assert ub(r) == lexi(r)


@given(volunteers(max_size=8), orders(min_size=2, max_size=5, chain=True))
@SETTINGS
def test_refined_flow_has_no_time_conflict_and_respects_slots(vs, os):
    import numpy as np

    from matching.batch.conflicts import conflict_structure, conflicting_edges
    from matching.batch.flow import solve_flow
    from matching.batch.refine import refine_flow

    graph = build_candidate_graph(os, vs, P, NOW)
    s = conflict_structure(graph)
    relaxed = solve_flow(graph, s.edge_group, s.n_groups)
    out = refine_flow(graph, s, np.arange(graph.n_edges), relaxed)
    assert len(conflicting_edges(graph, out)) == 0
    assert (np.bincount(graph.edge_order[out], minlength=graph.n_orders) <= graph.slots).all()


@given(volunteers(max_size=8), orders(min_size=3, max_size=5, chain=True))
@SETTINGS
def test_window_improvement_never_worsens_and_keeps_every_rule(vs, os):
    # exact_max_edges=0 sends every unsettled component to the heuristic and the windows.
    params = MatchParams(exact_max_edges=0, improve_window_orders=2)
    r = assign_batch(os, vs, params, NOW)
    assert violations(r, os, vs, params, NOW) == []
    no_windows = assign_batch(os, vs, MatchParams(exact_max_edges=0, improve_work_budget=0), NOW)
    assert lexi(r) >= lexi(no_windows)
