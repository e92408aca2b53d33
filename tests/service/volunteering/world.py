"""A volunteer's world for the volunteer page tests.

Now is Monday 2026-11-23 10:00 in Shanghai (``TEST_NOW``). 李老师 (心肺复苏, home at the 芝罘区
centre, radius 5 km, free all week) holds one activity (Wednesday 11-25 09:00–11:00, 已接) and
has two invitations waiting (Thursday and Saturday). Open orders around her home:

* 「开放·能接」 Friday, 心肺复苏, 2 km away — the only one she can take;
* 「开放·缺技能」 needs 合理用药, which she lacks;
* 「开放·太远」 20 km away;
* 「开放·时间冲突」 Wednesday 11:15, within the 30-minute travel buffer of what she holds;
* 「开放·已满」 no place left;
* 「开放·已婉拒」 she declined it before;
* 「开放·不在时段」 on 12-01, a day she marked as a blackout date.

王大爷 is another volunteer with an invitation of his own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from service.models import BlackoutDate, Offer
from service.vocab import DispatchMode, OfferStatus, OrderStatus, Role
from tests.factories import (
    ZHIFU_LAT,
    ZHIFU_LNG,
    make_area,
    make_order,
    make_skill,
    make_user,
    make_volunteer,
)
from tests.service.auth.helpers import PASSWORD_HASH

WEDNESDAY_9AM = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
THURSDAY_2PM = datetime(2026, 11, 26, 6, 0, tzinfo=UTC)
BLACKOUT = date(2026, 12, 1)
KM = 1 / 111.0  # degrees of latitude per kilometre (roughly)


@dataclass
class VolunteerWorld:
    users: dict[str, int] = field(default_factory=dict)
    volunteers: dict[str, int] = field(default_factory=dict)
    orders: dict[str, int] = field(default_factory=dict)
    offers: dict[str, int] = field(default_factory=dict)


async def _open(session, community, skill, title, starts_at, **fields):
    return await make_order(
        session,
        community=community,
        starts_at=starts_at,
        skills=[skill],
        slots=fields.pop("slots", 2),
        status=OrderStatus.published,
        published_at=starts_at - timedelta(days=7),
        dispatch_mode=DispatchMode.open,
        title=title,
        venue_address="芝罘区向阳街道1号",
        **fields,
    )


async def build_volunteer_world(session, now: datetime) -> VolunteerWorld:
    world = VolunteerWorld()
    district = await make_area(session, name="芝罘区")
    community = await make_area(session, parent=district, name="海岸社区")
    cpr = await make_skill(session, name="心肺复苏")
    medicine = await make_skill(session, name="合理用药")
    for who in ("李老师", "王大爷"):
        user = await make_user(
            session, name=who, password_hash=PASSWORD_HASH, roles=((Role.volunteer, None, None),)
        )
        volunteer = await make_volunteer(session, home_area=community, skills=[cpr], user=user)
        world.users[who], world.volunteers[who] = user.id, volunteer.id
    me = world.volunteers["李老师"]
    session.add(BlackoutDate(volunteer_id=me, day=BLACKOUT))

    async def offer(name, order, volunteer, status, **values):
        row = Offer(order_id=order.id, volunteer_id=volunteer, status=status, **values)
        session.add(row)
        await session.flush()
        world.offers[name] = row.id

    held = await make_order(
        session, community=community, starts_at=WEDNESDAY_9AM, skills=[cpr],
        status=OrderStatus.staffed, accepted_count=1, title="老年人防跌倒讲座",
        venue_name="海岸社区活动室", venue_address="芝罘区向阳街道1号",
    )  # fmt: skip
    await offer("held", held, me, OfferStatus.accepted, responded_at=now)
    for name, title, starts in (
        ("invite", "社区急救知识讲座", THURSDAY_2PM),
        ("invite2", "周末心肺复苏体验课", THURSDAY_2PM + timedelta(days=2)),
    ):
        order = await make_order(
            session, community=community, starts_at=starts, skills=[cpr],
            status=OrderStatus.published, title=title, slots=2,
            lat=ZHIFU_LAT + 2 * KM, description="给社区老人讲心肺复苏。",
        )  # fmt: skip
        world.orders[name] = order.id
        await offer(name, order, me, OfferStatus.offered, expires_at=now + timedelta(hours=2))
    other = await make_order(
        session, community=community, starts_at=THURSDAY_2PM, skills=[cpr],
        status=OrderStatus.published, title="王大爷的邀请",
    )  # fmt: skip
    await offer("other", other, world.volunteers["王大爷"], OfferStatus.offered)

    friday = THURSDAY_2PM + timedelta(days=1)
    opened = {
        "ok": await _open(session, community, cpr, "开放·能接", friday, lat=ZHIFU_LAT + 2 * KM),
        "skill": await _open(session, community, medicine, "开放·缺技能", friday),
        "far": await _open(session, community, cpr, "开放·太远", friday, lat=ZHIFU_LAT + 20 * KM),
        "overlap": await _open(
            session, community, cpr, "开放·时间冲突", WEDNESDAY_9AM + timedelta(hours=2, minutes=15)
        ),
        "full": await _open(
            session, community, cpr, "开放·已满", friday, slots=1, accepted_count=1
        ),
        "answered": await _open(session, community, cpr, "开放·已婉拒", friday),
        "blackout": await _open(
            session,
            community,
            cpr,
            "开放·不在时段",
            datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
            lng=ZHIFU_LNG,
        ),
    }
    await offer("answered", opened["answered"], me, OfferStatus.declined, decline_reason="有事")
    world.orders.update({f"open_{key}": order.id for key, order in opened.items()})
    world.orders["held"] = held.id
    await session.commit()
    return world
