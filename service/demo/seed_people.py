"""Demo people: the fixed logins, ~300 volunteers with personas, teams, workers, coordinators."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from functools import lru_cache

from service.auth.passwords import hash_password_sync
from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from service.demo.people_data import GIVEN_CHARS, PERSONAS, SURNAMES, TEAMS, Persona
from service.demo.seed_places import jitter
from service.demo.seed_schedule import availability_for, blackout_days
from service.demo.world import DemoWorld
from service.models import (
    AvailabilityWindow,
    BlackoutDate,
    RoleAssignment,
    Team,
    TeamMember,
    User,
    Volunteer,
    VolunteerSkill,
)
from service.vocab import Role, UserStatus, VolunteerStatus

VOLUNTEER_COUNT = 300
RESIDENT_COUNT = 40
HOME_SPREAD_DEG = 0.006
RADII_KM = (3, 5, 5, 8, 8, 10, 12, 15)
PERSONA_BY_KEY = {persona.key: persona for persona in PERSONAS}


@lru_cache(maxsize=1)
def demo_password_hash() -> str:
    """The demo password hashed once per process: argon2 is slow, and every demo user shares it."""
    return hash_password_sync(DEMO_PASSWORD)


class NameMaker:
    """Deterministic Chinese names and unique mobile numbers."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.phones: set[str] = {phone for _role, phone in DEMO_LOGINS}
        self._surnames = [name for name, _ in SURNAMES]
        self._weights = [weight for _, weight in SURNAMES]

    def name(self) -> str:
        surname = self.rng.choices(self._surnames, self._weights)[0]
        given = self.rng.choice(GIVEN_CHARS)
        # A third of given names are one character, as in real life.
        return surname + (given[0] if self.rng.random() < 0.33 else given)

    def phone(self, prefix: str) -> str:
        while True:
            phone = f"{prefix}{self.rng.randrange(10**8):08d}"
            if phone not in self.phones:
                self.phones.add(phone)
                return phone


def past_moment(world: DemoWorld, *, min_days: int, max_days: int) -> datetime:
    """A whole-hour moment between ``min_days`` and ``max_days`` days before now."""
    days = world.rng.randint(min_days, max_days)
    return world.now_floor - timedelta(days=days, hours=world.rng.randint(0, 8))


def make_user(world: DemoWorld, names: NameMaker, *, phone: str, name: str | None = None) -> User:
    created = past_moment(world, min_days=30, max_days=700)
    return User(
        phone=phone,
        name=name or names.name(),
        password_hash=demo_password_hash(),
        status=UserStatus.active,
        created_at=created,
        last_active_at=past_moment(world, min_days=0, max_days=20),
    )


