"""Score parts: each moves the right way, the total is their weighted sum, parts are explained."""

import math

import pytest

from matching import scoring
from matching.explain import explain_en, explain_zh
from matching.params import MatchParams, ScoreWeights
from matching.ranking import rank_candidates, score_candidate
from tests.matching.factories import CENTER, NOW, offset_km, order, volunteer

P = MatchParams()


def test_parts_are_between_zero_and_one_and_move_the_right_way():
    assert scoring.proximity_value(0, P) == 1
    assert scoring.proximity_value(P.proximity_half_km, P) == 0.5
    assert scoring.proximity_value(1, P) > scoring.proximity_value(2, P)
    assert scoring.fairness_value(0, P) == 1
    assert scoring.fairness_value(P.fairness_half_hours, P) == 0.5
    assert scoring.fairness_value(1, P) > scoring.fairness_value(10, P)
    assert scoring.skill_value(1, 2) == 0.5
    assert scoring.locality_value(True, True, P) == 1
    assert scoring.locality_value(False, True, P) == P.same_street_value
    assert scoring.locality_value(False, False, P) == 0


def test_reliability_rewards_completion_and_ratings_and_punishes_no_shows():
    base = float(scoring.reliability_value(10, 0, 4.5, 10, P))
    assert float(scoring.reliability_value(10, 3, 4.5, 10, P)) < base
    assert float(scoring.reliability_value(10, 0, 2.0, 10, P)) < base
    assert float(scoring.reliability_value(10, 0, 5.0, 10, P)) > base
    newcomer = float(scoring.reliability_value(0, 0, math.nan, 0, P))
    assert 0 < newcomer < 1  # the priors, neither punished nor perfect


def test_total_is_the_weighted_sum_rounded():
    w = ScoreWeights(skill=1, distance=2, fairness=0, reliability=0, locality=0)
    params = MatchParams(weights=w, score_decimals=3)
    assert float(scoring.total_score(0.5, 0.12345, 1, 1, 1, params)) == 0.747


def test_candidate_score_equals_the_sum_of_part_contributions():
    c = score_candidate(
        volunteer(recent_hours=3, completed=5, community_id=1), order(community_id=1), now=NOW
    )
    assert c is not None
    assert c.score == pytest.approx(sum(p.contribution for p in c.parts), abs=1e-6)
    assert [p.code for p in c.parts] == ["skill", "distance", "fairness", "reliability", "locality"]


def test_closer_volunteer_ranks_first_all_else_equal():
    near = volunteer(1, lat=offset_km(*CENTER, north_km=1)[0])
    far = volunteer(2, lat=offset_km(*CENTER, north_km=4)[0])
    assert [c.volunteer_id for c in rank_candidates(order(), [far, near], now=NOW)] == [1, 2]


def test_volunteer_with_less_recent_work_ranks_first():
    busy, fresh = volunteer(1, recent_hours=30), volunteer(2, recent_hours=0)
    assert [c.volunteer_id for c in rank_candidates(order(), [busy, fresh], now=NOW)] == [2, 1]


def test_more_reliable_volunteer_ranks_first():
    flaky = volunteer(1, completed=5, no_shows=4)
    solid = volunteer(2, completed=20, rating_avg=4.9, rating_count=10)
    assert [c.volunteer_id for c in rank_candidates(order(), [flaky, solid], now=NOW)] == [2, 1]


def test_same_community_beats_same_street_beats_elsewhere():
    vs = [volunteer(1), volunteer(2, street_id=5), volunteer(3, community_id=9, street_id=5)]
    ranked = rank_candidates(order(community_id=9, street_id=5), vs, now=NOW)
    assert [c.volunteer_id for c in ranked] == [3, 2, 1]


def test_covering_more_required_skills_ranks_first():
    vs = [volunteer(1, skills={1}), volunteer(2, skills={1, 2})]
    assert [c.volunteer_id for c in rank_candidates(order(skills={1, 2}), vs, now=NOW)] == [2, 1]


def test_weights_change_the_ranking():
    near_busy = volunteer(1, lat=offset_km(*CENTER, north_km=0.5)[0], recent_hours=40)
    far_fresh = volunteer(2, lat=offset_km(*CENTER, north_km=6)[0])
    only_distance = MatchParams(weights=ScoreWeights(1, 1, 0, 0, 0))
    only_fairness = MatchParams(weights=ScoreWeights(0, 0, 1, 0, 0))
    assert (
        rank_candidates(order(), [near_busy, far_fresh], params=only_distance, now=NOW)[
            0
        ].volunteer_id
        == 1
    )
    assert (
        rank_candidates(order(), [near_busy, far_fresh], params=only_fairness, now=NOW)[
            0
        ].volunteer_id
        == 2
    )


def test_equal_scores_are_ordered_by_id():
    vs = [volunteer(i) for i in (5, 3, 9, 1)]
    assert [c.volunteer_id for c in rank_candidates(order(), vs, now=NOW)] == [1, 3, 5, 9]


def test_parts_carry_the_raw_facts_pages_render():
    lat, lng = offset_km(*CENTER, north_km=2.3)
    v = volunteer(
        lat=lat,
        lng=lng,
        skills={1, 4},
        activities_this_month=3,
        recent_hours=6,
        no_shows=1,
        completed=9,
        rating_avg=4.8,
        rating_count=5,
        community_id=2,
    )
    c = score_candidate(v, order(skills={1, 2}, community_id=2), now=NOW)
    assert c.part("skill").detail == {"matched_skill_ids": [1], "required_skill_ids": [1, 2]}
    assert c.part("distance").detail["distance_km"] == pytest.approx(2.3, abs=0.02)
    assert c.part("fairness").detail["activities_this_month"] == 3
    assert c.part("reliability").detail["no_shows"] == 1
    assert c.part("reliability").detail["completion_rate"] == pytest.approx(0.9)
    assert c.part("locality").detail["same_community"] is True


def test_explain_zh_reads_like_the_spec():
    lat, lng = offset_km(*CENTER, north_km=2.3)
    c = score_candidate(volunteer(lat=lat, lng=lng, activities_this_month=3), order(), now=NOW)
    assert explain_zh(c, {1: "心肺复苏"}) == "2.3 km · 心肺复苏 ✓ · 本月已服务 3 次"
    assert explain_en(c, {1: "CPR"}) == "2.3 km · CPR ✓ · 3 activities this month"


def test_explain_zh_mentions_missing_skills_locality_and_history():
    v = volunteer(skills={1}, community_id=4, no_shows=2, rating_avg=4.25, rating_count=3)
    c = score_candidate(v, order(skills={1, 2}, community_id=4), now=NOW)
    text = explain_zh(c, {1: "心肺复苏", 2: "急救包扎"})
    assert text == "0.0 km · 心肺复苏 ✓ · 急救包扎 ✗ · 本月尚未服务 · 同社区 · 爽约 2 次 · 评分 4.2"
