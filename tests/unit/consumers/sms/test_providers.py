"""Choosing and configuring the provider from the SMS_* settings."""
from __future__ import annotations

import pytest

from consumers.sms.providers import PROVIDERS, UnknownSmsProvider, get_provider, provider_class
from consumers.sms.providers.africastalking import AfricasTalkingProvider
from consumers.sms.providers.base import SmsConfigError, SmsProvider
from consumers.sms.providers.twilio import TwilioProvider


@pytest.fixture
def sms_settings(settings):
    settings.SMS_API_KEY, settings.SMS_USERNAME, settings.SMS_SENDER_ID = "key", "chesanto", "CHESANTO"
    settings.SMS_API_URL, settings.SMS_TIMEOUT = "http://127.0.0.1:8025/", 3.5
    return settings


@pytest.mark.parametrize("name, cls", [("africastalking", AfricasTalkingProvider), ("twilio", TwilioProvider)])
def test_sms_provider_setting_chooses_the_class(sms_settings, name, cls):
    sms_settings.SMS_PROVIDER = name
    provider = get_provider()
    assert type(provider) is cls and provider.name == name
    assert (provider.base_url, provider.timeout) == ("http://127.0.0.1:8025", 3.5)
    assert (provider.api_key, provider.username, provider.sender_id) == ("key", "chesanto", "CHESANTO")


def test_every_registered_provider_resolves():
    assert {name: provider_class(name).name for name in PROVIDERS} == {name: name for name in PROVIDERS}


def test_unknown_provider_names_the_choices(sms_settings):
    sms_settings.SMS_PROVIDER = "safaricom"
    with pytest.raises(UnknownSmsProvider, match="SMS_PROVIDER='safaricom' is not a provider; choose one of: africastalking, twilio"):
        get_provider()


@pytest.mark.parametrize("setting", ["SMS_API_KEY", "SMS_USERNAME"])
def test_missing_credentials_name_the_setting(sms_settings, setting):
    setattr(sms_settings, setting, "")
    with pytest.raises(SmsConfigError, match=f"{setting} is empty: set it for Africa's Talking"):
        get_provider("africastalking")


def test_a_provider_missing_a_step_fails_naming_its_class():
    class HalfDone(SmsProvider):
        name, label, default_base_url = "half", "Half", "http://example.invalid"

        def build_request(self, to, text):
            raise AssertionError

    with pytest.raises(TypeError, match="HalfDone.*parse_response"):
        HalfDone(api_key="k", username="u")
