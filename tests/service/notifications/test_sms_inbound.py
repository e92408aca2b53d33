"""Signed SMS replies: Y/N (是/否, 1/2) with an optional offer code accept or decline offers."""

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from service.errors import Forbidden
from service.models import Event, Offer, Order
from service.notifications.senders import sign
from service.offers.sms_replies import parse_reply, verify_signature
from service.vocab import OfferStatus, OrderStatus
from tests.factories import make_area_tree, make_order, make_skill, make_volunteer
from tests.service.notifications.conftest import SMS_SECRET

PHONE = "13700001111"


def signed(payload: dict, *, at: datetime, secret: str = SMS_SECRET) -> dict:
    body = json.dumps(payload, ensure_ascii=False).encode()
    timestamp = str(int(at.timestamp()))
    return {
        "content": body,
        "headers": {
            "Content-Type": "application/json",
            "X-Kepu-Timestamp": timestamp,
            "X-Kepu-Signature": sign(secret, timestamp, body),
        },
    }


async def offered(session, clock, *, offers=1, starts_in=timedelta(days=2)):
    """A volunteer (phone PHONE) with ``offers`` open offers, newest last."""
    _, _, community = await make_area_tree(session)
    skill = await make_skill(session)
    from service.vocab import Role
    from tests.factories import make_user

    user = await make_user(session, phone=PHONE, roles=((Role.volunteer, None, None),))
    volunteer = await make_volunteer(session, home_area=community, skills=[skill], user=user)
    rows = []
    for n in range(offers):
        order = await make_order(
            session,
            community=community,
            starts_at=clock.now() + starts_in + timedelta(days=n * 3),
            skills=[skill],
            status=OrderStatus.published,
            title=f"急救课{n + 1}",
        )
        offer = Offer(
            order_id=order.id,
            volunteer_id=volunteer.id,
            status=OfferStatus.offered,
            offered_at=clock.now() - timedelta(hours=offers - n),
            expires_at=clock.now() + timedelta(hours=2),
        )
        session.add(offer)
        await session.flush()
        rows.append((order, offer))
    await session.commit()
    return volunteer, rows


async def status_of(session, offer_id):
    await session.commit()
    return (await session.get(Offer, offer_id, populate_existing=True)).status


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Y", (True, None)),
        ("y", (True, None)),
        ("是", (True, None)),
        ("1", (True, None)),
        (" N ", (False, None)),
        ("否", (False, None)),
        ("2", (False, None)),
        ("Y 1234", (True, 1234)),
        ("n1234", (False, 1234)),
        ("是 42", (True, 42)),
        ("2 42", (False, 42)),
        ("好的", None),
        ("12", None),
        ("maybe", None),
        ("", None),
    ],
)
def test_parse_reply(text, expected):
    assert parse_reply(text) == expected


def test_signature_rules():
    now = datetime(2026, 11, 23, tzinfo=UTC)
    ts = str(int(now.timestamp()))
    good = sign("k", ts, b"{}")
    verify_signature(secret="k", timestamp=ts, signature=good, body=b"{}", now=now, max_skew=300)
    for secret, timestamp, signature, body in [
        (None, ts, good, b"{}"),  # not configured
        ("k", ts, good, b'{"x":1}'),  # body changed
        ("k", ts, sign("other", ts, b"{}"), b"{}"),  # wrong key
        ("k", "yesterday", good, b"{}"),
        (
            "k",
            str(int(now.timestamp()) - 301),
            sign("k", str(int(now.timestamp()) - 301), b"{}"),
            b"{}",
        ),
    ]:
        with pytest.raises(Forbidden):
            verify_signature(
                secret=secret,
                timestamp=timestamp,
                signature=signature,
                body=body,
                now=now,
                max_skew=300,
            )


async def test_y_accepts_the_most_recent_open_offer(client, session, clock):
    _, [(_, older), (order, newest)] = await offered(session, clock, offers=2)
    response = await client.post(
        "/api/v1/sms/inbound", **signed({"phone": "+86 137-0000-1111", "text": "Y"}, at=clock.now())
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["outcome"] == "accepted" and body["offer_id"] == newest.id
    assert "急救课2" in body["reply"]
    assert await status_of(session, newest.id) == OfferStatus.accepted
    assert await status_of(session, older.id) == OfferStatus.offered
    refreshed = await session.get(Order, order.id, populate_existing=True)
    assert refreshed.accepted_count == 1
    event = await session.scalar(sa.select(Event).where(Event.to_status == "accepted"))
    assert event.actor_role == "volunteer"


async def test_n_with_a_code_declines_that_offer(client, session, clock):
    _, [(_, older), (_, newest)] = await offered(session, clock, offers=2)
    response = await client.post(
        "/api/v1/sms/inbound", **signed({"phone": PHONE, "text": f"否 {older.id}"}, at=clock.now())
    )
    assert response.json()["outcome"] == "declined" and response.json()["offer_id"] == older.id
    assert await status_of(session, older.id) == OfferStatus.declined
    assert await status_of(session, newest.id) == OfferStatus.offered


async def test_answers_for_unknown_phone_no_offer_and_gibberish(client, session, clock):
    _, [(_, offer)] = await offered(session, clock)
    cases = [
        ({"phone": "13999999999", "text": "Y"}, "unknown_phone"),
        ({"phone": PHONE, "text": "Y 99999"}, "no_open_offer"),
        ({"phone": PHONE, "text": "好的谢谢"}, "not_understood"),
    ]
    for payload, outcome in cases:
        response = await client.post("/api/v1/sms/inbound", **signed(payload, at=clock.now()))
        assert response.status_code == 200 and response.json()["outcome"] == outcome
    assert await status_of(session, offer.id) == OfferStatus.offered


async def test_a_refused_accept_is_an_answer_and_changes_nothing(client, session, clock):
    _, [(order, offer)] = await offered(session, clock, starts_in=timedelta(minutes=-5))
    response = await client.post(
        "/api/v1/sms/inbound", **signed({"phone": PHONE, "text": "Y"}, at=clock.now())
    )
    assert response.status_code == 200
    assert response.json()["outcome"] == "refused" and "已开始" in response.json()["reply"]
    assert await status_of(session, offer.id) == OfferStatus.offered
    assert (await session.get(Order, order.id, populate_existing=True)).accepted_count == 0


async def test_bad_or_stale_signatures_are_403_problems(client, session, clock):
    _, [(_, offer)] = await offered(session, clock)
    payload = {"phone": PHONE, "text": "Y"}
    forged = signed(payload, at=clock.now(), secret="guessed")
    stale = signed(payload, at=clock.now() - timedelta(minutes=10))
    unsigned = {"json": payload}
    for request in (forged, stale, unsigned):
        response = await client.post("/api/v1/sms/inbound", **request)
        assert response.status_code == 403
        assert response.headers["content-type"].startswith("application/problem+json")
    assert await status_of(session, offer.id) == OfferStatus.offered
