"""Which address a callback came from, and the allow-list."""
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from consumers.webhooks.network import client_ip, ip_allowed

ALLOWED = ["196.201.214.0/24", "2001:db8::/32"]


def request(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/webhooks/africastalking/delivery/x/", **extra)


@pytest.mark.parametrize(("hops", "remote", "forwarded", "expected"), [
    (0, "196.201.214.7", "10.9.9.9", "196.201.214.7"),  # no proxy: the header is ignored
    (1, "10.0.0.2", "203.0.113.1, 196.201.214.7", "196.201.214.7"),  # the entry our proxy appended
    (2, "10.0.0.2", "203.0.113.1, 196.201.214.7, 10.0.0.9", "196.201.214.7"),
    (2, "10.0.0.2", "196.201.214.7", None),  # fewer entries than proxies: unknown
    (0, "::ffff:196.201.214.7", None, "196.201.214.7"),  # IPv4 seen through an IPv6 socket
    (0, "not-an-address", None, None),
])
def test_client_ip(settings, hops, remote, forwarded, expected):
    settings.WEBHOOK_PROXY_COUNT = hops
    found = client_ip(request(remote, forwarded))
    assert (str(found) if found else None) == expected


@pytest.mark.parametrize(("remote", "allowed"), [
    ("196.201.214.200", True), ("196.201.215.1", False), ("2001:db8::5", True), ("2001:db9::5", False),
])
def test_allow_list(settings, remote, allowed):
    settings.WEBHOOK_PROXY_COUNT = 0
    assert ip_allowed(request(remote), ALLOWED, "SMS_WEBHOOK_ALLOWED_IPS") is allowed


def test_an_empty_allow_list_allows_anyone(settings):
    settings.WEBHOOK_PROXY_COUNT = 0
    assert ip_allowed(request("203.0.113.1"), [], "SMS_WEBHOOK_ALLOWED_IPS")


def test_a_bad_entry_names_the_setting(settings):
    settings.WEBHOOK_PROXY_COUNT = 0
    with pytest.raises(ImproperlyConfigured, match="SMS_WEBHOOK_ALLOWED_IPS"):
        ip_allowed(request("203.0.113.1"), ["196.201.214.0/24", "bakery"], "SMS_WEBHOOK_ALLOWED_IPS")
