"""The app on a clock shifted by a fixed offset, for browser journeys that need a time of day.

A journey that checks in at an activity needs the activity to start within minutes, at an
hour volunteers are available (a weekday morning), whenever CI happens to run. The server
started with ``create_app_at_offset`` reads ``KEPU_TEST_CLOCK_OFFSET_SECONDS`` and runs on
``real now + offset``: time still moves, so waits, expiries and check-in windows behave as
they do in production. Test code only; the service itself always runs on the system clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from service.app import create_app

OFFSET_ENV = "KEPU_TEST_CLOCK_OFFSET_SECONDS"


@dataclass(frozen=True)
class OffsetClock:
    offset: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


def create_app_at_offset():
    return create_app(clock=OffsetClock(timedelta(seconds=float(os.environ[OFFSET_ENV]))))
