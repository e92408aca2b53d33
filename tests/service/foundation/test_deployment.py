"""docker/: no Docker engine runs here, so check what can be checked without one."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
COMPOSE = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())


def test_compose_runs_app_worker_migration_and_postgres():
    services = COMPOSE["services"]
    assert {"db", "migrate", "app", "worker"} <= set(services)
    assert services["db"]["image"].startswith("postgres:")
    app_env = services["app"]["environment"]
    assert app_env["KEPU_DATABASE_URL"].startswith("postgresql+asyncpg://")
    assert app_env["KEPU_ENV"] == "production"


@pytest.mark.parametrize("service", ["migrate", "app", "worker"])
def test_compose_commands_are_real_cli_commands(service):
    command = COMPOSE["services"][service]["command"]
    assert command[0] == "kepu"
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", *command[1:], "--help"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_dockerfile_copies_only_paths_that_exist():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (\S+)", dockerfile, flags=re.MULTILINE):
        assert (ROOT / source).exists(), source
