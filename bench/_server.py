"""The app under uvicorn as a separate process, for benchmarks that measure over real HTTP."""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Readiness:
    """How long the server took to answer /healthz, and to report its candidate index ready."""

    healthy_s: float
    ready_s: float
    index: dict | None  # /healthz's "candidate_index" when ready (None: the server has none)


class UvicornServer:
    """``uvicorn service.app:create_app --factory`` on a free port, as `kepu serve` runs it.

    Its log goes to a file, not a pipe: a server that logs a traceback per request (the
    database path at 1M volunteers) would block on a full pipe nobody reads.
    """

    def __init__(self, database_url: str, *, env: dict[str, str], workers: int = 1) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = Path(tempfile.mkstemp(prefix="kepu-bench-uvicorn-", suffix=".log")[1])
        full_env = {
            **os.environ,
            "KEPU_DATABASE_URL": database_url,
            "KEPU_ENV": "production",
            "KEPU_SECRET_KEY": secrets.token_urlsafe(48),
            "KEPU_PUBLIC_ORIGIN": self.base_url,
            # Sweeps in the same process would add noise to the timings.
            "KEPU_RUN_WORKER_IN_PROCESS": "false",
            **env,
        }
        self.started = time.monotonic()
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "uvicorn", "service.app:create_app", "--factory",
                    "--workers", str(workers), "--timeout-worker-healthcheck", "60",
                    "--port", str(self.port), "--loop", "uvloop", "--http", "httptools",
                    "--log-level", "warning",
                ],
                env=full_env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )  # fmt: skip

    def log_tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def last_exception(self, chars: int = 160) -> str:
        """The last exception line of the server log ("…Error: message"), shortened."""
        lines = [
            line
            for line in self.log.read_text(errors="replace").splitlines()
            if re.match(r"^[\w.]+(Error|Exception)\b.*:", line)
        ]
        return re.sub(r"\(\S+\) ", "", lines[-1])[:chars] if lines else ""  # no driver class

    def wait_ready(self, *, index: bool, timeout_s: float = 600) -> Readiness:
        """Poll /healthz until it answers, then (``index``) until its candidate index is ready:
        it says "idle" until the start-up build has begun, "building" while it runs."""
        healthy_s = None
        deadline = self.started + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"uvicorn exited:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/healthz", timeout=2)
            except httpx.HTTPError:
                response = None
            if response is not None and response.status_code == 200:
                elapsed = time.monotonic() - self.started
                healthy_s = healthy_s or elapsed
                found = response.json().get("candidate_index")
                if not index or (found or {}).get("state") == "ready":
                    return Readiness(healthy_s=healthy_s, ready_s=elapsed, index=found)
            time.sleep(0.1)
        raise RuntimeError(f"uvicorn not ready after {timeout_s:.0f} s:\n{self.log_tail()}")

    def rss_mb(self) -> float:
        """Resident memory of the uvicorn process and all its descendants (VmRSS)."""
        return sum(_vm_rss_kb(pid) for pid in _process_tree(self.process.pid)) / 1024

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.unlink(missing_ok=True)  # a traceback per request at 1M: megabytes a run


def _process_tree(root: int) -> list[int]:
    """``root`` and its descendants, from /proc/*/stat's parent ids."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (2nd field) may hold spaces; the parent id follows its ")".
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree.extend(frontier)
    return tree


def _vm_rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0
