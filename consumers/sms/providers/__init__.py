"""SMS providers, chosen by SMS_PROVIDER. Adding one: a module here with an SmsProvider
subclass, and one line in PROVIDERS."""
from __future__ import annotations

from importlib import import_module

from consumers.sms.providers.base import SmsConfigError, SmsProvider
from consumers.sms.settings import sms_settings

PROVIDERS = {
    "africastalking": "consumers.sms.providers.africastalking.AfricasTalkingProvider",
    "twilio": "consumers.sms.providers.twilio.TwilioProvider",
}


class UnknownSmsProvider(SmsConfigError):
    def __init__(self, name: str):
        super().__init__(f"SMS_PROVIDER={name!r} is not a provider; choose one of: {', '.join(sorted(PROVIDERS))}")


def provider_class(name: str) -> type[SmsProvider]:
    try:
        module_path, _, class_name = PROVIDERS[name].rpartition(".")
    except KeyError:
        raise UnknownSmsProvider(name) from None
    return getattr(import_module(module_path), class_name)


def get_provider(name: str | None = None) -> SmsProvider:
    """The provider SMS_PROVIDER names, configured from the SMS_* settings."""
    return provider_class(name or sms_settings.SMS_PROVIDER).from_settings()
