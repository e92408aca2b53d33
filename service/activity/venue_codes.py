"""The venue code (活动签到码): four digits per order that prove a volunteer is at the venue.

When a phone cannot locate itself (a basement hall, location switched off), the community
worker reads the code out or it is printed on the rating-code sheet; a check-in with the right
code counts as on site. The code is derived from the order id with an HMAC of the app secret,
so nothing is stored (no schema change) and it cannot be worked out from the order id alone.
Four digits are guessable, so wrong codes are throttled (``venue_code_limits``).
"""

from __future__ import annotations

import hmac
import unicodedata

from service.auth.throttle import Limit
from service.settings import Settings
from service.tokens import keyed_hash

LENGTH = 4
# Wrong codes one volunteer may try per order within KEPU_LOGIN_WINDOW_MINUTES (then 429).
MAX_WRONG_CODES = 5


def venue_code(settings: Settings, order_id: int) -> str:
    """The order's code: four digits, stable for the order's life, different per order."""
    digest = keyed_hash(settings.secret_key, f"venue-code:{order_id}")
    return f"{int(digest[:16], 16) % 10**LENGTH:0{LENGTH}d}"


def normalize(raw: str) -> str:
    """What the volunteer typed, as digits: full-width digits and spaces are forgiven."""
    return "".join(unicodedata.normalize("NFKC", raw).split())


def matches(settings: Settings, order_id: int, raw: str) -> bool:
    return hmac.compare_digest(normalize(raw), venue_code(settings, order_id))


def venue_code_limits(settings: Settings, *, volunteer_id: int, order_id: int) -> list[Limit]:
    """Tries per volunteer and order: a stranger cannot guess, a slip of the finger is fine."""
    key = keyed_hash(settings.secret_key, f"venue-code:{volunteer_id}:{order_id}")[:40]
    return [Limit(f"venue-code:{key}", MAX_WRONG_CODES)]
