"""Phone numbers, one rule for the event schemas (`fields.Phone`) and the SMS channel: parsed with
`phonenumbers`, a national number read in COMMS_PHONE_REGION, valid for its country, and kept
and sent in E.164 (`0712 345 678` → `+254712345678`).

Only ASCII digits, an optional leading `+`, spaces, dots, dashes and brackets are accepted before
parsing: phonenumbers itself reads other digits (`٧١٢` as 712), letters (`1-800-FLOWERS`) and
extensions (`x12`, dropped from E.164), none of which should reach an SMS provider unseen.
"""
from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from chesanto_comms.conf import comms

MAX_WRITTEN_LENGTH = 30  # longest number as written (spaces and dashes included)
_WRITTEN = re.compile(r"\+?[0-9 ().\-]+")  # [0-9], not \d: \d matches every script's digits
_EXAMPLE = "+254712345678, or 0712 345 678 in the default region"


class InvalidPhoneNumber(ValueError):
    """Not a valid phone number; the message says why."""


def e164(number: object, region: str | None = None) -> str:
    """`number` in E.164; national numbers are read in `region` (default COMMS_PHONE_REGION).
    Raises InvalidPhoneNumber."""
    if not isinstance(number, str):
        raise InvalidPhoneNumber(f"{number!r} is not a phone number: expected text such as {_EXAMPLE}")
    number = number.strip()
    if region is None and not number.startswith("+"):  # only a national number needs the region (a setting read)
        region = comms.COMMS_PHONE_REGION
    return _e164(number, region)


@lru_cache(maxsize=4096)  # emit() pays ~50 µs per parse; the same numbers come back (errors are not cached)
def _e164(number: str, region: str | None) -> str:
    if len(number) > MAX_WRITTEN_LENGTH:
        raise InvalidPhoneNumber(f"{number[:40]!r}… is not a phone number: longer than {MAX_WRITTEN_LENGTH} characters")
    if not _WRITTEN.fullmatch(number) or not any(ch.isdigit() for ch in number):
        detail = ("has digits other than ASCII 0-9" if any(ch.isdigit() and not ch.isascii() for ch in number)
                  else "may hold only ASCII digits, a leading '+', spaces, dots, dashes and brackets")
        raise InvalidPhoneNumber(f"{number!r} is not a phone number: it {detail} (e.g. {_EXAMPLE})")
    try:
        parsed = phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException as exc:
        reason = str(exc).split(") ", 1)[-1].rstrip(".")  # "(1) The string supplied did not seem to be …."
        raise InvalidPhoneNumber(f"{number!r} is not a phone number: {reason} (e.g. {_EXAMPLE})") from None
    if not phonenumbers.is_valid_number(parsed):
        where = phonenumbers.region_code_for_number(parsed) or f"country code +{parsed.country_code}"
        raise InvalidPhoneNumber(
            f"{number!r} is not a valid phone number in {where} (national numbers are read in "
            f"COMMS_PHONE_REGION={region or comms.COMMS_PHONE_REGION}; e.g. {_EXAMPLE})")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def masked_phone(number: str) -> str:
    """How a phone number appears in log lines: its country code and last three digits (`+254•••••678`).
    The whole number is in the log row, where access is the admin's."""
    try:
        code = str(phonenumbers.parse(number).country_code) if number.startswith("+") else ""
    except phonenumbers.NumberParseException:
        code = ""
    digits = number.lstrip("+")
    if len(digits) < 7 or len(digits) <= len(code) + 3:  # too short to show any of
        return "•" * len(number)
    return f"{'+' if number.startswith('+') else ''}{code}{'•' * (len(digits) - len(code) - 3)}{digits[-3:]}"
