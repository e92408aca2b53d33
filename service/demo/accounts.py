"""Fixed demo logins, printed by ``make run`` so a newcomer can try every role."""

from __future__ import annotations

DEMO_PASSWORD = "kepu2026"

# (role, phone). The demo loader creates exactly these users with these roles.
DEMO_LOGINS: tuple[tuple[str, str], ...] = (
    ("admin", "13800000001"),
    ("coordinator", "13800000002"),  # 芝罘区 district coordinator
    ("worker", "13800000003"),  # 社区工作者 of the first community
    ("volunteer", "13800000004"),
    ("team_leader", "13800000005"),
)
