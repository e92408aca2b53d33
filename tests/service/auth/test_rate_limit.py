"""enforce_rate_limit: every attempt counts, the one past the limit is a 429 with Retry-After."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from service.auth.throttle import DatabaseThrottle, Limit, enforce_rate_limit
from service.errors import TooManyRequests


async def test_the_attempt_past_the_limit_is_refused_with_a_wait(session, settings):
    throttle = DatabaseThrottle(session, settings)
    now = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    limits = [Limit(key="code:order:1", max_failures=3)]
    for _ in range(3):
        await enforce_rate_limit(throttle, limits, now=now)
    with pytest.raises(TooManyRequests) as refused:
        await enforce_rate_limit(throttle, limits, now=now)
    assert refused.value.retry_after > 0
    assert "分钟后重试" in refused.value.detail
    # Another key is not affected, and the window slides.
    await enforce_rate_limit(throttle, [Limit(key="code:order:2", max_failures=3)], now=now)
    later = now + timedelta(minutes=settings.login_window_minutes, seconds=1)
    await enforce_rate_limit(throttle, limits, now=later)
