"""The inbox: each user sees and reads only their own messages; admins see failed sends."""

from datetime import timedelta

from service.models import Notification
from service.notifications.outbox import notify
from service.vocab import NotificationStatus, Role
from tests.loop_helpers import user_with_token


async def test_inbox_lists_own_messages_newest_first_and_marks_read(client, session, clock):
    me, auth = await user_with_token(session, (Role.volunteer, None, None))
    other, _ = await user_with_token(session, (Role.volunteer, None, None))
    older = await notify(session, user_id=me.id, kind="t", title="旧消息", now=clock.now())
    newer = await notify(
        session, user_id=me.id, kind="t", title="新消息", now=clock.now() + timedelta(minutes=1)
    )
    foreign = await notify(session, user_id=other.id, kind="t", title="别人的", now=clock.now())
    await session.commit()

    listed = (await client.get("/api/v1/me/notifications", headers=auth)).json()
    assert [item["id"] for item in listed["items"]] == [newer.id, older.id]
    assert listed["total"] == 2 and listed["items"][0]["read_at"] is None
    assert (await client.get("/api/v1/me/notifications/unread-count", headers=auth)).json() == {
        "unread": 2
    }

    read = await client.post(f"/api/v1/me/notifications/{older.id}/read", headers=auth)
    assert read.status_code == 200 and read.json()["read_at"] is not None
    clock.advance(timedelta(hours=1))
    again = await client.post(f"/api/v1/me/notifications/{older.id}/read", headers=auth)
    assert again.json()["read_at"] == read.json()["read_at"]  # first read time is kept
    unread = (await client.get("/api/v1/me/notifications?unread=true", headers=auth)).json()
    assert [item["id"] for item in unread["items"]] == [newer.id]

    stolen = await client.post(f"/api/v1/me/notifications/{foreign.id}/read", headers=auth)
    assert stolen.status_code == 404
    await session.refresh(foreign)
    assert foreign.read_at is None


async def test_inbox_needs_a_login(client):
    response = await client.get("/api/v1/me/notifications")
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_admin_lists_failed_and_dead_and_retries_one(client, session, clock):
    _, admin_auth = await user_with_token(session, (Role.admin, None, None))
    user, user_auth = await user_with_token(session, (Role.volunteer, None, None))
    rows = {}
    for status in NotificationStatus:
        row = await notify(session, user_id=user.id, kind="t", title=status.value, now=clock.now())
        row.status, row.attempts, row.last_error = status, 3, "gateway down"
        rows[status] = row
    await session.commit()
    ids = {status: row.id for status, row in rows.items()}

    listed = (await client.get("/api/v1/admin/notifications", headers=admin_auth)).json()
    assert {item["status"] for item in listed["items"]} == {"failed", "dead"}
    assert listed["items"][0]["last_error"] == "gateway down"
    dead_only = await client.get("/api/v1/admin/notifications?status=dead", headers=admin_auth)
    assert [item["id"] for item in dead_only.json()["items"]] == [ids["dead"]]

    dead_id = ids[NotificationStatus.dead]
    retried = await client.post(f"/api/v1/admin/notifications/{dead_id}/retry", headers=admin_auth)
    assert retried.status_code == 200
    assert retried.json()["status"] == "pending" and retried.json()["attempts"] == 0
    session.expire_all()
    row = await session.get(Notification, dead_id)
    assert row.next_attempt_at == clock.now()

    sent_id = ids[NotificationStatus.sent]
    refused = await client.post(f"/api/v1/admin/notifications/{sent_id}/retry", headers=admin_auth)
    assert refused.status_code == 409
    forbidden = await client.get("/api/v1/admin/notifications", headers=user_auth)
    assert forbidden.status_code == 403
    missing = await client.post("/api/v1/admin/notifications/99999/retry", headers=admin_auth)
    assert missing.status_code == 404