async def seed_staff(world: DemoWorld, names: NameMaker) -> None:
    """Admin, coordinators (district and street pairs), one or two workers per community."""
    phones = {role: phone for role, phone in DEMO_LOGINS}
    admin = make_user(world, names, phone=phones["admin"], name="平台管理员")
    district_coordinator = make_user(world, names, phone=phones["coordinator"], name="芝罘区科协")
    street_coordinators = [
        make_user(world, names, phone=names.phone("135")) for _ in range(len(world.streets) // 2)
    ]
    workers: list[tuple[User, int]] = []
    for index, community in enumerate(world.communities):
        phone = phones["worker"] if index == 0 else names.phone("136")
        workers.append((make_user(world, names, phone=phone), community.id))
        if world.rng.random() < 0.3:
            workers.append((make_user(world, names, phone=names.phone("136")), community.id))
    residents = [make_user(world, names, phone=names.phone("137")) for _ in range(RESIDENT_COUNT)]
    await world.insert(
        [admin, district_coordinator, *street_coordinators, *(u for u, _ in workers), *residents]
    )
    world.demo_users.update(admin=admin, coordinator=district_coordinator, worker=workers[0][0])
    world.residents = residents

    roles = [
        role_row(world, admin, Role.admin),
        role_row(world, district_coordinator, Role.coordinator, area_id=world.district.id),
    ]
    for index, coordinator in enumerate(street_coordinators):
        for street in world.streets[2 * index : 2 * index + 2]:
            roles.append(role_row(world, coordinator, Role.coordinator, area_id=street.id))
    for user, community_id in workers:
        roles.append(role_row(world, user, Role.worker, area_id=community_id))
        world.workers_of.setdefault(community_id, []).append(user)
    roles += [role_row(world, user, Role.resident) for user in residents]
    await world.insert(roles, need_ids=False)


def role_row(
    world: DemoWorld, user: User, role: Role, *, area_id: int | None = None, team_id=None
) -> RoleAssignment:
    return RoleAssignment(
        user_id=user.id, role=role, area_id=area_id, team_id=team_id, created_at=user.created_at
    )


def pick_skills(rng: random.Random, persona: Persona) -> list[str]:
    """1–4 skills, the persona's first skills most likely."""
    count = rng.choices((1, 2, 3, 4), (2, 4, 3, 2))[0]
    count = min(count, len(persona.skills))
    weights = [len(persona.skills) - i for i in range(len(persona.skills))]
    chosen: list[str] = []
    while len(chosen) < count:
        code = rng.choices(persona.skills, weights)[0]
        if code not in chosen:
            chosen.append(code)
    return chosen


async def seed_volunteers(world: DemoWorld, names: NameMaker) -> None:
    """Volunteers with homes near their community; the first two are the demo logins."""
    rng = world.rng
    phones = {role: phone for role, phone in DEMO_LOGINS}
    first = world.communities[0]
    plans: list[tuple[User, Persona, object, list[str], str]] = []
    for index in range(VOLUNTEER_COUNT):
        if index < 2:
            # The demo volunteer and the demo team leader: nurses in the first community.
            persona, community = PERSONA_BY_KEY["nurse"], first
            phone = phones["volunteer" if index == 0 else "team_leader"]
            # 慢病管理 too: a nurse teaches it, and the demo's open orders need it, so the demo
            # volunteer finds something on 附近可接.
            skills = [
                "emergency.cpr",
                "emergency.aed",
                "emergency.bandage",
                "health.medication",
                "health.chronic",
            ]
            status = VolunteerStatus.active
        else:
            persona = rng.choices(PERSONAS, [p.weight for p in PERSONAS])[0]
            community = rng.choice(world.communities)
            phone = names.phone("139")
            skills = pick_skills(rng, persona)
            status = rng.choices(
                (VolunteerStatus.active, VolunteerStatus.paused, VolunteerStatus.pending),
                (90, 6, 4),
            )[0]
        user = make_user(world, names, phone=phone)
        if status == VolunteerStatus.pending:
            user.status = UserStatus.pending
            user.last_active_at = None
        plans.append((user, persona, community, skills, status))
    await world.insert([plan[0] for plan in plans])

    volunteers = []
    for user, persona, community, _skills, status in plans:
        lat, lng = jitter(rng, community.lat, community.lng, HOME_SPREAD_DEG)
        volunteers.append(
            Volunteer(
                user_id=user.id,
                home_area_id=community.id,
                home_lat=lat,
                home_lng=lng,
                radius_km=15 if user.phone in phones.values() else rng.choice(RADII_KM),
                status=status,
                bio=persona.label,
                created_at=user.created_at,
            )
        )
    await world.insert(volunteers)

    links, windows, blackouts, roles = [], [], [], []
    for volunteer, (user, persona, _community, skills, _status) in zip(
        volunteers, plans, strict=True
    ):
        world.volunteers.append(volunteer)
        world.volunteer_user[volunteer.id] = user
        world.persona_of[volunteer.id] = persona.key
        skill_ids = {world.skills[code].id for code in skills}
        world.volunteer_skills[volunteer.id] = skill_ids
        links += [VolunteerSkill(volunteer_id=volunteer.id, skill_id=s) for s in sorted(skill_ids)]
        broad = user.phone in phones.values()
        for weekday, start, end in availability_for(rng, persona.age_band, broad=broad):
            windows.append(
                AvailabilityWindow(
                    volunteer_id=volunteer.id, weekday=weekday, start_minute=start, end_minute=end
                )
            )
        blackouts += [
            BlackoutDate(volunteer_id=volunteer.id, day=day)
            for day in blackout_days(rng, world.now, broad=broad)
        ]
        roles.append(role_row(world, user, Role.volunteer))
    await world.insert(links, need_ids=False)
    await world.insert(windows, need_ids=False)
    await world.insert(blackouts, need_ids=False)
    await world.insert(roles, need_ids=False)
    world.demo_users["volunteer"] = plans[0][0]
    world.demo_users["team_leader"] = plans[1][0]


async def seed_teams(world: DemoWorld) -> None:
    """The 志愿队: members drawn from matching personas; the leader also gets a team_leader role."""
    rng = world.rng
    active = [v for v in world.volunteers if v.status == VolunteerStatus.active]
    memberships: dict[int, int] = {}
    teams, member_lists = [], []
    for index, (name, persona_keys, street_serial) in enumerate(TEAMS):
        pool = [
            v
            for v in active[2:]
            if world.persona_of[v.id] in persona_keys and memberships.get(v.id, 0) < 2
        ]
        if len(pool) < 4:  # a rare persona: let anyone active join rather than a tiny team
            pool += [v for v in active[2:] if v not in pool][: 8 - len(pool)]
        members = rng.sample(pool, min(len(pool), rng.randint(4, 12)))
        if index == 0:
            members = [world.volunteers[1], world.volunteers[0], *members][:12]
        for member in members:
            memberships[member.id] = memberships.get(member.id, 0) + 1
        base = world.communities_of_street(street_serial)[0]
        teams.append(
            Team(
                name=name,
                leader_volunteer_id=members[0].id,
                base_area_id=base.id,
                base_lat=base.lat,
                base_lng=base.lng,
                created_at=past_moment(world, min_days=60, max_days=900),
            )
        )
        member_lists.append(members)
    await world.insert(teams)
    rows, roles = [], []
    for team, members in zip(teams, member_lists, strict=True):
        world.teams.append(team)
        world.team_members[team.id] = members
        rows += [
            TeamMember(team_id=team.id, volunteer_id=m.id, joined_at=team.created_at)
            for m in members
        ]
        leader = world.volunteer_user[team.leader_volunteer_id]
        roles.append(role_row(world, leader, Role.team_leader, team_id=team.id))
    await world.insert(rows, need_ids=False)
    await world.insert(roles, need_ids=False)


async def seed_people(world: DemoWorld) -> None:
    """Staff and residents, volunteers, then teams (whose leaders must already exist)."""
    names = NameMaker(world.rng)
    await seed_staff(world, names)
    await seed_volunteers(world, names)
    await seed_teams(world)
