"""Every query of the admin data pages and the volunteer import.

The import reads its look-ups in a few set-shaped queries (all communities, all skills, the
phones of the file that already have accounts) and writes in bulk statements: a 10k-row file
costs a handful of round trips, never one per row.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from service.models import (
    Area,
    AuditEntry,
    Order,
    OrderSkill,
    RoleAssignment,
    Skill,
    User,
    Venue,
    Volunteer,
    VolunteerSkill,
)
from service.vocab import AreaLevel, Role

# Well below asyncpg's 32,767 bind parameters per statement.
CHUNK = 5_000
# Core tables, not ORM entities: the import's bulk inserts skip the ORM's per-row bookkeeping
# (measured in bench/import_volunteers.py).
_users, _volunteers = User.__table__, Volunteer.__table__


# ---------------------------------------------------------------- areas


async def all_areas(*, session: AsyncSession) -> list[Area]:
    """The whole tree, parents before children (path order), for the tree page and imports."""
    return list(await session.scalars(sa.select(Area).order_by(Area.path)))


async def area_counts(*, session: AsyncSession) -> dict[int, tuple[int, int]]:
    """Area id → (volunteers living there, venues there), aggregated in SQL."""
    volunteers = await session.execute(
        sa.select(Volunteer.home_area_id, sa.func.count()).group_by(Volunteer.home_area_id)
    )
    venues = await session.execute(
        sa.select(Venue.community_id, sa.func.count()).group_by(Venue.community_id)
    )
    counts: dict[int, tuple[int, int]] = {}
    for area_id, n in volunteers.all():
        counts[area_id] = (n, 0)
    for area_id, n in venues.all():
        counts[area_id] = (counts.get(area_id, (0, 0))[0], n)
    return counts


async def add_area(
    *, session: AsyncSession, code: str, name: str, level: str, parent: Area | None, lat: float,
    lng: float,
) -> Area:  # fmt: skip
    """A new node under ``parent``; its materialized path needs its id, hence two flushes."""
    area = Area(code=code, name=name, level=level, parent_id=parent.id if parent else None,
                path="", lat=lat, lng=lng)  # fmt: skip
    session.add(area)
    await session.flush()
    area.path = f"{parent.path if parent else '/'}{area.id}/"
    await session.flush()
    return area


async def rename_area(*, session: AsyncSession, area_id: int, name: str) -> None:
    await session.execute(sa.update(Area).where(Area.id == area_id).values(name=name))


async def area_by_id(*, session: AsyncSession, area_id: int) -> Area | None:
    return await session.get(Area, area_id)


async def areas_by_ids(*, session: AsyncSession, area_ids: Iterable[int]) -> dict[int, Area]:
    ids = list(set(area_ids))
    if not ids:
        return {}
    rows = await session.scalars(sa.select(Area).where(Area.id.in_(ids)))
    return {area.id: area for area in rows}


async def centroid_box(
    *, session: AsyncSession, path_prefix: str
) -> tuple[float, float, float, float] | None:
    """(min lat, max lat, min lng, max lng) of the centroids under a subtree."""
    row = (
        await session.execute(
            sa.select(
                sa.func.min(Area.lat), sa.func.max(Area.lat),
                sa.func.min(Area.lng), sa.func.max(Area.lng),
            ).where(Area.path.startswith(path_prefix))
        )
    ).one()  # fmt: skip
    return None if row[0] is None else tuple(row)  # type: ignore[return-value]


async def communities(*, session: AsyncSession, scope: sa.Select | None = None) -> list[Area]:
    """Communities (optionally only those in ``scope``, a select of area ids), by path."""
    statement = sa.select(Area).where(Area.level == AreaLevel.community).order_by(Area.path)
    if scope is not None:
        statement = statement.where(Area.id.in_(scope))
    return list(await session.scalars(statement))


# ---------------------------------------------------------------- skills


async def all_skills(*, session: AsyncSession) -> list[Skill]:
    """The taxonomy, retired skills included, in display order."""
    return list(await session.scalars(sa.select(Skill).order_by(Skill.sort_order, Skill.id)))


async def skill_by_id(*, session: AsyncSession, skill_id: int) -> Skill | None:
    return await session.get(Skill, skill_id)


async def skill_usage(*, session: AsyncSession) -> dict[int, tuple[int, int]]:
    """Skill id → (volunteers holding it, orders asking for it): the history a rename keeps."""
    held = await session.execute(
        sa.select(VolunteerSkill.skill_id, sa.func.count()).group_by(VolunteerSkill.skill_id)
    )
    asked = await session.execute(
        sa.select(OrderSkill.skill_id, sa.func.count()).group_by(OrderSkill.skill_id)
    )
    usage: dict[int, tuple[int, int]] = {}
    for skill_id, n in held.all():
        usage[skill_id] = (n, 0)
    for skill_id, n in asked.all():
        usage[skill_id] = (usage.get(skill_id, (0, 0))[0], n)
    return usage


async def skill_code_taken(*, session: AsyncSession, code: str) -> bool:
    return (await session.scalar(sa.select(Skill.id).where(Skill.code == code))) is not None


async def add_skill(
    *, session: AsyncSession, code: str, name: str, parent_id: int | None, sort_order: int
) -> Skill:
    skill = Skill(code=code, name=name, parent_id=parent_id, sort_order=sort_order)
    session.add(skill)
    await session.flush()
    return skill


async def next_sort_order(*, session: AsyncSession, parent_id: int | None) -> int:
    condition = Skill.parent_id.is_(None) if parent_id is None else Skill.parent_id == parent_id
    found = await session.scalar(sa.select(sa.func.max(Skill.sort_order)).where(condition))
    return (found or 0) + 10


async def set_skills_active(
    *, session: AsyncSession, skill_ids: Sequence[int], active: bool
) -> None:
    await session.execute(sa.update(Skill).where(Skill.id.in_(skill_ids)).values(active=active))


# ---------------------------------------------------------------- venues


async def venues(
    *, session: AsyncSession, scope: sa.Select | None, community_id: int | None, limit: int,
    offset: int,
) -> tuple[list[tuple[Venue, Area]], int]:  # fmt: skip
    """One page of venues with their community, in the actor's scope, by community then name;
    and how many there are in all."""
    condition = sa.true()
    if scope is not None:
        condition = sa.and_(condition, Venue.community_id.in_(scope))
    if community_id is not None:
        condition = sa.and_(condition, Venue.community_id == community_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Venue).where(condition))
    statement = (
        sa.select(Venue, Area)
        .join(Area, Area.id == Venue.community_id)
        .where(condition)
        .order_by(Area.path, Venue.name, Venue.id)
        .limit(limit)
        .offset(offset)
    )
    return [(venue, area) for venue, area in (await session.execute(statement)).all()], total


async def venue_by_id(*, session: AsyncSession, venue_id: int) -> Venue | None:
    return await session.get(Venue, venue_id)


async def venue_orders(*, session: AsyncSession, venue_id: int) -> int:
    """How many orders were placed at the venue (their copies of the address stay as they were)."""
    return await session.scalar(
        sa.select(sa.func.count()).select_from(Order).where(Order.venue_id == venue_id)
    )


# ---------------------------------------------------------------- the volunteer import


async def phones_with_accounts(*, session: AsyncSession, phones: Sequence[str]) -> set[str]:
    """Which of ``phones`` already belong to a user (chunked under the bind-parameter limit)."""
    found: set[str] = set()
    for start in range(0, len(phones), CHUNK):
        chunk = list(phones[start : start + CHUNK])
        found.update(await session.scalars(sa.select(User.phone).where(User.phone.in_(chunk))))
    return found


async def insert_volunteers(
    *, session: AsyncSession, people: Sequence[dict], now: datetime, actor_user_id: int | None,
    import_id: str,
) -> int:  # fmt: skip
    """Create users, their volunteer role, profiles and skills, and one audit entry each, in bulk
    (``insertmanyvalues``: a statement per thousand rows). ``people`` are checked rows."""
    if not people:
        return 0
    user_rows = [
        {"phone": p["phone"], "name": p["name"], "password_hash": None, "status": p["user_status"],
         "created_at": now, "large_text": False}
        for p in people
    ]  # fmt: skip
    user_ids: dict[str, int] = {}
    for start in range(0, len(user_rows), CHUNK):
        result = await session.execute(
            _users.insert().returning(_users.c.id, _users.c.phone), user_rows[start : start + CHUNK]
        )
        user_ids.update({phone: user_id for user_id, phone in result.all()})
    await session.execute(
        RoleAssignment.__table__.insert(),
        [{"user_id": user_ids[p["phone"]], "role": Role.volunteer, "area_id": None,
          "team_id": None, "created_at": now} for p in people],
    )  # fmt: skip
    volunteer_rows = [
        {"user_id": user_ids[p["phone"]], "home_area_id": p["community_id"], "home_lat": p["lat"],
         "home_lng": p["lng"], "radius_km": p["radius_km"], "status": p["volunteer_status"],
         "bio": p["bio"], "completed_count": 0, "no_show_count": 0, "rating_count": 0,
         "created_at": now}
        for p in people
    ]  # fmt: skip
    volunteer_ids: dict[int, int] = {}
    for start in range(0, len(volunteer_rows), CHUNK):
        result = await session.execute(
            _volunteers.insert().returning(_volunteers.c.id, _volunteers.c.user_id),
            volunteer_rows[start : start + CHUNK],
        )
        volunteer_ids.update({user_id: vid for vid, user_id in result.all()})
    skill_rows = [
        {"volunteer_id": volunteer_ids[user_ids[p["phone"]]], "skill_id": skill_id}
        for p in people
        for skill_id in p["skill_ids"]
    ]
    if skill_rows:
        await session.execute(VolunteerSkill.__table__.insert(), skill_rows)
    await session.execute(
        AuditEntry.__table__.insert(),
        [{"at": now, "action": "user_created", "actor_user_id": actor_user_id,
          "target_user_id": user_ids[p["phone"]], "ip": None,
          "detail": {"import": import_id, "row": p["row"],
                     "volunteer_id": volunteer_ids[user_ids[p["phone"]]]}}
         for p in people],
    )  # fmt: skip
    return len(people)


COUNTED_TABLES = (User, RoleAssignment, Volunteer, VolunteerSkill, AuditEntry, Area, Skill, Venue)


async def table_counts(*, session: AsyncSession) -> dict[str, int]:
    """Row counts of the tables an import or a taxonomy change could touch (tests, the CLI)."""
    counts = {}
    for model in COUNTED_TABLES:
        table = model.__table__
        counts[table.name] = await session.scalar(sa.select(sa.func.count()).select_from(table))
    return counts
