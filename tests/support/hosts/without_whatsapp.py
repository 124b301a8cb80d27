"""A host that leaves the WhatsApp channel out: the test run's settings less `consumers.whatsapp`."""
from tests.settings import *  # noqa: F403

INSTALLED_APPS = [app for app in INSTALLED_APPS if app != "consumers.whatsapp"]  # noqa: F405
