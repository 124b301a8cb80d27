"""The channel interface and registry.

A channel turns an event into messages on one medium and logs each one. Adding a
channel is one package `consumers/<name>/` with a `Channel` subclass and one line
in CHANNELS below.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from importlib import import_module

from chesanto_comms.conf import Settings
from consumers.channel_settings import DeliverySettings, read_delivery_settings
from consumers.events import InboundEvent
from consumers.outcomes import Delivery

CHANNELS = {
    "email": "consumers.email.channel.EmailChannel",
    "sms": "consumers.sms.channel.SMSChannel",
    "whatsapp": "consumers.whatsapp.channel.WhatsAppChannel",
    "inbox": "consumers.inbox.channel.InboxChannel",
    "push": "consumers.push.channel.PushChannel",
}


class Channel(ABC):
    name: str
    label: str  # how people call it: "email", "SMS"
    settings: Settings  # the channel's declared settings (consumers/<channel>/settings.py)
    settings_prefix: str  # EMAIL, SMS: the prefix of its EMAIL_CONCURRENCY, EMAIL_MAX_RETRIES, …

    @property
    def delivery(self) -> DeliverySettings:
        """Concurrency, timeout, retries and retention, resolved now."""
        return read_delivery_settings(self.settings, self.settings_prefix)

    @abstractmethod
    def handles(self, event_type: str) -> bool:
        """Whether this channel sends anything for the event type."""

    @abstractmethod
    def domains(self) -> list[str]:
        """The event domains (topics) this channel reads."""

    @abstractmethod
    def deliver(self, event: InboundEvent, *, final_attempt: bool = True) -> Delivery:
        """Send the event's messages and log each; idempotent per (event, template, recipient).

        The returned Delivery's verdict says what the loop does with the record: RETRY when some
        message failed transiently (never when `final_attempt`), DEAD_LETTER when one cannot render.
        """

    def settings_problems(self) -> list[str]:
        """What is wrong with the channel's settings as set, each naming its setting (an optional one left
        empty is not wrong). `manage.py check` reports them; `check()` refuses to start on them."""
        return []

    def deliver_many(self, events: list[InboundEvent], final_attempts: list[bool], lease=None) -> list[Delivery]:
        """Deliver several events in order (a channel may batch its database work); `lease` is the
        process's claim on what it sends (consumers/claims.py)."""
        return [self.deliver(event, final_attempt=final) for event, final in zip(events, final_attempts)]

    def check(self) -> None:
        """Raise ImproperlyConfigured saying what is misconfigured; `consume` refuses to start then."""

    def close(self) -> None:
        """Release provider connections."""


class UnknownChannel(LookupError):
    def __init__(self, name: str):
        super().__init__(f"unknown channel {name!r}; available: {', '.join(sorted(CHANNELS))}")


def channel_class(name: str) -> type[Channel]:
    try:
        module_path, _, class_name = CHANNELS[name].rpartition(".")
    except KeyError:
        raise UnknownChannel(name) from None
    return getattr(import_module(module_path), class_name)


def get_channel(name: str) -> Channel:
    return channel_class(name)()


def log_models() -> dict[str, type]:
    """Each channel's delivery-log model (consumers/delivery_log.py), by channel name."""
    return {name: model for name in CHANNELS if (model := getattr(channel_class(name), "log_model", None))}


def channel_packages() -> list[str]:
    """Each channel's package (`consumers.email`), which holds its models, settings and templates."""
    return [path.rsplit(".", 2)[0] for path in CHANNELS.values()]


def channel_modules(module: str) -> dict[str, str]:
    """The channels' `<package>.<module>` modules that exist (`webhooks`, `urls`, …), by channel name."""
    from importlib.util import find_spec

    found = {}
    for name, package in zip(CHANNELS, channel_packages()):
        if find_spec(f"{package}.{module}") is not None:
            found[name] = f"{package}.{module}"
    return found
