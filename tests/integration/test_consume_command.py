"""`manage.py consume` refuses to start when it cannot do its job, and says why."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def test_unknown_channel_is_a_clear_error():
    with pytest.raises(CommandError, match="unknown channel 'fax'; available: email"):
        call_command("consume", "fax")


def test_sms_consumer_refuses_to_start_without_provider_credentials(settings):
    settings.SMS_PROVIDER, settings.SMS_API_KEY = "africastalking", ""
    with pytest.raises(CommandError, match="SMS_API_KEY"):
        call_command("consume", "sms")
    settings.SMS_PROVIDER = "carrier-pigeon"
    with pytest.raises(CommandError, match="africastalking.*twilio|twilio.*africastalking"):
        call_command("consume", "sms")


def test_email_consumer_refuses_to_start_with_a_reports_directory_it_cannot_use(settings):
    settings.REPORTS_STORAGE_DIR = "var/reports"
    with pytest.raises(CommandError, match="REPORTS_STORAGE_DIR='var/reports' is not an absolute path"):
        call_command("consume", "email")
    settings.REPORTS_STORAGE_DIR = "/"
    with pytest.raises(CommandError, match="REPORTS_STORAGE_DIR='/' is the filesystem root"):
        call_command("consume", "email")
