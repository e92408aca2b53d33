"""Password hashing with argon2id (pwdlib), run off the event loop."""

from __future__ import annotations

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_hasher = PasswordHash((Argon2Hasher(),))  # argon2id with pwdlib's recommended parameters


def hash_password_sync(password: str) -> str:
    return _hasher.hash(password)


async def hash_password(password: str) -> str:
    """Hash in a worker thread: argon2 is deliberately slow and must not block other requests."""
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def verify_password(password: str, password_hash: str | None) -> bool:
    """True when ``password`` matches; a missing hash still costs a hash (no timing oracle)."""
    if not password_hash:
        await anyio.to_thread.run_sync(_hasher.hash, password)
        return False
    return await anyio.to_thread.run_sync(_hasher.verify, password, password_hash)
