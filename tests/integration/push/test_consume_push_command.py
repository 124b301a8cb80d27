"""`manage.py consume push` refuses to start, saying why, when the Firebase credentials are
missing or unreadable."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from tests.support.processes import ROOT

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_the_process_refuses_to_start_without_a_service_account(comms_env):
    env = {**os.environ, **comms_env, "PUSH_SERVICE_ACCOUNT": ""}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), "consume", "push"], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert "PUSH_SERVICE_ACCOUNT is empty" in result.stderr and "docs/push.md" in result.stderr


@pytest.mark.parametrize("value, problem", [
    ("/etc/chesanto/no-such-key.json", "/etc/chesanto/no-such-key.json cannot be read"),
    ('{"type": "service_account", "client_email": "x@y"', "is not JSON"),
    ('{"type": "service_account", "client_email": "x@y", "token_uri": "https://oauth2.googleapis.com/token"}',
     "lacks private_key"),
])
def test_unreadable_credentials_are_named(settings, value, problem):
    settings.PUSH_SERVICE_ACCOUNT = value
    with pytest.raises(CommandError, match=problem):
        call_command("consume", "push")
