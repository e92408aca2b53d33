"""The policy for new passwords: long enough, not the phone number, not a common password.

It applies where a password is chosen (registration, admin-created users, resets, changes),
never at login: accounts made before the policy (the demo logins) keep working.

"Common" means the password, lower-cased, with the usual letter-for-digit swaps undone
(``P@ssw0rd`` → ``password``) and with or without trailing digits and symbols
(``dragon2026!`` → ``dragon``), is in the bundled list ``common_passwords.txt``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from service.errors import InvalidInput
from service.messages import text
from service.settings import Settings

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common_passwords.txt")
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")
# Two readings of "1" (i and l); the other swaps are unambiguous.
_UNLEET = (str.maketrans("0134579@$!", "oieastgasi"), str.maketrans("0134579@$!", "oleastgasi"))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def _readings(password: str) -> set[str]:
    lowered = password.lower()
    readings = {lowered, *(lowered.translate(table) for table in _UNLEET)}
    readings |= {_TRAILING_DIGITS_AND_SYMBOLS.sub("", reading) for reading in readings}
    return {reading for reading in readings if reading}


def is_common(password: str) -> bool:
    """True when the password is, or is built on, one of the bundled common passwords."""
    return not common_passwords().isdisjoint(_readings(password))


def check_new_password(password: str, settings: Settings, *, phone: str | None) -> None:
    """Refuse a new password that is short, contains the phone number, or is common."""
    if len(password) < settings.password_min_length:
        raise InvalidInput(
            text("refusal.password.too_short", min_length=settings.password_min_length),
            code="weak",
        )
    if phone and phone in password:
        raise InvalidInput(text("refusal.password.contains_phone"), code="weak")
    if len(set(password)) < 4:
        raise InvalidInput(text("refusal.password.too_simple"), code="weak")
    if is_common(password):
        raise InvalidInput(text("refusal.password.common"), code="weak")
