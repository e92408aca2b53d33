"""A small community for the desk page tests: its worker, a stranger, coordinators, volunteers,
and orders in the states the pages care about — made through the API where the history matters."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from service.models import Demand, Order, User, Volunteer
from service.vocab import AreaLevel, DispatchMode, OrderStatus, Role
from tests.factories import (
    bearer,
    make_api_token,
    make_area,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.service.auth.helpers import browser, client_for, open_session_for

EN = {"Accept-Language": "en"}
HX = {"HX-Request": "true"}


@dataclass
class DeskWorld:
    app: object
    settings: object
    worker: User
    stranger: User  # the worker of another community (same street)
    coordinator: User  # the street's coordinator
    far_coordinator: User  # another street's coordinator
    volunteers: dict[str, Volunteer] = field(default_factory=dict)
    tokens: dict[str, dict] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    sessions: dict[str, tuple[str, str]] = field(default_factory=dict)

    def client(self, who: str = "worker", **headers) -> httpx.AsyncClient:
        cookie, csrf = self.sessions[who]
        http = browser(self.app, self.settings, cookie, csrf)
        http.headers.update(headers)
        return http

    def api(self, who: str) -> httpx.AsyncClient:
        return client_for(self.app, headers=self.tokens[who])

    def order_id(self, name: str) -> int:
        return self.orders[name].id


async def build_desk_world(app, settings, session, clock) -> DeskWorld:
    now = clock.now()
    district = await make_area(session, level=AreaLevel.district, name="芝罘区")
    street = await make_area(session, level=AreaLevel.street, parent=district, name="向阳街道")
    other_street = await make_area(
        session, level=AreaLevel.street, parent=district, name="东山街道"
    )
    community = await make_area(session, parent=street, name="朝阳街社区")
    neighbour = await make_area(session, parent=street, name="南大街社区")
    await make_area(session, parent=other_street, name="东山社区")
    skill = await make_skill(session, name="心肺复苏")
    world = DeskWorld(
        app=app,
        settings=settings,
        worker=await make_user(session, name="王芳", roles=((Role.worker, community.id, None),)),
        stranger=await make_user(
            session, name="外社区工作者", roles=((Role.worker, neighbour.id, None),)
        ),
        coordinator=await make_user(
            session, name="街道协调员", roles=((Role.coordinator, street.id, None),)
        ),
        far_coordinator=await make_user(
            session, name="东山协调员", roles=((Role.coordinator, other_street.id, None),)
        ),
    )
    for key, name in (("li", "李明"), ("zhang", "张伟"), ("zhao", "赵强")):
        user = await make_user(session, name=name, roles=((Role.volunteer, None, None),))
        world.volunteers[key] = await make_volunteer(
            session, home_area=community, skills=[skill], user=user
        )
        world.tokens[key] = bearer(await make_api_token(session, user_id=user.id))
    world.tokens["worker"] = bearer(await make_api_token(session, user_id=world.worker.id))
    common = {"community": community, "skills": [skill], "created_by_user_id": world.worker.id}
    world.orders["draft"] = await make_order(
        session, title="智能手机使用课", starts_at=now + timedelta(days=5), slots=2, **common
    )
    world.orders["lecture"] = await make_order(
        session, title="社区急救知识讲座", starts_at=now + timedelta(days=3), slots=2, **common
    )
    world.orders["open"] = await make_order(
        session,
        title="防范电信诈骗讲座",
        starts_at=now + timedelta(days=7),
        slots=3,
        dispatch_mode=DispatchMode.open,
        **common,
    )
    world.orders["done"] = await make_order(
        session,
        title="老年人合理用药讲座",
        starts_at=now - timedelta(days=2),
        status=OrderStatus.completed,
        accepted_count=1,
        **common,
    )
    world.orders["foreign"] = await make_order(
        session, community=neighbour, title="南大街消防演练", starts_at=now + timedelta(days=4)
    )
    session.add(
        Demand(
            community_id=community.id,
            skill_id=skill.id,
            topic="想学心肺复苏",
            target_group="elderly",
            created_at=now,
            updated_at=now,
        )
    )
    for who in ("worker", "stranger", "coordinator", "far_coordinator"):
        user = getattr(world, who)
        world.sessions[who] = await open_session_for(session, settings, user_id=user.id, now=now)
    for key in world.volunteers:
        user_id = world.volunteers[key].user_id
        world.sessions[key] = await open_session_for(session, settings, user_id=user_id, now=now)
    await session.commit()
    # The lecture is dispatched through the API (so its history is real): all three volunteers
    # are invited (targeted), then 李明 accepts.
    async with world.api("worker") as http:
        published = await http.post(f"/api/v1/orders/{world.order_id('lecture')}/publish", json={})
        assert published.status_code == 200, published.text
        offers = await http.get(f"/api/v1/orders/{world.order_id('lecture')}/offers")
    mine = {o["volunteer_id"]: o["id"] for o in offers.json()}
    world.offer_ids = {key: mine[v.id] for key, v in world.volunteers.items()}
    async with world.api("li") as http:
        accepted = await http.post(f"/api/v1/offers/{world.offer_ids['li']}/accept")
        assert accepted.status_code == 200, accepted.text
    return world
