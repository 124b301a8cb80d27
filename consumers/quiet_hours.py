"""Quiet hours: the local hours in which a recipient gets no operational or marketing SMS, WhatsApp or push.

A window is a local start and end, `21:00-07:00` (the default, COMMS_QUIET_HOURS); a start after its end
crosses midnight; `off` (or a start equal to its end) is no window. It is applied in the recipient's time zone
(their profile's, else COMMS_DEFAULT_TIME_ZONE, `Africa/Nairobi`): a message inside it is held until the
window's end there, the next local `end` after now, so a clock change in between moves the release with it.
Which messages it applies to is settings too (COMMS_QUIET_HOURS_CATEGORIES, COMMS_QUIET_HOURS_CHANNELS);
critical and transactional messages are never held: a login code or an order confirmation is wanted now.
Pure functions of their arguments; the policy step (consumers/policy.py) gives them the recipient's profile.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from outbox.events.categories import Category

OFF = "off"
_WINDOW = re.compile(r"\s*([01]\d|2[0-3]):([0-5]\d)\s*-\s*([01]\d|2[0-3]):([0-5]\d)\s*")
NEVER_HELD = frozenset({Category.CRITICAL, Category.TRANSACTIONAL})


class QuietHoursError(ValueError):
    """A window or time zone that cannot be used; the message says what to give instead."""


@dataclass(frozen=True)
class Window:
    start: time
    end: time

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"

    def contains(self, moment: time) -> bool:
        if self.start <= self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end  # crosses midnight


def window(text: str) -> Window | None:
    """`21:00-07:00` as a Window; `off`, or a window that starts where it ends, as None (no quiet hours)."""
    if text.strip().lower() == OFF:
        return None
    if not (found := _WINDOW.fullmatch(text)):
        raise QuietHoursError(f"quiet hours {text!r}: give a local start and end as HH:MM-HH:MM (21:00-07:00), or off")
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    start, end = time(h1, m1), time(h2, m2)
    return None if start == end else Window(start, end)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone `name` (Africa/Nairobi, Europe/London)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise QuietHoursError(f"{name!r} is not a time zone: give an IANA name such as Africa/Nairobi") from None


def release_at(quiet: Window | None, where: ZoneInfo, now: datetime) -> datetime | None:
    """When a message at `now` (aware) may go to a recipient in `where`: None if now is outside the window, else
    the window's next end in local time, as UTC."""
    if quiet is None:
        return None
    local = now.astimezone(where)
    if not quiet.contains(local.time()):
        return None
    end = datetime.combine(local.date(), quiet.end, tzinfo=where)
    if end <= local:  # today's end has passed: the window crossed midnight and ends tomorrow
        end = datetime.combine(local.date() + timedelta(days=1), quiet.end, tzinfo=where)
    return end.astimezone(UTC)


def applies(category: Category | str, channel: str, categories: list[str], channels: list[str]) -> bool:
    """Whether quiet hours hold a message of `category` on `channel` (critical and transactional: never)."""
    return category not in NEVER_HELD and str(category) in categories and channel in channels


# --- the settings, resolved once per settings generation -------------------------------------------
@dataclass(frozen=True)
class Defaults:
    window: Window | None
    zone: ZoneInfo
    categories: list[str]
    channels: list[str]


_defaults_cache: tuple[int, Defaults | None] = (-1, None)


def defaults() -> Defaults:
    """COMMS_QUIET_HOURS, COMMS_DEFAULT_TIME_ZONE, COMMS_QUIET_HOURS_CATEGORIES and _CHANNELS, parsed."""
    from chesanto_comms.conf import comms, generation

    global _defaults_cache
    if _defaults_cache[0] != generation() or _defaults_cache[1] is None:
        _defaults_cache = (generation(), Defaults(window(comms.COMMS_QUIET_HOURS), zone(comms.COMMS_DEFAULT_TIME_ZONE),
                                                  list(comms.COMMS_QUIET_HOURS_CATEGORIES),
                                                  list(comms.COMMS_QUIET_HOURS_CHANNELS)))
    return _defaults_cache[1]
