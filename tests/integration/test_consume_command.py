"""`manage.py consume` refuses to start when it cannot do its job, and says why."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_unknown_channel_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown channel 'fax'; installed channels: email, sms, whatsapp, inbox, push"):
        call_command("consume", "fax")


def test_sms_consumer_refuses_to_start_without_provider_credentials(settings):
    settings.SMS_PROVIDER, settings.SMS_API_KEY = "africastalking", ""
    with pytest.raises(CommandError, match="SMS_API_KEY"):
        call_command("consume", "sms")
    settings.SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(CommandError, match="africastalking.*twilio|twilio.*africastalking"):
        call_command("consume", "sms")


@pytest.mark.parametrize("command", [("consume", "email"), ("relay",)])
def test_processes_refuse_to_start_in_production_without_the_outbox_key(comms_env, command):
    import subprocess
    import sys

    from tests.support.processes import ROOT

    env = {**comms_env, "DEBUG": "false", "OUTBOX_SECRET_KEY": "", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, str(ROOT / "manage.py"), *command], env={**__import__("os").environ, **env},
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert f"{command[0]} refuses to start: OUTBOX_SECRET_KEY is not set" in result.stderr


def test_email_consumer_refuses_to_start_with_a_reports_directory_it_cannot_use(settings):
    settings.REPORTS_STORAGE_DIR = "var/reports"
    with pytest.raises(CommandError, match="REPORTS_STORAGE_DIR='var/reports' is not an absolute path"):
        call_command("consume", "email")
    settings.REPORTS_STORAGE_DIR = "/"
    with pytest.raises(CommandError, match="REPORTS_STORAGE_DIR='/' is the filesystem root"):
        call_command("consume", "email")
