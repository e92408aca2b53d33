"""Random secrets and their hashes: session ids, CSRF tokens, personal access tokens, and the
signed tokens of devices that have logged in before."""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_PREFIX = "kp_"


def new_secret(nbytes: int = 32) -> str:
    return secrets.token_urlsafe(nbytes)


def hash_secret(secret: str) -> str:
    """SHA-256 hex: secrets are long and random, so a fast hash is the right tool here."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_api_token() -> str:
    return TOKEN_PREFIX + new_secret(32)


def csrf_token_for(secret_key: str, binding: str) -> str:
    """The CSRF token bound to a cookie value (session id or pre-session id): HMAC-SHA256 hex.

    Signed double-submit: the token can be recomputed from the cookie without a database read,
    and nobody without the server secret can derive it from a cookie they planted.
    """
    return hmac.new(secret_key.encode(), b"csrf:" + binding.encode(), hashlib.sha256).hexdigest()


def keyed_hash(secret_key: str, value: str) -> str:
    """An HMAC of personal data (e.g. a phone) used as a lookup key without storing the value."""
    return hmac.new(secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()


def device_token_for(secret_key: str, user_id: int, nonce: str | None = None) -> str:
    """A known-device token ``nonce.signature``, bound to one user by an HMAC of both."""
    nonce = nonce or new_secret(16)
    signature = hmac.new(
        secret_key.encode(), f"device:{user_id}:{nonce}".encode(), hashlib.sha256
    ).hexdigest()
    return f"{nonce}.{signature}"


def device_token_is_for(secret_key: str, token: str | None, user_id: int) -> bool:
    """True when ``token`` was issued by this server to ``user_id`` (constant-time check)."""
    if not token or token.count(".") != 1 or len(token) > 200:
        return False
    nonce = token.split(".", 1)[0]
    expected = device_token_for(secret_key, user_id, nonce)
    return hmac.compare_digest(token.encode(), expected.encode())
