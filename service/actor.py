"""Who is acting: a user with role grants scoped to areas or teams (or an anonymous visitor)."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.vocab import Role


@dataclass(frozen=True)
class RoleGrant:
    """One role; ``area_path`` is the materialized path ("/1/4/") of the area it is scoped to."""

    role: Role
    area_id: int | None = None
    area_path: str | None = None
    team_id: int | None = None


@dataclass(frozen=True)
class Actor:
    """The authenticated (or anonymous) party of a request; every scope rule reads this."""

    user_id: int | None = None
    name: str = ""
    phone: str | None = None
    grants: tuple[RoleGrant, ...] = ()
    volunteer_id: int | None = None
    session_id: int | None = None  # set for cookie sessions (CSRF applies), None for tokens
    via_token: bool = False
    ip: str | None = None
    locale: str | None = None  # the person's saved page language, if any
    large_text: bool = False  # the 大字/长辈 display, saved per person
    roles: frozenset[Role] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "roles", frozenset(grant.role for grant in self.grants))

    @property
    def is_anonymous(self) -> bool:
        return self.user_id is None

    def has(self, *roles: Role) -> bool:
        """True when the actor holds any of ``roles`` (admin is not implied: ask for it)."""
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return Role.admin in self.roles

    def community_ids(self) -> frozenset[int]:
        """Communities this actor works for (community worker grants)."""
        return frozenset(
            grant.area_id for grant in self.grants if grant.role == Role.worker and grant.area_id
        )

    def led_team_ids(self) -> frozenset[int]:
        return frozenset(
            grant.team_id
            for grant in self.grants
            if grant.role == Role.team_leader and grant.team_id
        )

    def coordinated_paths(self) -> tuple[str, ...]:
        """Area subtrees (materialized paths) a coordinator oversees."""
        return tuple(
            grant.area_path
            for grant in self.grants
            if grant.role == Role.coordinator and grant.area_path
        )

    def oversees(self, area_path: str) -> bool:
        """True when ``area_path`` lies inside a coordinated subtree, or the actor is admin."""
        if self.is_admin:
            return True
        return any(area_path.startswith(path) for path in self.coordinated_paths())

    def works_for(self, community_id: int) -> bool:
        return community_id in self.community_ids()


ANONYMOUS = Actor()
