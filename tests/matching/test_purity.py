"""The matching core stays pure: importing it pulls in no web framework or ORM."""

import subprocess
import sys

FORBIDDEN = ("fastapi", "starlette", "sqlalchemy", "sqlmodel")

_PROBE = """
import importlib, pkgutil, sys
import matching
for info in pkgutil.walk_packages(matching.__path__, "matching."):
    importlib.import_module(info.name)
print(",".join(sorted(m for m in sys.modules if m.split(".")[0] in {forbidden!r})))
"""


def test_importing_every_matching_module_loads_no_web_or_orm_package():
    probe = _PROBE.format(forbidden=set(FORBIDDEN))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_probe_would_notice_a_forbidden_import():
    # Guard against a probe that can never fail: importing sqlalchemy first must be reported.
    probe = "import sqlalchemy\n" + _PROBE.format(forbidden=set(FORBIDDEN))
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "sqlalchemy" in out.stdout
