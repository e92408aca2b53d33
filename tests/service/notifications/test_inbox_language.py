"""The inbox says each notification in the reader's language, whatever it was written in."""

from service.messages import text
from service.notifications.outbox import notify
from tests.factories import bearer, make_api_token, make_user


async def _inbox(client, token, language):
    answer = await client.get(
        "/api/v1/me/notifications", headers={**bearer(token), "Accept-Language": language}
    )
    assert answer.status_code == 200
    return answer.json()["items"]


async def test_a_catalogue_notification_is_read_in_english_or_chinese(client, session, clock):
    user = await make_user(session, phone="13812340001", name="李志愿")
    token = await make_api_token(session, user_id=user.id)
    await notify(
        session,
        user_id=user.id,
        kind="order_cancelled",
        title=text("notification.order_cancelled.title", order_title="防诈骗讲座"),
        body="",
        payload={"order_id": 7},
        now=clock.now(),
    )
    await session.commit()
    [english] = await _inbox(client, token, "en")
    assert english["title"] == "Activity cancelled: 防诈骗讲座"
    assert english["payload"] == {"order_id": 7}  # the kept keys are not a related object
    [chinese] = await _inbox(client, token, "zh-CN")
    assert chinese["title"] == text("notification.order_cancelled.title", order_title="防诈骗讲座")
    assert chinese["title"] != english["title"]


async def test_a_text_written_outside_the_catalogue_is_shown_as_written(client, session, clock):
    user = await make_user(session, phone="13812340002", name="王居民")
    token = await make_api_token(session, user_id=user.id)
    await notify(
        session, user_id=user.id, kind="note", title="社区通知", body="周六停水", now=clock.now()
    )
    await session.commit()
    [item] = await _inbox(client, token, "en")
    assert (item["title"], item["body"]) == ("社区通知", "周六停水")
