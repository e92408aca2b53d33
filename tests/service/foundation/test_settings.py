import os
import subprocess
import sys

import pytest
from pydantic import ValidationError

from service.settings import DEV_SECRET, Settings, describe_error


def test_default_database_is_a_sqlite_file():
    settings = Settings(_env_file=None)
    assert settings.database_url.startswith("sqlite+aiosqlite:///")
    assert settings.database_url.endswith("data/kepu.db")


def test_production_refuses_the_default_secret():
    with pytest.raises(ValidationError) as caught:
        Settings(env="production", secret_key=DEV_SECRET, _env_file=None)
    assert "KEPU_SECRET_KEY" in describe_error(caught.value)


def test_production_accepts_a_real_secret():
    settings = Settings(
        env="production",
        secret_key="x" * 40,
        public_origin="https://kepu.example.cn",
        _env_file=None,
    )
    assert settings.secret_key == "x" * 40


def test_unknown_database_driver_is_refused_with_its_name():
    with pytest.raises(ValidationError) as caught:
        Settings(database_url="mysql://root@localhost/kepu", _env_file=None)
    message = describe_error(caught.value)
    assert message.startswith("配置错误 / configuration error: KEPU_DATABASE_URL:")
    assert "'mysql'" in message


def test_malformed_setting_stops_the_cli_with_one_clear_line(tmp_path):
    env = {**os.environ, "KEPU_DB_POOL_SIZE": "lots", "KEPU_DATABASE_URL": "sqlite+aiosqlite:///x"}
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [lines[0]] and "KEPU_DB_POOL_SIZE" in lines[0]
    assert "Traceback" not in result.stderr


def test_unknown_time_zone_is_refused_with_its_name():
    with pytest.raises(ValidationError) as caught:
        Settings(timezone="Asia", _env_file=None)  # a folder of zones, not a zone
    assert describe_error(caught.value).startswith(
        "配置错误 / configuration error: KEPU_TIMEZONE: unknown time zone 'Asia'"
    )


def test_unknown_time_zone_stops_the_cli_with_one_clear_line(tmp_path):
    env = {
        **os.environ,
        "KEPU_TIMEZONE": "Mars/Olympus",
        "KEPU_DATABASE_URL": "sqlite+aiosqlite:///x",
    }
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "配置错误 / configuration error: KEPU_TIMEZONE: "
        "unknown time zone 'Mars/Olympus' (an IANA name such as Asia/Shanghai)"
    ]


def test_any_iana_time_zone_is_accepted():
    assert Settings(timezone="Asia/Urumqi", _env_file=None).timezone == "Asia/Urumqi"
