"""A host project with the chat channel installed: the repository's test settings (config.settings
plus this run's keys) and one more app, as a bakery adds it. The core's own config is untouched."""
from tests.settings import *  # noqa: F403 - the repository's tests/settings.py

INSTALLED_APPS = [*INSTALLED_APPS, "chesanto_chat"]  # noqa: F405
