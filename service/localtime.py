"""Local wall-clock time for people: instants are stored in UTC and shown in ``KEPU_TIMEZONE``."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

# How notifications and refusals write a moment: 05月20日 14:30.
SHORT_FORMAT = "%m月%d日 %H:%M"


def to_local(moment: datetime, zone: str) -> datetime:
    """``moment`` in the time zone ``zone`` (the settings' ``timezone``).

    A naive value is read as UTC, which is how the database hands back what it stores.
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def local_text(moment: datetime, zone: str, fmt: str = SHORT_FORMAT) -> str:
    """``moment`` as people in ``zone`` read it (``%m月%d日 %H:%M`` unless ``fmt`` says else)."""
    return to_local(moment, zone).strftime(fmt)
