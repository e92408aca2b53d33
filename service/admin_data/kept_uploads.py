"""Uploaded files kept on the server between the dry run and the commit.

The commit never trusts rows sent back by the browser: the page carries only a random token,
and the commit reads the very bytes the dry run checked, then checks them again. A token is
bound to the person who uploaded it and to what it is (volunteers, areas) and lives an hour.
Files live in one folder of the machine's temporary directory: every worker process of one
host sees them (a deployment over several hosts would point ``KEPT_DIR`` at shared storage).
"""

from __future__ import annotations

import json
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

KEPT_DIR = Path(tempfile.gettempdir()) / "kepu-imports"
LIFETIME_SECONDS = 3600
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,64}$")


@dataclass(frozen=True)
class KeptUpload:
    data: bytes
    filename: str


def keep(data: bytes, *, filename: str, owner_user_id: int, kind: str) -> str:
    """Store the bytes; the returned token names them."""
    KEPT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    _forget_old()
    token = secrets.token_urlsafe(24)
    (KEPT_DIR / f"{token}.bin").write_bytes(data)
    meta = {"filename": filename[:200], "owner": owner_user_id, "kind": kind, "at": time.time()}
    (KEPT_DIR / f"{token}.json").write_text(json.dumps(meta), encoding="utf-8")
    return token


def take(token: str, *, owner_user_id: int, kind: str) -> KeptUpload | None:
    """The kept file, if the token is well formed, not expired, this person's and this kind."""
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    try:
        meta = json.loads((KEPT_DIR / f"{token}.json").read_text(encoding="utf-8"))
        data = (KEPT_DIR / f"{token}.bin").read_bytes()
    except (OSError, ValueError):
        return None
    fresh = time.time() - meta.get("at", 0) < LIFETIME_SECONDS
    if not fresh or meta.get("owner") != owner_user_id or meta.get("kind") != kind:
        return None
    return KeptUpload(data=data, filename=meta.get("filename", ""))


def forget(token: str) -> None:
    if isinstance(token, str) and _TOKEN.fullmatch(token):
        for suffix in (".bin", ".json"):
            (KEPT_DIR / f"{token}{suffix}").unlink(missing_ok=True)


def _forget_old() -> None:
    limit = time.time() - LIFETIME_SECONDS
    for path in KEPT_DIR.glob("*.json"):
        try:
            if path.stat().st_mtime < limit:
                forget(path.stem)
        except OSError:
            continue
