"""The demo works end to end: each role's main job, done on the demo's own data (not fixtures).

The 芝罘区 demo is loaded at the test clock into the test database; every step logs in with a
demo account and its password, as a person trying the demo would, and uses what the demo holds:
its communities and skills, the offers waiting for the demo volunteer and the demo team, the
rating codes printed for finished activities, the registrations waiting for approval.
"""

from __future__ import annotations

import re
from datetime import timedelta

import httpx
import pytest
import sqlalchemy as sa

from service.demo.accounts import DEMO_LOGINS, DEMO_PASSWORD
from service.demo.loader import load_demo
from service.evaluations.codes import looks_valid
from service.models import Order, RatingCode, RoleAssignment, Skill, User, VolunteerSkill
from service.vocab import OrderStatus, Role

PHONES = dict(DEMO_LOGINS)
RESIDENT_PHONE = "13912345670"


@pytest.fixture
async def demo(session, clock):
    await load_demo(session, now=clock.now())
    await session.commit()


@pytest.fixture
async def login(app):
    """``login(role)`` → a client logged in as that demo account, sending its CSRF header."""
    opened: list[httpx.AsyncClient] = []

    async def open_for(role: str) -> httpx.AsyncClient:
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://testserver"
        )
        opened.append(http)
        answer = await http.post(
            "/api/v1/auth/login", json={"phone": PHONES[role], "password": DEMO_PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        http.headers["X-CSRF-Token"] = answer.json()["csrf_token"]
        return http

    yield open_for
    for http in opened:
        await http.aclose()


async def ok(response, status=200):
    assert response.status_code == status, f"{response.request.url}: {response.text}"
    return response.json() if response.content else None


async def _worker_community(session) -> int:
    return await session.scalar(
        sa.select(RoleAssignment.area_id)
        .join(User, User.id == RoleAssignment.user_id)
        .where(User.phone == PHONES["worker"], RoleAssignment.role == Role.worker)
    )


async def test_each_demo_role_does_its_main_job_on_the_demo_data(
    demo, app, client, session, clock, login
):
    community_id = await _worker_community(session)
    # The skill most demo volunteers have, on a Saturday morning two weeks out (09:00 local):
    # what a worker would try first, and when the demo's volunteers are mostly free.
    skill = await session.scalar(
        sa.select(Skill)
        .join(VolunteerSkill, VolunteerSkill.skill_id == Skill.id)
        .group_by(Skill.id)
        .order_by(sa.func.count().desc(), Skill.id)
    )
    day = clock.now() + timedelta(days=14)
    day += timedelta(days=(5 - day.weekday()) % 7)
    start = day.replace(hour=1, minute=0, second=0, microsecond=0)

    # A resident (no account) orders an activity for the demo worker's community.
    submitted = await ok(
        await client.post(
            "/api/v1/demands",
            json={
                "community_id": community_id,
                "skill_id": skill.id,
                "topic": "演示：社区老人防诈骗讲座",
                "target_group": "elderly",
                "preferred_start": start.isoformat(),
                "preferred_end": (start + timedelta(hours=2)).isoformat(),
                "contact_phone": RESIDENT_PHONE,
            },
        ),
        201,
    )
    demand_id = submitted["demand"]["id"]

    # The demo worker finds it among the demo's demands, adopts it and dispatches it.
    worker = await login("worker")
    inbox = await ok(await worker.get("/api/v1/demands/inbox", params={"limit": 100}))
    assert demand_id in [item["id"] for item in inbox["items"]]
    assert len(inbox["items"]) > 1  # the demo's own demands are there too
    adopted = await ok(
        await worker.post(
            f"/api/v1/demands/{demand_id}/adopt",
            json={"venue_name": "社区活动室", "slots": 2},
        ),
        201,
    )
    published = await ok(
        await worker.post(
            f"/api/v1/orders/{adopted['order_id']}/publish", json={"dispatch_mode": "targeted"}
        )
    )
    assert published["status"] == OrderStatus.published
    offers = await ok(await worker.get(f"/api/v1/orders/{adopted['order_id']}/offers"))
    assert offers, "the demo's volunteers include some this order can be offered to"
    progress = await ok(
        await client.post(
            f"/api/v1/demands/{demand_id}/lookup",
            json={"phone": RESIDENT_PHONE, "code": submitted["follow_up_code"]},
        )
    )
    assert progress["status"] == "adopted"

    # The demo volunteer finds offers waiting for them and accepts one.
    volunteer = await login("volunteer")
    waiting = await ok(await volunteer.get("/api/v1/offers", params={"status": "offered"}))
    assert waiting["items"], "the demo volunteer should find offers waiting"
    answers = [
        await volunteer.post(f"/api/v1/offers/{offer['id']}/accept") for offer in waiting["items"]
    ]
    assert any(answer.status_code == 200 for answer in answers), [a.text for a in answers]
    assert all(answer.status_code in (200, 409) for answer in answers)

    # 附近可接 is not empty: the demo has open orders the demo volunteer can take.
    nearby = await ok(await volunteer.get("/api/v1/orders/nearby"))
    assert nearby, "the demo volunteer should find open orders they can take"

    # The demo's messages are said in the reader's language, like the service's own.
    english = await ok(
        await volunteer.get("/api/v1/me/notifications", headers={"Accept-Language": "en"})
    )
    assert english["items"]
    for message in english["items"]:
        assert not re.search(r"[\u4e00-\u9fff]", message["title"].split(":")[0]), message

    # The demo team leader answers an order offered to the demo team, naming free members.
    leader = await login("team_leader")
    team_page = await leader.get("/desk/team")
    assert team_page.status_code == 200
    order_ids = [int(i) for i in re.findall(r'href="/desk/team/offers/(\d+)"', team_page.text)]
    assert order_ids, "the demo team should have an order waiting for its answer"
    accepted_by_team = False
    for order_id in order_ids:
        offer_page = (await leader.get(f"/desk/team/offers/{order_id}")).text
        free = re.findall(r'name="member_ids" value="(\d+)"(?![^>]*disabled)', offer_page)
        if not free:
            continue
        answer = await leader.post(
            f"/api/v1/orders/{order_id}/team-accept", json={"member_ids": [int(free[0])]}
        )
        if answer.status_code == 200:
            accepted_by_team = True
            break
    assert accepted_by_team

    # The coordinator's queue shows the district's stuck orders.
    coordinator = await login("coordinator")
    queue = await coordinator.get("/desk/queue")
    assert queue.status_code == 200 and 'href="/desk/queue/' in queue.text

    # A resident rates a finished demo activity with a code from its printed sheet.
    code = await session.scalar(
        sa.select(RatingCode.code)
        .join(Order, Order.id == RatingCode.order_id)
        .where(
            RatingCode.used_at.is_(None),
            Order.status.in_([OrderStatus.completed, OrderStatus.evaluated]),
        )
        .order_by(RatingCode.id)
    )
    assert code is not None and looks_valid(code)
    rated = await client.post("/api/v1/ratings", json={"code": code, "stars": 5})
    assert rated.status_code == 201, rated.text
    assert (await client.get(f"/rate/{code}")).status_code in (200, 303)

    # The admin approves a volunteer registration waiting in the demo.
    admin = await login("admin")
    pending = await ok(await admin.get("/api/v1/volunteers/pending"))
    assert pending, "the demo has registrations waiting"
    await ok(await admin.post(f"/api/v1/volunteers/{pending[0]['volunteer_id']}/approve"), 204)
