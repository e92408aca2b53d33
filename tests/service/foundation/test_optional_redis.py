"""redis is an optional extra: asking for it without the package stops start-up with one line."""

import importlib.util

import pytest
from pydantic import ValidationError

from service.settings import Settings, describe_error


@pytest.fixture
def without_redis(monkeypatch):
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *args: None if name == "redis" else find_spec(name, *args),
    )


def test_a_redis_url_without_the_redis_package_names_the_extra(without_redis):
    with pytest.raises(ValidationError) as error:
        Settings(redis_url="redis://127.0.0.1:6379/0", _env_file=None)
    assert describe_error(error.value) == (
        "配置错误 / configuration error: KEPU_REDIS_URL: "
        "needs the redis package: pip install 'kepu-dispatch[redis]'"
    )


def test_the_embedded_default_needs_no_redis(without_redis):
    assert Settings(_env_file=None).redis_url is None
