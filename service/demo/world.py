"""The state shared by the demo builders: session, seeded RNG, ``now``, and what was made so far."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import SQLModel

from service.demo.timing import floor_half_hour
from service.models import Area, Event, Notification, Skill, Team, User, Venue, Volunteer
from service.notifications.texts import remember_texts

SEED = 20260512  # 防灾减灾日: any fixed number would do; the demo must be reproducible


@dataclass
class DemoWorld:
    """Everything the builders read and extend, in insertion order (ids come from the database)."""

    session: AsyncSession
    now: datetime
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))
    counts: Counter = field(default_factory=Counter)
    district: Area | None = None
    streets: list[Area] = field(default_factory=list)
    communities: list[Area] = field(default_factory=list)
    street_of: dict[int, Area] = field(default_factory=dict)  # community id → street
    venues_of: dict[int, list[Venue]] = field(default_factory=dict)  # community id → venues
    skills: dict[str, Skill] = field(default_factory=dict)  # code → skill (domains too)
    volunteers: list[Volunteer] = field(default_factory=list)
    volunteer_user: dict[int, User] = field(default_factory=dict)  # volunteer id → user
    persona_of: dict[int, str] = field(default_factory=dict)  # volunteer id → persona key
    volunteer_skills: dict[int, set[int]] = field(default_factory=dict)  # volunteer id → skill ids
    teams: list[Team] = field(default_factory=list)
    team_members: dict[int, list[Volunteer]] = field(default_factory=dict)
    workers_of: dict[int, list[User]] = field(default_factory=dict)  # community id → workers
    residents: list[User] = field(default_factory=list)
    demo_users: dict[str, User] = field(default_factory=dict)  # role → the demo login user

    @property
    def now_floor(self) -> datetime:
        """``now`` on the half hour: the latest instant fabricated history may use."""
        return floor_half_hour(self.now)

    def communities_of_street(self, serial: int) -> list[Area]:
        """The communities of the street with this 3-digit code part."""
        street = self.streets[serial - 1]
        return [c for c in self.communities if c.parent_id == street.id]

    async def insert(self, rows: list[SQLModel], *, need_ids: bool = True) -> None:
        """Insert ``rows`` of one table, counting them; ``need_ids=False`` skips fetching the
        generated keys (a plain executemany: SQLite would otherwise insert row by row)."""
        if not rows:
            return
        if need_ids:
            self.session.add_all(rows)
            await self.session.flush()
        else:
            model = type(rows[0])
            values = [row.model_dump(exclude={"id"}) for row in rows]
            await self.session.execute(sa.insert(model), values)
        self.counts[rows[0].__tablename__] += len(rows)

    def event(
        self,
        entity: str,
        entity_id: int,
        from_status: str | None,
        to_status: str,
        *,
        at: datetime,
        actor_id: int | None = None,
        role: str | None = None,
        order_id: int | None = None,
        reason: str | None = None,
    ) -> Event:
        """One event-log row (returned unsaved; callers insert them in bulk)."""
        return Event(
            at=at,
            entity=entity,
            entity_id=entity_id,
            order_id=order_id,
            from_status=from_status,
            to_status=to_status,
            actor_user_id=actor_id,
            actor_role=role,
            reason=reason,
        )

    def notification(
        self, user: User, *, kind: str, title: str, body: str, at: datetime, payload: dict
    ) -> Notification:
        """An in-app message already delivered; older ones have been read."""
        read = at < self.now_floor and self.rng.random() < 0.6
        return Notification(
            user_id=user.id,
            channel="inapp",
            kind=kind,
            title=title,
            body=body,
            # Catalogue texts keep their key, so each reader sees them in their own language.
            payload=remember_texts(payload, title=title, body=body),
            status="sent",
            attempts=1,
            created_at=at,
            sent_at=at,
            read_at=min(at + timedelta(hours=2), self.now_floor) if read else None,
        )
