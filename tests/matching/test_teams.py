"""Team ranking: skills are the union of available members', distance is from the base."""

from datetime import timedelta

from matching.eligibility import TOO_FAR
from matching.explain import explain_zh
from matching.teams import (
    NOT_ENOUGH_MEMBERS,
    SKILLS_NOT_COVERED,
    TEAM_INACTIVE,
    check_team_eligibility,
    rank_teams,
)
from matching.types import Commitment, TeamSnapshot
from tests.matching.factories import CENTER, MONDAY_10_LOCAL, NOW, offset_km, order, volunteer


def team(id=1, *, members=None, km=0.0, **kwargs):
    lat, lng = offset_km(*CENTER, north_km=km)
    members = (
        members
        if members is not None
        else (volunteer(10 * id + 1, skills={1}), volunteer(10 * id + 2, skills={2}))
    )
    return TeamSnapshot(id=id, base_lat=lat, base_lng=lng, members=tuple(members), **kwargs)


def test_team_skills_are_the_union_of_members():
    assert team().skills == {1, 2}
    assert check_team_eligibility(team(), order(skills={1, 2}, slots=2), now=NOW) == []


def test_team_missing_a_required_skill_is_not_eligible():
    assert check_team_eligibility(team(), order(skills={1, 3}), now=NOW) == [SKILLS_NOT_COVERED]


def test_busy_member_does_not_count_towards_skills_or_slots():
    busy = Commitment(7, MONDAY_10_LOCAL, MONDAY_10_LOCAL + timedelta(hours=1))
    members = (volunteer(1, skills={1}), volunteer(2, skills={2}, commitments=(busy,)))
    reasons = check_team_eligibility(team(members=members), order(skills={1, 2}, slots=2), now=NOW)
    assert reasons == [NOT_ENOUGH_MEMBERS, SKILLS_NOT_COVERED]


def test_distance_is_measured_from_the_team_base_not_member_homes():
    far_members = (volunteer(1, lat=CENTER[0] + 1, radius_km=1, skills={1}),)
    assert check_team_eligibility(team(members=far_members, km=2), order(), now=NOW) == []
    assert check_team_eligibility(team(km=12), order(max_distance_km=10), now=NOW) == [TOO_FAR]
    assert check_team_eligibility(team(km=6, radius_km=5), order(), now=NOW) == [TOO_FAR]


def test_inactive_team():
    assert TEAM_INACTIVE in check_team_eligibility(team(active=False), order(), now=NOW)


def test_rank_teams_prefers_close_fresh_local_teams_and_breaks_ties_by_id():
    teams = [
        team(1, km=6),
        team(2, km=1),
        team(3, km=1, community_id=5),
        team(4, km=1),
        team(
            5,
            km=1,
            members=(
                volunteer(51, skills={1}, recent_hours=10),
                volunteer(52, skills={2}, recent_hours=10),
            ),
        ),
        team(6, km=20),
    ]
    ranked = rank_teams(order(skills={1}, community_id=5), teams, now=NOW)
    assert [t.team_id for t in ranked] == [3, 2, 4, 5, 1]
    assert ranked[0].available_member_ids == (31, 32)


def test_team_candidate_explains_itself():
    ranked = rank_teams(order(skills={1, 2}, slots=2), [team(km=2.3)], now=NOW)
    assert (
        explain_zh(ranked[0], {1: "心肺复苏", 2: "急救包扎"})
        == "2.3 km · 心肺复苏 ✓ · 急救包扎 ✓ · 本月尚未服务"
    )
