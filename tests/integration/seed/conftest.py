"""The seed's own tests run as a host project's tests would: with eager delivery on (README,
"The project's own tests") and Django's test email backend (locmem), which pytest-django sets."""
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def eager_email(settings):
    settings.COMMS_EAGER_DELIVERY = ["email"]
