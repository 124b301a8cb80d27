"""What an SMS text costs on the wire: its encoding (GSM-7 or UCS-2) and its segments. Here, beside the
run-time base, because the SMS channel (consumers/sms/compose.py) and the embedded provider servers
(chesanto_comms/embedded/sms/) count alike. (Phone numbers follow the event schemas' rule:
outbox/events/phones.py.)

GSM-7 (3GPP TS 23.038) packs 160 septets in one SMS; a character of the extension
table (€ [ ] { } \\ ^ ~ | and form feed) is sent as ESC + char, so it counts 2. A text
with any other character goes as UCS-2: 70 UTF-16 code units in one SMS, and an
emoji outside the Basic Multilingual Plane is a surrogate pair, so it counts 2.
A long text is split into parts that each lose room to the concatenation header
(153 septets / 67 units), and a part never splits an escape sequence or a surrogate
pair, which is why we pack the parts instead of dividing.
"""
from __future__ import annotations

from dataclasses import dataclass

GSM7 = "GSM-7"
UCS2 = "UCS-2"

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

# (units in a single SMS, units per part of a concatenated SMS)
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsEncoding:
    encoding: str  # GSM7 or UCS2
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int

    def __str__(self) -> str:
        unit = "septets" if self.encoding == GSM7 else "UTF-16 units"
        return f"{self.encoding}, {self.units} {unit}, {self.segments} segment{'s' * (self.segments != 1)}"


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _char_units(text: str, encoding: str) -> list[int]:
    if encoding == GSM7:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # astral characters are surrogate pairs


def analyse(text: str) -> SmsEncoding:
    """The encoding a handset would use for `text`, its length in units and its segment count."""
    encoding = GSM7 if is_gsm7(text) else UCS2
    sizes = _char_units(text, encoding)
    units = sum(sizes)
    single, per_part = LIMITS[encoding]
    if units <= single:
        return SmsEncoding(encoding, units, 1)
    segments, room = 1, per_part
    for size in sizes:
        if size > room:  # this character would straddle two parts: it starts the next one
            segments, room = segments + 1, per_part
        room -= size
    return SmsEncoding(encoding, units, segments)
