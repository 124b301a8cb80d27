"""A credential setting's value never appears in the error about it (`manage.py check` prints those)."""
from __future__ import annotations

import pytest

from chesanto_comms.conf import INT, Setting, SettingError


def test_a_secret_setting_of_the_wrong_type_is_named_without_its_value(settings):
    settings.SMS_API_KEY_TEST_ONLY = ["atsk_live_0123456789"]
    with pytest.raises(SettingError) as raised:
        Setting("SMS_API_KEY_TEST_ONLY", "", "a key").resolve()
    assert "atsk_live_0123456789" not in str(raised.value)
    assert str(raised.value) == "settings.SMS_API_KEY_TEST_ONLY=<hidden> is not a string"


def test_a_secret_setting_a_validator_refuses_is_named_without_its_value(settings):
    settings.CHAT_WEBHOOK_URL_TEST_ONLY = "https://hooks.slack.com/services/T0/B0/s3cr3t"
    setting = Setting("CHAT_WEBHOOK_URL_TEST_ONLY", "", "a URL", validate=lambda value: "not https to chat.example")
    with pytest.raises(SettingError, match=r"^CHAT_WEBHOOK_URL_TEST_ONLY=<hidden>: not https") as raised:
        setting.resolve()
    assert "s3cr3t" not in str(raised.value)


def test_an_ordinary_setting_still_says_what_was_wrong(settings):
    settings.EMAIL_CONCURRENCY_TEST_ONLY = "eight"
    with pytest.raises(SettingError, match=r"settings.EMAIL_CONCURRENCY_TEST_ONLY='eight' is not an integer"):
        Setting("EMAIL_CONCURRENCY_TEST_ONLY", 4, "sends", kind=INT).resolve()


def test_secret_may_be_said_outright():
    assert Setting("SHOWN_TOKEN_COUNT", 1, "a count", kind=INT, secret=False).hidden is False
    assert Setting("SIGNING_KEY", "", "a key", secret=True).hidden is True
