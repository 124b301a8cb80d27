"""The channel interface and registry.

A channel turns an event into messages on one medium and logs each one. Each channel is a Django
app whose AppConfig is a ChannelApp (consumers/channel_app.py); the registry is the installed ones,
in INSTALLED_APPS order. A distribution names the channel apps it ships as entry points (group
`chesanto.channels`), so that a channel left out of INSTALLED_APPS gets a clear answer.
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from chesanto_comms.conf import Settings
from consumers.channel_app import ChannelApp
from consumers.channel_settings import DeliverySettings, read_delivery_settings
from consumers.events import InboundEvent
from consumers.outcomes import Delivery

CHANNEL_ENTRY_POINTS = "chesanto.channels"  # a distribution's channel apps, by channel name (pyproject.toml)


def available() -> dict[str, str]:
    """The channel apps the installed distributions offer (`email` → `consumers.email`), whether or not
    INSTALLED_APPS has them: what an error can tell a host to add."""
    from importlib.metadata import entry_points

    return {point.name: point.value for point in entry_points(group=CHANNEL_ENTRY_POINTS)}


class Channel(ABC):
    """What the consume loop needs of a channel. Nearly every channel subclasses LoggedChannel
    (consumers/delivery.py), which keeps the delivery log: only such a channel has its templates in the
    catalogue and checked by `manage.py check`, and can be replayed (`replay` says so of any other)."""

    name: str
    label: str  # how people call it: "email", "SMS"
    settings: Settings  # the channel's declared settings (its app's settings module)
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


def installed() -> dict[str, ChannelApp]:
    """Every installed channel app, by channel name, in INSTALLED_APPS order."""
    from django.apps import apps

    return {app.channel_name: app for app in apps.get_app_configs() if isinstance(app, ChannelApp)}


class UnknownChannel(LookupError):
    def __init__(self, name: str):
        installed_names = ", ".join(installed()) or "none"
        offered = available()
        if name in offered:
            reason = f"channel {name!r} is not installed: add {offered[name]!r} to INSTALLED_APPS"
        else:
            reason = f"unknown channel {name!r}"
        super().__init__(f"{reason}; installed channels: {installed_names}")


def channel_app(name: str) -> ChannelApp:
    try:
        return installed()[name]
    except KeyError:
        raise UnknownChannel(name) from None


def channel_class(name: str) -> type[Channel]:
    return channel_app(name).load_channel_class()


def get_channel(name: str) -> Channel:
    return channel_class(name)()


def names() -> list[str]:
    """The installed channels' names."""
    return list(installed())


def log_models() -> dict[str, type]:
    """Each installed channel's delivery-log model (consumers/delivery_log.py), by channel name."""
    return {name: model for name in installed() if (model := getattr(channel_class(name), "log_model", None))}


def channel_modules(module: str) -> dict[str, str]:
    """The installed channels' `<package>.<module>` modules that exist (`webhooks`, `urls`, …), by channel name."""
    return {name: dotted for name, app in installed().items() if (dotted := app.submodule(module))}
