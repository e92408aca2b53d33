import pytest

from service.settings import Settings

SMS_SECRET = "sms-gateway-secret"


@pytest.fixture
def settings(database_url) -> Settings:
    """The shared test settings plus a secret for the signed SMS inbound endpoint."""
    return Settings(
        env="test",
        database_url=database_url,
        run_worker_in_process=False,
        sms_inbound_secret=SMS_SECRET,
        _env_file=None,
    )
