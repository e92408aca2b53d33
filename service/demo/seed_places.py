"""The 芝罘区 area tree with saved venues, and the skill taxonomy."""

from __future__ import annotations

import random

from service.demo.skills_data import SKILL_DOMAINS, skill_code
from service.demo.world import DemoWorld
from service.demo.zhifu import (
    DISTRICT_CODE,
    DISTRICT_LAT,
    DISTRICT_LNG,
    DISTRICT_NAME,
    SCHOOL_VENUES,
    STREETS,
    VENUE_KINDS,
)
from service.models import Area, Skill, Venue
from service.vocab import AreaLevel

# Communities lie within ~1 km of their street's centroid; venues within ~300 m of the community.
COMMUNITY_SPREAD_DEG = 0.009
VENUE_SPREAD_DEG = 0.003


def jitter(rng: random.Random, lat: float, lng: float, spread: float) -> tuple[float, float]:
    """A point near (lat, lng), rounded to ~1 m like a map pick."""
    return (
        round(lat + rng.uniform(-spread, spread), 6),
        round(lng + rng.uniform(-spread, spread) * 1.25, 6),
    )


async def seed_areas(world: DemoWorld) -> None:
    """District → streets → communities, each level flushed so paths can use the parents' ids."""
    rng = world.rng
    district = Area(
        code=DISTRICT_CODE,
        name=DISTRICT_NAME,
        level=AreaLevel.district,
        path="",
        lat=DISTRICT_LAT,
        lng=DISTRICT_LNG,
    )
    await world.insert([district])
    district.path = f"/{district.id}/"
    world.district = district

    streets = [
        Area(
            code=data.code,
            name=data.name,
            level=AreaLevel.street,
            parent_id=district.id,
            path="",
            lat=data.lat,
            lng=data.lng,
        )
        for data in STREETS
    ]
    await world.insert(streets)
    for street in streets:
        street.path = f"{district.path}{street.id}/"
    world.streets = streets

    communities = []
    for street, data in zip(streets, STREETS, strict=True):
        for serial, name in enumerate(data.communities, start=1):
            lat, lng = jitter(rng, data.lat, data.lng, COMMUNITY_SPREAD_DEG)
            communities.append(
                Area(
                    code=f"{data.code[:9]}{serial:03d}",
                    name=name,
                    level=AreaLevel.community,
                    parent_id=street.id,
                    path="",
                    lat=lat,
                    lng=lng,
                )
            )
    await world.insert(communities)
    by_id = {street.id: street for street in streets}
    for community in communities:
        street = by_id[community.parent_id]
        community.path = f"{street.path}{community.id}/"
        world.street_of[community.id] = street
    world.communities = communities
    await world.session.flush()


async def seed_venues(world: DemoWorld) -> None:
    """A few saved places per community; some communities also host a school hall."""
    rng = world.rng
    roads = {street.name: data.roads for street, data in zip(world.streets, STREETS, strict=True)}
    venues: list[Venue] = []
    for community in world.communities:
        street = world.street_of[community.id]
        names = [
            kind.format(community=community.name)
            for kind, share in VENUE_KINDS
            if rng.random() < share
        ]
        if rng.random() < 0.3:
            school = rng.choice(SCHOOL_VENUES)
            names.append(school.format(street_short=street.name.removesuffix("街道")))
        for name in names:
            lat, lng = jitter(rng, community.lat, community.lng, VENUE_SPREAD_DEG)
            road = rng.choice(roads[street.name])
            address = f"烟台市芝罘区{street.name}{road}{rng.randint(1, 299)}号"
            venues.append(
                Venue(community_id=community.id, name=name, address=address, lat=lat, lng=lng)
            )
    await world.insert(venues)
    for venue in venues:
        world.venues_of.setdefault(venue.community_id, []).append(venue)


async def seed_skills(world: DemoWorld) -> None:
    """Domains first (their ids are the skills' parents), then the skills."""
    domains = [
        Skill(code=code, name=name, sort_order=index * 10)
        for index, (code, name, _skills) in enumerate(SKILL_DOMAINS)
    ]
    await world.insert(domains)
    skills = [
        Skill(
            code=skill_code(code, suffix),
            name=name,
            parent_id=domain.id,
            sort_order=domain.sort_order + position,
        )
        for domain, (code, _name, children) in zip(domains, SKILL_DOMAINS, strict=True)
        for position, (suffix, name) in enumerate(children, start=1)
    ]
    await world.insert(skills)
    world.skills = {skill.code: skill for skill in domains + skills}
