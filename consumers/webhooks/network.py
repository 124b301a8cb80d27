"""The caller's IP address, and the optional allow-list for callbacks that carry no signature.

Behind reverse proxies REMOTE_ADDR is the nearest proxy. X-Forwarded-For is trusted only
when WEBHOOK_PROXY_COUNT says how many proxies append to it: the caller is then the entry
that many places from the right (entries further left are whatever the caller wrote).
"""
from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest

from chesanto_comms.conf import comms

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address


def client_ip(request: HttpRequest) -> Address | None:
    hops = comms.WEBHOOK_PROXY_COUNT
    if hops <= 0:
        raw = request.META.get("REMOTE_ADDR", "")
    else:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) < hops:
            return None  # fewer proxies than configured: the caller cannot be told
        raw = forwarded[-hops]
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return None
    if isinstance(address, IPv6Address) and address.ipv4_mapped:  # ::ffff:1.2.3.4 is 1.2.3.4
        return address.ipv4_mapped
    return address


def networks(entries: list[str], setting: str) -> list[Network]:
    try:
        return [ipaddress.ip_network(entry, strict=False) for entry in entries]
    except ValueError as exc:
        raise ImproperlyConfigured(f"{setting}: {exc} (use addresses or CIDRs, comma-separated)") from None


def ip_allowed(request: HttpRequest, entries: list[str], setting: str) -> bool:
    """True when the allow-list is empty or holds the caller's address."""
    if not entries:
        return True
    address = client_ip(request)
    return address is not None and any(address in network for network in networks(entries, setting))
