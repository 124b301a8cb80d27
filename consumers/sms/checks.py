"""The SMS app's own system check: its callbacks' IP allow-list parses."""
from __future__ import annotations

from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from consumers.sms.settings import sms_settings
from consumers.webhooks.network import networks


def check_allowed_ips(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    try:
        networks(sms_settings.SMS_WEBHOOK_ALLOWED_IPS, "SMS_WEBHOOK_ALLOWED_IPS")
    except ImproperlyConfigured as exc:
        return [checks.Error(str(exc), id="webhooks.E001")]
    return []
