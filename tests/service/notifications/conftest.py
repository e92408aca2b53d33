import pytest

SMS_SECRET = "sms-gateway-secret"


@pytest.fixture
def settings_overrides() -> dict:
    """A secret for the signed SMS inbound endpoint."""
    return {"sms_inbound_secret": SMS_SECRET}
