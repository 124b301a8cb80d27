"""The test run's settings: the standalone project's, with the example modules installed and
keys of this run's own (the processes the tests start get them through their environment)."""
import os
import secrets

from cryptography.fernet import Fernet

os.environ.setdefault("EXAMPLES_ENABLED", "true")
os.environ.setdefault("SECRET_KEY", f"tests-only-{secrets.token_urlsafe(32)}")
# Quiet hours would hold the suite's operational and marketing messages whenever it runs in the evening:
# off unless a test turns them on (a recipient's profile window, or settings.COMMS_QUIET_HOURS).
os.environ.setdefault("COMMS_QUIET_HOURS", "off")

from config.settings import *  # noqa: E402,F403

OUTBOX_SECRET_KEY = os.environ.get("OUTBOX_SECRET_KEY") or Fernet.generate_key().decode()

# The test client and the browser test speak plain HTTP to the test server: no redirect to https,
# cookies sent over http. (The processes the tests start serve no HTTP and keep the secure defaults.)
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
