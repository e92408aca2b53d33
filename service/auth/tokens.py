"""Random secrets and their hashes: session ids, CSRF tokens, personal access tokens."""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "kp_"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """SHA-256 hex: secrets are long and random, so a fast hash is the right tool here."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + new_secret(32)
