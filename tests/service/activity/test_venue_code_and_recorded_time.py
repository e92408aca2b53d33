"""Check-in extensions through the API: the venue code (right, wrong, throttled) and the time a
phone recorded while it had no signal (accepted within bounds, refused outside them)."""

from datetime import timedelta

from service.activity.venue_codes import MAX_WRONG_CODES, normalize, venue_code
from service.models import Offer
from tests.loop_helpers import staffed_order
from tests.service.activity.test_activity_api import FAR, NEAR, fresh

EN = {"Accept-Language": "en"}


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10000:04d}"


def check_in_url(offer) -> str:
    return f"/api/v1/offers/{offer.id}/check-in"


async def test_the_venue_code_is_four_digits_stable_per_order_and_secret(settings):
    codes = {venue_code(settings, order_id) for order_id in range(1, 200)}
    assert all(len(code) == 4 and code.isdigit() for code in codes)
    assert len(codes) > 150  # different per order
    assert venue_code(settings, 7) == venue_code(settings, 7)
    other = settings.model_copy(update={"secret_key": "another-secret-" * 3})
    assert [venue_code(other, i) for i in range(1, 20)] != [
        venue_code(settings, i) for i in range(1, 20)
    ]
    assert normalize(" １２ 34 ") == "1234"


async def test_the_right_venue_code_checks_in_without_a_location(client, session, clock, settings):
    _, _, order, [(_, auth, offer), _] = await staffed_order(session, starts_at=clock.now())
    body = {"venue_code": venue_code(settings, order.id)}
    response = await client.post(check_in_url(offer), json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "checked_in"
    assert response.json()["flags"] == ["venue_code"]
    assert response.json()["message"] == "签到成功。"


async def test_the_venue_code_turns_a_pending_check_in_into_a_counted_one(
    client, session, clock, settings
):
    _, _, order, [(_, auth, offer), _] = await staffed_order(session, starts_at=clock.now())
    far = await client.post(check_in_url(offer), json=FAR, headers=auth)
    assert far.json()["flags"] == ["outside_geofence", "pending_confirmation"]
    clock.advance(timedelta(minutes=3))
    coded = await client.post(
        check_in_url(offer), json={"venue_code": venue_code(settings, order.id)}, headers=auth
    )
    assert coded.status_code == 200 and coded.json()["status"] == "checked_in"
    assert coded.json()["flags"] == ["venue_code"]


async def test_a_wrong_venue_code_is_refused_in_words_and_throttled(
    client, session, clock, settings
):
    _, _, order, [(_, auth, offer), (_, auth2, offer2)] = await staffed_order(
        session, starts_at=clock.now()
    )
    wrong = {"venue_code": _wrong(venue_code(settings, order.id))}
    refused = await client.post(check_in_url(offer), json=wrong, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "签到码不对。请向社区工作者再问一次这 4 位数字。"
    english = await client.post(check_in_url(offer), json=wrong, headers={**auth, **EN})
    assert english.json()["detail"].startswith("That venue code is not right.")
    assert (await fresh(session, Offer, offer.id)).status == "accepted"
    for _ in range(MAX_WRONG_CODES - 2):
        assert (await client.post(check_in_url(offer), json=wrong, headers=auth)).status_code == 422
    # Past the limit even the right code waits: guessing 10,000 codes is not possible.
    right = {"venue_code": venue_code(settings, order.id)}
    throttled = await client.post(check_in_url(offer), json=right, headers=auth)
    assert throttled.status_code == 429, throttled.text
    assert "签到码输错的次数太多" in throttled.json()["detail"]
    assert int(throttled.headers["Retry-After"]) > 0
    # Another volunteer of the same order has an allowance of their own.
    other = await client.post(check_in_url(offer2), json=right, headers=auth2)
    assert other.status_code == 200 and other.json()["status"] == "checked_in"
    clock.advance(timedelta(minutes=settings.login_window_minutes + 1))
    later = await client.post(check_in_url(offer), json=right, headers=auth)
    assert later.status_code == 200 and later.json()["status"] == "checked_in"


async def test_a_right_venue_code_costs_no_try(client, session, clock, settings):
    _, _, order, people = await staffed_order(session, starts_at=clock.now(), volunteers=1)
    [(_, auth, offer)] = people
    wrong = {"venue_code": _wrong(venue_code(settings, order.id))}
    for _ in range(MAX_WRONG_CODES - 1):
        await client.post(check_in_url(offer), json=wrong, headers=auth)
    right = {"venue_code": venue_code(settings, order.id)}
    assert (await client.post(check_in_url(offer), json=right, headers=auth)).status_code == 200


async def test_a_check_in_recorded_offline_counts_at_the_recorded_time(client, session, clock):
    _, _, _, [(_, auth, offer), _] = await staffed_order(session, starts_at=clock.now())
    recorded = clock.now() + timedelta(minutes=5)
    clock.advance(timedelta(minutes=50))  # the phone got signal back 45 minutes later
    body = {**NEAR, "at": recorded.isoformat()}
    response = await client.post(check_in_url(offer), json=body, headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "checked_in"
    assert response.json()["checked_in_at"] == recorded.strftime("%Y-%m-%dT%H:%M:%SZ")
    out_at = clock.now() - timedelta(minutes=10)
    out = await client.post(
        f"/api/v1/offers/{offer.id}/check-out", json={"at": out_at.isoformat()}, headers=auth
    )
    assert out.status_code == 200, out.text
    assert out.json()["checked_out_at"] == out_at.strftime("%Y-%m-%dT%H:%M:%SZ")


async def test_a_recorded_time_out_of_bounds_is_refused_in_words(client, session, clock):
    _, _, _, [(_, auth, offer), _] = await staffed_order(
        session, starts_at=clock.now() + timedelta(minutes=20), hours=12
    )
    url = check_in_url(offer)
    future = {**NEAR, "at": (clock.now() + timedelta(minutes=10)).isoformat()}
    refused = await client.post(url, json=future, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "手机记下的时间比现在还晚，请检查手机的日期和时间后再试。"
    early = {**NEAR, "at": (clock.now() - timedelta(minutes=15)).isoformat()}  # before it opened
    not_open = await client.post(url, json=early, headers=auth)
    assert not_open.status_code == 409 and not_open.json()["code"] == "check_in_not_open"
    clock.advance(timedelta(hours=13))
    old = {**NEAR, "at": (clock.now() - timedelta(hours=12, minutes=1)).isoformat()}
    too_old = await client.post(url, json=old, headers={**auth, **EN})
    assert too_old.status_code == 422
    assert "more than 12 hours ago" in too_old.json()["detail"]
    naive = await client.post(url, json={"at": "2026-11-23T10:00:00"}, headers=auth)
    assert naive.status_code == 422
    assert (await fresh(session, Offer, offer.id)).status == "accepted"


async def test_a_phone_clock_a_little_fast_is_forgiven(client, session, clock):
    _, _, _, [(_, auth, offer), _] = await staffed_order(session, starts_at=clock.now())
    fast = {**NEAR, "at": (clock.now() + timedelta(seconds=90)).isoformat()}
    response = await client.post(check_in_url(offer), json=fast, headers=auth)
    assert response.status_code == 200 and response.json()["status"] == "checked_in"


async def test_a_check_out_cannot_be_recorded_before_the_check_in(client, session, clock):
    _, _, _, [(_, auth, offer), _] = await staffed_order(session, starts_at=clock.now())
    await client.post(check_in_url(offer), json=NEAR, headers=auth)
    clock.advance(timedelta(minutes=30))
    before = {"at": (clock.now() - timedelta(minutes=40)).isoformat()}
    refused = await client.post(f"/api/v1/offers/{offer.id}/check-out", json=before, headers=auth)
    assert refused.status_code == 422
    assert refused.json()["detail"] == "签退时间不能早于签到时间。"
    plain = await client.post(f"/api/v1/offers/{offer.id}/check-out", headers=auth)
    assert plain.status_code == 200 and plain.json()["checked_out_at"] is not None


async def test_nobody_checks_in_on_another_volunteers_offer(client, session, clock, settings):
    _, _, order, [(_, _, o1), (_, a2, _)] = await staffed_order(session, starts_at=clock.now())
    right = {"venue_code": venue_code(settings, order.id)}
    theirs = await client.post(check_in_url(o1), json=right, headers=a2)
    assert theirs.status_code == 403
    assert theirs.json()["detail"] == "只能为自己签到、签退。"
    assert (await fresh(session, Offer, o1.id)).status == "accepted"
