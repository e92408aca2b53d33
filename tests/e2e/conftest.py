import pytest

from service.settings import Settings

SMS_SECRET = "e2e-sms-secret"


@pytest.fixture
def settings(database_url) -> Settings:
    """Two offers at a time (so a decline visibly cascades) and a signed SMS gateway."""
    return Settings(
        env="test",
        database_url=database_url,
        run_worker_in_process=False,
        targeted_offer_count=2,
        sms_inbound_secret=SMS_SECRET,
        _env_file=None,
    )
