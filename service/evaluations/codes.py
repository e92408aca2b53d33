"""Short rating codes that survive being read aloud, printed and typed on a phone."""

from __future__ import annotations

import re
import secrets

# No 0/O, 1/I/L: nothing a resident can confuse when copying from a printed slip.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
LENGTH = 6  # 31^6 ≈ 8.9e8 codes: guessing one is hopeless at any plausible request rate


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize(raw: str) -> str:
    """Upper-case, without the spaces or dashes people type between groups."""
    return re.sub(r"[\s-]", "", raw).upper()


def looks_valid(code: str) -> bool:
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)
