"""A small world with one actor per role, each with objects of their own and foreign ones.

Street 1 (communities C1, C2) is "ours"; street 2 (community C3) is "foreign". Every scoped
actor of ours (worker of C1, coordinator of street 1, volunteer living in C1, leader of team 1)
has a counterpart in street 2, so every object exists in an own and a foreign version.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from service.models import (
    Certificate,
    Demand,
    DispatchPlan,
    Notification,
    Offer,
    RatingCode,
    RoleAssignment,
    Team,
    TeamMember,
    User,
    Volunteer,
)
from service.tokens import hash_secret, new_secret
from service.vocab import (
    AreaLevel,
    DispatchMode,
    OfferStatus,
    OrderStatus,
    Role,
    VolunteerStatus,
)
from tests.factories import make_area, make_order, make_skill, make_user, make_volunteer
from tests.service.auth.helpers import PASSWORD_HASH

ROLES = ("anonymous", "resident", "worker", "volunteer", "team_leader", "coordinator", "admin")
# The volunteer whose personal data must never leak: a distinctive phone and exact home.
_worlds = itertools.count(1)
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # rating codes: 6 of these
VICTIM_LAT, VICTIM_LNG = 37.5412345, 121.4056789
VICTIM_COORDINATE_MARKERS = ("37.54123", "121.40567")
DEMAND_PHONE = "13700001111"  # a resident's contact on every demand


@dataclass
class World:
    users: dict[str, User] = field(default_factory=dict)  # role → acting user
    foreign_users: dict[str, User] = field(default_factory=dict)  # role → street-2 counterpart
    ids: dict[str, int] = field(default_factory=dict)  # named objects
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    number: int = field(default_factory=lambda: next(_worlds))

    @property
    def victim_phone(self) -> str:
        return f"1391234{self.number:04d}"


async def _team(session, name: str, leader: Volunteer, area, members: list[Volunteer]) -> Team:
    team = Team(
        name=name,
        leader_volunteer_id=leader.id,
        base_area_id=area.id,
        base_lat=area.lat,
        base_lng=area.lng,
    )
    session.add(team)
    await session.flush()
    for member in members:
        session.add(TeamMember(team_id=team.id, volunteer_id=member.id))
    await session.flush()
    return team


async def _side(session: AsyncSession, world: World, *, suffix: str, street, community, now):
    """Actors and objects of one street; suffix "" is ours, "2" the foreign side."""
    users = world.users if not suffix else world.foreign_users
    ids = world.ids
    skill = await make_skill(session, name=f"心肺复苏{suffix}")
    victim = not suffix
    volunteer_user = await make_user(
        session,
        name=f"志愿者{suffix}",
        phone=world.victim_phone if victim else None,
        password_hash=PASSWORD_HASH,
        roles=((Role.volunteer, None, None),),
    )
    volunteer = await make_volunteer(
        session,
        home_area=community,
        skills=[skill],
        user=volunteer_user,
        lat=VICTIM_LAT if victim else community.lat,
        lng=VICTIM_LNG if victim else community.lng,
    )
    leader_user = await make_user(
        session,
        name=f"队长{suffix}",
        password_hash=PASSWORD_HASH,
        roles=((Role.volunteer, None, None),),
    )
    leader_volunteer = await make_volunteer(session, home_area=community, user=leader_user)
    team = await _team(
        session,
        f"志愿队{world.number}-{suffix or '1'}",
        leader_volunteer,
        community,
        [leader_volunteer, volunteer],
    )
    session.add(RoleAssignment(user_id=leader_user.id, role=Role.team_leader, team_id=team.id))
    users["volunteer"], users["team_leader"] = volunteer_user, leader_user
    world.volunteers[f"volunteer{suffix}"] = volunteer
    world.volunteers[f"leader{suffix}"] = leader_volunteer
    users["worker"] = await make_user(
        session,
        name=f"社区工作者{suffix}",
        password_hash=PASSWORD_HASH,
        roles=((Role.worker, community.id, None),),
    )
    users["coordinator"] = await make_user(
        session,
        name=f"协调员{suffix}",
        password_hash=PASSWORD_HASH,
        roles=((Role.coordinator, street.id, None),),
    )
    users["resident"] = await make_user(
        session,
        name=f"居民{suffix}",
        password_hash=PASSWORD_HASH,
        roles=((Role.resident, None, None),),
    )
    order = await make_order(
        session,
        community=community,
        starts_at=now + timedelta(days=3),
        skills=[skill],
        slots=2,
        status=OrderStatus.published,
        published_at=now,
        accept_deadline=now + timedelta(days=2),
    )
    # Dispatched to this side's team: the order its leader answers for the team (and may read).
    team_order = await make_order(
        session,
        community=community,
        starts_at=now + timedelta(days=4),
        skills=[skill],
        slots=1,
        status=OrderStatus.published,
        published_at=now,
        accept_deadline=now + timedelta(days=3),
        dispatch_mode=DispatchMode.team,
        team_id=team.id,
    )
    offer = Offer(
        order_id=order.id,
        volunteer_id=volunteer.id,
        status=OfferStatus.offered,
        offered_at=now,
        expires_at=now + timedelta(hours=12),
    )
    leader_offer = Offer(
        order_id=order.id,
        volunteer_id=leader_volunteer.id,
        status=OfferStatus.offered,
        offered_at=now,
        expires_at=now + timedelta(hours=12),
    )
    demand = Demand(
        community_id=community.id,
        skill_id=skill.id,
        topic=f"防诈骗讲座{suffix}",
        target_group="elderly",
        contact_name="王阿姨",
        contact_phone=DEMAND_PHONE,
        created_at=now,
        updated_at=now,
    )
    code = RatingCode(order_id=order.id, code="".join(random.choices(CODE_ALPHABET, k=6)))
    session.add_all([offer, leader_offer, demand, code])
    pending_user = await make_user(
        session,
        name=f"待审核{suffix}",
        password_hash=PASSWORD_HASH,
        roles=((Role.volunteer, None, None),),
    )
    pending_user.status = "pending"
    pending = Volunteer(
        user_id=pending_user.id,
        home_area_id=community.id,
        home_lat=community.lat,
        home_lng=community.lng,
        status=VolunteerStatus.pending,
    )
    session.add(pending)
    # A saved 一键派单 plan of the street (nothing in it: the routes only need one to exist).
    plan = DispatchPlan(area_id=street.id, period_from=now.date(), period_to=now.date(),
                        created_at=now, totals={"batch": {"filled": 0, "slots": 0}})  # fmt: skip
    session.add(plan)
    await session.flush()
    ids[f"plan{suffix}"] = plan.id
    # 志愿服务记录证明 of the volunteer and of the leader (the routes only need them to exist).
    for key, owner in (("certificate", volunteer), ("leader_certificate", leader_volunteer)):
        certificate = Certificate(
            token=new_secret(12), volunteer_id=owner.id, period_from=now.date(),
            period_to=now.date(), volunteer_name=f"志愿者{suffix}", total_hours=1.0,
            activity_count=1, fingerprint="0" * 64, issuer="科协", issued_on=now.date(),
            issued_at=now,
            lines=[{"day": now.date().isoformat(), "title": "讲座", "community": "社区", "hours": 1.0}],
        )  # fmt: skip
        session.add(certificate)
        await session.flush()
        certificate.serial = f"KP-{now.year}-{certificate.id:06d}"
        ids[f"{key}{suffix}"] = certificate.serial  # type: ignore[assignment]
        ids[f"{key}_token{suffix}"] = certificate.token  # type: ignore[assignment]
    ids.update(
        {
            f"community{suffix}": community.id,
            f"street{suffix}": street.id,
            f"order{suffix}": order.id,
            f"team_order{suffix}": team_order.id,
            f"offer{suffix}": offer.id,
            f"leader_offer{suffix}": leader_offer.id,
            f"demand{suffix}": demand.id,
            f"team{suffix}": team.id,
            f"skill{suffix}": skill.id,
            f"pending_volunteer{suffix}": pending.id,
            f"code{suffix}": code.id,
        }
    )
    world.ids[f"code_text{suffix}"] = code.code  # type: ignore[assignment]


async def build_world(session: AsyncSession, *, now: datetime) -> World:
    """Both streets, an admin, and a notification per user; committed."""
    world = World()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street1 = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    street2 = await make_area(session, level=AreaLevel.street, parent=district, name="东山街道")
    community1 = await make_area(
        session, level=AreaLevel.community, parent=street1, name="一号社区"
    )
    await make_area(session, level=AreaLevel.community, parent=street1, name="二号社区")
    community3 = await make_area(
        session, level=AreaLevel.community, parent=street2, name="三号社区"
    )
    await _side(session, world, suffix="", street=street1, community=community1, now=now)
    await _side(session, world, suffix="2", street=street2, community=community3, now=now)
    world.ids["district"] = district.id
    # The volunteer's calendar feed (/calendar/{key}.ics): a public address known by its key.
    world.ids["calendar_key"] = new_secret(24)  # type: ignore[assignment]
    world.volunteers["volunteer"].calendar_key_digest = hash_secret(world.ids["calendar_key"])
    world.users["admin"] = await make_user(
        session, name="管理员", password_hash=PASSWORD_HASH, roles=((Role.admin, None, None),)
    )
    for user in [*world.users.values(), *world.foreign_users.values()]:
        session.add(Notification(user_id=user.id, kind="test", title="通知", created_at=now))
    await session.commit()
    return world
