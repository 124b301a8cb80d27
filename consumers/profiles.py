"""The host's code reads and changes what a recipient chose beyond consent: their time zone, their own quiet
hours and their language.

    from consumers import profiles

    profiles.set_language("wanjiku@example.com", "sw")        # her messages in Swahili (unless the event says)
    profiles.set_time_zone("+447700900123", "Europe/London")   # quiet hours kept in London time
    profiles.set_quiet_hours(user, "22:30-06:00")              # her own window; "off": none; None: the default
    profiles.get("+447700900123").time_zone                    # "Europe/London"

A recipient is keyed as their preferences are (consumers/consent.recipient_key): a user, an email address, a
phone number. A change of time zone or quiet hours makes the recipient's held messages due at once: the policy
decides again when each goes (consumers/holds.py). Nothing set is the default: COMMS_DEFAULT_TIME_ZONE, COMMS_QUIET_HOURS, and the language from the
event else COMMS_DEFAULT_LANGUAGE. The consumers read every recipient's profile of a batch in one query.
"""
from __future__ import annotations

from consumers import holds, quiet_hours
from consumers.consent import recipient_key
from consumers.languages import Language
from consumers.models import RecipientProfile


class ProfileError(ValueError):
    """A choice that cannot be recorded; the message says which part and what to give instead."""


def _key(recipient) -> str:
    try:
        return recipient_key(recipient)
    except ValueError as exc:
        raise ProfileError(f"{recipient!r} names no recipient: give a user, an email address or a phone number "
                           f"({exc})") from None


def get(recipient) -> RecipientProfile:
    """The recipient's profile (unsaved and empty when they never chose anything)."""
    key = _key(recipient)
    return RecipientProfile.objects.filter(key=key).first() or RecipientProfile(key=key)


def _update(recipient, **fields) -> RecipientProfile:
    profile, _ = RecipientProfile.objects.update_or_create(key=_key(recipient), defaults=fields)
    return profile


def set_language(recipient, language: Language | str | None) -> RecipientProfile:
    """The language the recipient reads (en, sw); None: not chosen (the event's, else COMMS_DEFAULT_LANGUAGE)."""
    if language is not None:
        try:
            language = Language(language).value
        except ValueError:
            raise ProfileError(f"{language!r} is not a language: use one of "
                               f"{', '.join(item.value for item in Language)}") from None
    return _update(recipient, language=language)


def set_time_zone(recipient, name: str | None) -> RecipientProfile:
    """The IANA time zone the recipient's quiet hours are kept in (Europe/London); None: COMMS_DEFAULT_TIME_ZONE."""
    if name:
        try:
            quiet_hours.zone(name)
        except quiet_hours.QuietHoursError as exc:
            raise ProfileError(str(exc)) from None
    profile = _update(recipient, time_zone=name or "")
    holds.reschedule(profile.key)
    return profile


def set_quiet_hours(recipient, window: str | None) -> RecipientProfile:
    """The recipient's own quiet hours, local `HH:MM-HH:MM` (may cross midnight), or "off" for none;
    None: COMMS_QUIET_HOURS."""
    if window:
        try:
            quiet_hours.window(window)
        except quiet_hours.QuietHoursError as exc:
            raise ProfileError(str(exc)) from None
        window = window.strip().lower() if window.strip().lower() == quiet_hours.OFF else window.replace(" ", "")
    profile = _update(recipient, quiet_hours=window or "")
    holds.reschedule(profile.key)
    return profile
