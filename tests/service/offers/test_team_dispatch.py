"""志愿队接单: the leader of the order's team names who goes, or declines with a reason.

A team order is published to a team; its leader accepts by naming members (of that team, active,
available, not busy within the travel buffer, no more than the open slots, covering every
required skill) — all or nothing — or declines, which sends the order to the coordinator's
queue with a suggestion and tells the community's workers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import timedelta

import sqlalchemy as sa

from service.models import Event, Notification, Offer, Order, RoleAssignment, Team, TeamMember
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role, VolunteerStatus
from tests.factories import (
    bearer,
    make_api_token,
    make_area_tree,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)

_teams = itertools.count(1)


@dataclass
class TeamWorld:
    order_id: int
    team_id: int
    community_id: int
    auth: dict[str, dict[str, str]] = field(default_factory=dict)  # who → headers
    ids: dict[str, int] = field(default_factory=dict)  # who → volunteer id
    users: dict[str, int] = field(default_factory=dict)  # who → user id


async def _person(session, world: TeamWorld, who: str, community, skills, *roles):
    user = await make_user(session, name=who, roles=((Role.volunteer, None, None), *roles))
    volunteer = await make_volunteer(session, home_area=community, skills=skills, user=user)
    world.ids[who], world.users[who] = volunteer.id, user.id
    world.auth[who] = bearer(await make_api_token(session, user_id=user.id))
    return volunteer


async def _team(session, community, leader, members) -> Team:
    team = Team(
        name=f"芝罘应急志愿队{next(_teams)}",
        leader_volunteer_id=leader.id,
        base_area_id=community.id,
        base_lat=community.lat,
        base_lng=community.lng,
    )
    session.add(team)
    await session.flush()
    for member in (leader, *members):
        session.add(TeamMember(team_id=team.id, volunteer_id=member.id))
    session.add(RoleAssignment(user_id=leader.user_id, role=Role.team_leader, team_id=team.id))
    await session.flush()
    return team


async def _world(session, clock, *, slots: int = 2) -> TeamWorld:
    """Team 1: leader 队长 (心肺复苏) and 甲 (心肺复苏), 乙 (合理用药), 丙 (心肺复苏), 丁 (paused).

    Team 2 has its own leader 二队长; 路人 is a volunteer in no team; 张老师 works for the community.
    The order needs both skills and ``slots`` people, three days ahead, dispatched to team 1.
    """
    _, _, community = await make_area_tree(session)
    cpr = await make_skill(session, name="心肺复苏")
    medicine = await make_skill(session, name="合理用药")
    world = TeamWorld(order_id=0, team_id=0, community_id=community.id)
    leader = await _person(session, world, "队长", community, [cpr])
    members = [
        await _person(session, world, "甲", community, [cpr]),
        await _person(session, world, "乙", community, [medicine]),
        await _person(session, world, "丙", community, [cpr]),
        await _person(session, world, "丁", community, [cpr, medicine]),
    ]
    members[-1].status = VolunteerStatus.paused
    team = await _team(session, community, leader, members)
    other_leader = await _person(session, world, "二队长", community, [cpr, medicine])
    await _team(session, community, other_leader, [])
    await _person(session, world, "路人", community, [cpr, medicine])
    worker = await make_user(session, name="张老师", roles=((Role.worker, community.id, None),))
    world.users["张老师"] = worker.id
    world.auth["张老师"] = bearer(await make_api_token(session, user_id=worker.id))
    order = await make_order(
        session,
        community=community,
        starts_at=clock.now() + timedelta(days=3),
        skills=[cpr, medicine],
        slots=slots,
        dispatch_mode=DispatchMode.team,
        team_id=team.id,
        title="社区急救与安全用药",
    )
    world.order_id, world.team_id = order.id, team.id
    await session.commit()
    return world


async def _published(client, session, clock, **kwargs) -> TeamWorld:
    world = await _world(session, clock, **kwargs)
    response = await client.post(
        f"/api/v1/orders/{world.order_id}/publish", json={}, headers=world.auth["张老师"]
    )
    assert response.status_code == 200, response.text
    return world


async def _team_accept(client, world: TeamWorld, names, *, by="队长"):
    return await client.post(
        f"/api/v1/orders/{world.order_id}/team-accept",
        json={"member_ids": [world.ids[name] for name in names]},
        headers=world.auth[by],
    )


async def _order(session, order_id) -> Order:
    await session.rollback()  # a fresh snapshot (SQLite WAL keeps the old one per transaction)
    return await session.get(Order, order_id, populate_existing=True)


async def _events(session, order_id) -> list[tuple]:
    rows = await session.execute(
        sa.select(Event.entity, Event.from_status, Event.to_status, Event.actor_role, Event.reason)
        .where(Event.order_id == order_id)
        .order_by(Event.id)
    )
    return [tuple(row) for row in rows]


async def _notified(session, user_id, kind) -> list[Notification]:
    rows = await session.scalars(
        sa.select(Notification).where(Notification.user_id == user_id, Notification.kind == kind)
    )
    return list(rows)


async def _unchanged(session, world: TeamWorld) -> None:
    order = await _order(session, world.order_id)
    assert (order.status, order.accepted_count) == (OrderStatus.published, 0)
    offers = await session.scalar(
        sa.select(sa.func.count()).select_from(Offer).where(Offer.order_id == world.order_id)
    )
    assert offers == 0
    # The draft was arranged directly, so publishing is its only event.
    assert [e[:3] for e in await _events(session, world.order_id)] == [
        ("order", "draft", "published")
    ]


# ---------------------------------------------------------------- accept


async def test_leader_names_members_and_the_order_is_staffed(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    assert len(await _notified(session, world.users["队长"], "team_order")) == 1
    response = await _team_accept(client, world, ["甲", "乙"])
    assert response.status_code == 200, response.text
    offers = response.json()
    assert [(o["volunteer_id"], o["status"], o["team_id"]) for o in offers] == [
        (world.ids["甲"], "accepted", world.team_id),
        (world.ids["乙"], "accepted", world.team_id),
    ]
    order = await _order(session, world.order_id)
    assert (order.status, order.accepted_count) == (OrderStatus.staffed, 2)
    assert order.staffed_at is not None
    events = await _events(session, world.order_id)
    assert [e[:4] for e in events[1:]] == [
        ("offer", None, "accepted", "team_leader"),
        ("order", "published", "staffed", "team_leader"),
        ("offer", None, "accepted", "team_leader"),
    ]
    assert all("队长指派" in e[4] for e in events[1:] if e[0] == "offer")
    for name in ("甲", "乙"):
        [told] = await _notified(session, world.users[name], "team_assigned")
        assert told.payload["order_id"] == world.order_id
    # Sent again (a double tap): the same acceptances, nothing new written.
    again = await _team_accept(client, world, ["甲", "乙"])
    assert again.status_code == 200, again.text
    assert [o["id"] for o in again.json()] == [o["id"] for o in offers]
    assert len(await _events(session, world.order_id)) == len(events)


async def test_leader_can_staff_in_two_steps_and_skills_count_across_both(client, session, clock):
    world = await _published(client, session, clock, slots=3)
    first = await _team_accept(client, world, ["甲", "乙"])
    assert first.status_code == 200, first.text
    order = await _order(session, world.order_id)
    assert (order.status, order.accepted_count) == (OrderStatus.published, 2)
    # 丙 alone lacks 合理用药, but 乙 is already going: the team covers it.
    second = await _team_accept(client, world, ["丙"])
    assert second.status_code == 200, second.text
    order = await _order(session, world.order_id)
    assert (order.status, order.accepted_count) == (OrderStatus.staffed, 3)


REFUSED_CHOICES = [
    (["甲", "路人"], 422, "not_team_member", "不是本队队员"),
    (["甲", "乙", "丙"], 409, "too_many_members", "只剩 2 个名额"),
    (["甲", "丙"], 409, "skills_not_covered", "合理用药"),
    (["乙", "丁"], 409, "member_inactive", "丁"),
    (["甲", "甲"], 422, "bad_members", "不重复"),
]


async def test_leader_choices_that_break_a_rule_are_refused_and_change_nothing(
    client, session, clock
):
    world = await _published(client, session, clock, slots=2)
    for names, status, code, words in REFUSED_CHOICES:
        response = await _team_accept(client, world, names)
        assert response.status_code == status, (names, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == code and words in response.json()["detail"], names
        await _unchanged(session, world)


async def test_a_leader_does_not_learn_an_outsiders_name_from_the_refusal(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    for outsider in ("路人", "二队长"):  # in no team; in another team
        response = await _team_accept(client, world, ["甲", outsider])
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "not_team_member"
        assert problem["detail"] == f"该志愿者不是本队队员（编号 {world.ids[outsider]}）。"
        assert outsider not in response.text and "甲" not in response.text
        await _unchanged(session, world)


async def test_a_member_busy_within_the_travel_buffer_is_refused_by_name(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    order = await session.get(Order, world.order_id)
    busy = await make_order(
        session,
        community=await _community(session, world),
        starts_at=order.ends_at + timedelta(minutes=10),
        status=OrderStatus.staffed,
        accepted_count=1,
        title="青少年科学实验课",
    )
    session.add(
        Offer(
            order_id=busy.id,
            volunteer_id=world.ids["乙"],
            status=OfferStatus.accepted,
            offered_at=clock.now(),
        )
    )
    await session.commit()
    response = await _team_accept(client, world, ["甲", "乙"])
    assert response.status_code == 409, response.text
    problem = response.json()
    assert problem["code"] == "time_overlap"
    assert "队员「乙」" in problem["detail"] and "「青少年科学实验课」" in problem["detail"]
    await _unchanged(session, world)


async def _community(session, world: TeamWorld):
    from service.models import Area

    return await session.get(Area, world.community_id)


async def test_only_the_leader_of_that_team_may_accept_or_decline(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    decline = f"/api/v1/orders/{world.order_id}/team-decline"
    for who in ("二队长", "路人", "张老师"):  # another team's leader, a volunteer, the worker
        accepted = await _team_accept(client, world, ["甲", "乙"], by=who)
        assert accepted.status_code == 403, (who, accepted.text)
        declined = await client.post(decline, json={"reason": "不想去"}, headers=world.auth[who])
        assert declined.status_code == 403, (who, declined.text)
        await _unchanged(session, world)
        assert (await _order(session, world.order_id)).needs_attention_at is None


async def test_team_accept_on_an_order_not_dispatched_to_a_team_is_refused(client, session, clock):
    world = await _world(session, clock)
    await session.execute(
        sa.update(Order)
        .where(Order.id == world.order_id)
        .values(dispatch_mode=DispatchMode.open, team_id=None, status=OrderStatus.published)
    )
    await session.commit()
    response = await _team_accept(client, world, ["甲", "乙"])
    assert response.status_code == 409 and response.json()["code"] == "not_team_mode"


# ---------------------------------------------------------------- decline


async def test_leader_declines_and_the_order_goes_to_the_coordinator_queue(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    url = f"/api/v1/orders/{world.order_id}/team-decline"
    response = await client.post(url, json={"reason": "队员当天集训"}, headers=world.auth["队长"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "published" and body["needs_attention_at"] is not None
    assert "队员当天集训" in body["suggestion"]["text"] and "建议" in body["suggestion"]["text"]
    events = await _events(session, world.order_id)
    assert events[-1][:4] == ("order", "published", "published", "team_leader")
    assert "婉拒" in events[-1][4] and "队员当天集训" in events[-1][4]
    [told] = await _notified(session, world.users["张老师"], "order_needs_attention")
    assert "婉拒" in told.title and "队员当天集训" in told.body
    queue = await client.get("/api/v1/coordinator/queue", headers=world.auth["张老师"])
    assert [item["id"] for item in queue.json()["items"]] == [world.order_id]
    # Declining again is harmless: no second event, nobody told twice.
    again = await client.post(url, json={"reason": "再说一次"}, headers=world.auth["队长"])
    assert again.status_code == 200, again.text
    assert len(await _events(session, world.order_id)) == len(events)
    assert len(await _notified(session, world.users["张老师"], "order_needs_attention")) == 1


async def test_a_team_that_accepts_after_declining_leaves_the_queue(client, session, clock):
    world = await _published(client, session, clock, slots=3)
    url = f"/api/v1/orders/{world.order_id}/team-decline"
    await client.post(url, json={"reason": "人手不够"}, headers=world.auth["队长"])
    response = await _team_accept(client, world, ["甲", "乙"])
    assert response.status_code == 200, response.text
    order = await _order(session, world.order_id)
    assert (order.accepted_count, order.needs_attention_at, order.suggestion) == (2, None, None)


async def test_a_staffed_team_order_cannot_be_declined(client, session, clock):
    world = await _published(client, session, clock, slots=2)
    assert (await _team_accept(client, world, ["甲", "乙"])).status_code == 200
    response = await client.post(
        f"/api/v1/orders/{world.order_id}/team-decline",
        json={"reason": "临时有变"},
        headers=world.auth["队长"],
    )
    assert response.status_code == 409 and response.json()["code"] == "order_not_open"
