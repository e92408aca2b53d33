"""The background entry point delivers with the configured sender; the CLI command exists."""

import logging

from typer.testing import CliRunner

from service.cli import app as cli
from service.notifications.outbox import notify
from service.notifications.worker import deliver_notifications
from tests.factories import make_user


async def test_deliver_notifications_uses_the_log_sender_by_default(app, session, clock, caplog):
    caplog.set_level(logging.INFO, logger="kepu.notifications")
    user = await make_user(session, phone="13811112222")
    await notify(session, user_id=user.id, kind="t", title="活动提醒", now=clock.now())
    await session.commit()
    report = await deliver_notifications(app.state.sessionmaker, app.state.settings, clock.now())
    assert (report.claimed, report.sent) == (1, 1)
    assert "活动提醒" in caplog.text and "138****2222" in caplog.text
    assert "13811112222" not in caplog.text


def test_cli_has_notifications_send_once():
    result = CliRunner().invoke(cli, ["notifications", "--help"])
    assert result.exit_code == 0 and "send-once" in result.output
