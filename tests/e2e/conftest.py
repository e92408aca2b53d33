import pytest

SMS_SECRET = "e2e-sms-secret"


@pytest.fixture
def settings_overrides() -> dict:
    """Two offers at a time (so a decline visibly cascades) and a signed SMS gateway."""
    return {"targeted_offer_count": 2, "sms_inbound_secret": SMS_SECRET}
