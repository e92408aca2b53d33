"""Residents who ordered without an account are told by SMS when their demand is adopted,
merged or declined: one outbox row naming the demand, sent to the demand's contact phone as it
is at send time; an erased number drops the message instead of crashing the dispatcher."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from service.actor import ANONYMOUS, Actor, RoleGrant
from service.context import ActionContext
from service.demands import service as demands
from service.demands.schemas import AdoptDemand, DemandCreate
from service.models import Notification
from service.notifications.dispatcher import deliver_due
from service.notifications.senders import ChannelSender, LogSender, SmsAdapter
from service.notifications.texts import said_in
from service.vocab import NotificationStatus, Role
from tests.factories import make_area_tree, make_skill, make_user

PHONE = "13812345678"


class Gateway:
    """The SMS gateway's transport: records what would be sent."""

    def __init__(self):
        self.messages: list[dict] = []

    async def post(self, message: dict) -> None:
        self.messages.append(message)


@pytest.fixture
async def world(session, app, clock):
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session, name="电信诈骗识别")
    worker = await make_user(session, roles=((Role.worker, community.id, None),))
    await session.commit()
    settings = app.state.settings
    resident = ActionContext(actor=ANONYMOUS, now=clock.now(), settings=settings)
    staff = ActionContext(
        actor=Actor(user_id=worker.id, grants=(RoleGrant(Role.worker, community.id),)),
        now=clock.now(),
        settings=settings,
    )

    async def ordered(topic="防诈骗讲座", phone=PHONE):
        data = DemandCreate(
            community_id=community.id, skill_id=skill.id, topic=topic,
            target_group="elderly", contact_phone=phone,
        )  # fmt: skip
        demand, _ = await demands.submit(session, resident, data=data)
        return demand

    return {"staff": staff, "ordered": ordered, "worker": worker}


async def messages(session) -> list[Notification]:
    await session.commit()
    return list(await session.scalars(sa.select(Notification).order_by(Notification.id)))


async def deliver(app, clock, gateway):
    sender = ChannelSender(LogSender(), {"sms": SmsAdapter(gateway)})
    return await deliver_due(app.state.sessionmaker, clock.now(), sender)


async def test_a_decline_texts_the_reason_to_the_demands_phone(session, app, clock, world):
    demand = await world["ordered"]()
    await demands.decline(
        session, world["staff"], demand_id=demand.id, reason="本月已安排同主题讲座"
    )
    [row] = await messages(session)
    assert (row.user_id, row.demand_id, row.channel) == (None, demand.id, "sms")
    assert (
        row.title == f"您的点单（编号 {demand.id}）未被采纳" and row.body == "本月已安排同主题讲座"
    )
    gateway = Gateway()
    report = await deliver(app, clock, gateway)
    assert report.sent == 1
    [sms] = gateway.messages
    assert sms["to"] == PHONE and "本月已安排同主题讲座" in sms["text"]
    assert f"编号 {demand.id}" in sms["text"]  # the number to follow it up with


async def test_adopting_and_merging_each_write_one_message(session, app, clock, world):
    first = await world["ordered"]("防诈骗讲座")
    second = await world["ordered"]("防骗讲座", phone="13900002222")
    await demands.adopt(
        session, world["staff"], demand_id=first.id, data=AdoptDemand(title="防诈骗讲座")
    )
    await demands.merge(session, world["staff"], demand_id=second.id, into_demand_id=first.id)
    rows = await messages(session)
    assert [(r.demand_id, r.title) for r in rows] == [
        (first.id, f"您的点单（编号 {first.id}）已被采纳"),
        (second.id, f"您的点单（编号 {second.id}）已合并"),
    ]
    # The keyed texts are kept: the message can be said again in English.
    assert said_in(rows[0].payload, "title", rows[0].title, "en") != rows[0].title
    gateway = Gateway()
    await deliver(app, clock, gateway)
    assert sorted(m["to"] for m in gateway.messages) == sorted([PHONE, "13900002222"])


async def test_an_erased_phone_drops_the_message_without_crashing(session, app, clock, world):
    demand = await world["ordered"]()
    await demands.decline(session, world["staff"], demand_id=demand.id, reason="时间冲突")
    demand.contact_phone = None  # what the retention sweep does to an inactive resident's number
    await session.commit()
    gateway = Gateway()
    report = await deliver(app, clock, gateway)
    assert (report.claimed, report.sent, report.dead) == (1, 0, 1)
    assert gateway.messages == []
    [row] = await messages(session)
    await session.refresh(row)
    assert row.status == NotificationStatus.dead and "erased" in row.last_error


async def test_a_submitter_with_an_account_still_hears_in_the_inbox(session, app, clock, world):
    user = await make_user(session, phone="13700003333")
    ctx = ActionContext(actor=Actor(user_id=user.id, phone=user.phone), now=clock.now(),
                        settings=app.state.settings)  # fmt: skip
    data = DemandCreate(community_id=(await world["ordered"]()).community_id, topic="急救",
                        target_group="elderly")  # fmt: skip
    mine, _ = await demands.submit(session, ctx, data=data)
    await demands.decline(session, world["staff"], demand_id=mine.id, reason="不在本月计划")
    [row] = await messages(session)
    assert (row.user_id, row.demand_id, row.channel) == (user.id, None, "inapp")


async def test_inbox_and_delivery_problems_live_with_resident_messages(
    session, app, clock, world, client
):
    from tests.factories import bearer, make_api_token

    demand = await world["ordered"]()
    await demands.decline(session, world["staff"], demand_id=demand.id, reason="时间冲突")
    demand.contact_phone = None
    admin = await make_user(session, roles=((Role.admin, None, None),))
    token = bearer(await make_api_token(session, user_id=admin.id))
    await session.commit()
    await deliver(app, clock, Gateway())
    inbox = await client.get("/api/v1/me/notifications", headers=token)
    assert inbox.status_code == 200 and inbox.json()["total"] == 0
    problems = await client.get("/api/v1/admin/notifications", headers=token)
    assert problems.status_code == 200, problems.text
    [item] = problems.json()["items"]
    assert (item["user_id"], item["demand_id"], item["status"]) == (None, demand.id, "dead")
