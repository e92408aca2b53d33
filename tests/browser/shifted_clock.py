"""The app on a shifted clock that a test can move, for journeys that need a time of day.

A journey that checks in at an activity needs the activity to start within minutes, at an
hour volunteers are available (a weekday morning), whenever CI happens to run — and then an
hour to pass before checking out. The server started with ``create_app_on_shifted_clock``
runs on ``real now + offset``, the offset (seconds) read from the file named by
``KEPU_TEST_CLOCK_FILE`` on every reading: time still flows, so waits, expiries and check-in
windows behave as in production, and the test moves time forward by rewriting the file.
Test code only; the service itself always runs on the system clock.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from service.app import create_app

CLOCK_FILE_ENV = "KEPU_TEST_CLOCK_FILE"


@dataclass(frozen=True)
class ShiftedClock:
    offset_file: Path

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=float(self.offset_file.read_text()))


def create_app_on_shifted_clock():
    return create_app(clock=ShiftedClock(Path(os.environ[CLOCK_FILE_ENV])))


def set_shift(offset_file: Path, target_now: datetime) -> None:
    """Make the server's now ``target_now`` (from this moment on, time flows from there)."""
    offset = (target_now - datetime.now(UTC)).total_seconds()
    offset_file.write_text(f"{offset:.3f}")


def shifted_now(offset_file: Path) -> datetime:
    return ShiftedClock(offset_file).now()
