"""What `emit()` refuses beyond an event type's schema, each as a typed error before anything is
written (a database error there would abort the caller's whole transaction):

- a NUL character anywhere in the data, the key or the actor: PostgreSQL refuses U+0000 in text
  and jsonb;
- a key or an actor that is empty, longer than 255 characters or not encodable text (a lone
  surrogate): the key is a varchar(255) column and the Kafka record's key;
- an event whose Kafka record would exceed OUTBOX_MAX_EVENT_BYTES: a broker refuses it later, and
  the row would park in the relay, holding back every later event of its key.

The checks read the JSON emit() makes anyway: one scan for an escaped NUL, one length.
"""
from __future__ import annotations

import re
from typing import Any

NUL = "\x00"
ESCAPED_NUL = "\\u0000"  # U+0000 as JSON writes it
MAX_ID_LENGTH = 255  # outbox_event.aggregateid is a varchar(255)
# What the relay adds around the payload and emit's headers (chesanto_comms/records.py): the ce_* header names,
# ce_id, ce_time, ce_specversion, content-type, ce_source (a prefix of up to ~500 characters) and Kafka's
# record and batch framing. tests/unit/relay/test_records.py checks it stays an upper bound.
RECORD_OVERHEAD = 1024
# A number in e-notation as a value in compact JSON (Python writes only floats so, |exponent| <= 324).
# The same shape inside a string (rare) only loosens the bound, by at most 326 bytes a match.
_EXPONENT = re.compile(r"[:\[,]-?\d+(?:\.\d+)?[eE]([-+]?\d+)(?=[,\]}])")
MAX_FLOAT_EXPONENT = 324
NUL_PROBLEM = "contains a NUL character (\\x00), which PostgreSQL cannot store; remove it"
# The smallest OUTBOX_MAX_EVENT_BYTES allowed: an event below it (nearly all) is not checked against the
# setting at all, which spares emit() a setting read (~10 µs).
MIN_EVENT_BYTES_LIMIT = 16 * 1024


def record_size(payload_json: str, headers_json: str, key: bytes, event_type: str) -> int:
    """An upper bound of the event's Kafka record, in bytes. The value is jsonb's text of `payload_json`
    (what the relay publishes): no longer than the compact, ASCII-only JSON but for a space after each
    ':' and ',' and numbers written in full (1e-300 as 0.000…1: up to the exponent's value more). The key
    goes out twice (key and ce_subject), the type twice (ce_type, ce_dataschema), the actor and trace
    context as in `headers_json`."""
    value = len(payload_json) + payload_json.count(":") + payload_json.count(",")
    value += sum(min(abs(int(exponent)), MAX_FLOAT_EXPONENT) + 2 for exponent in _EXPONENT.findall(payload_json))
    return value + len(headers_json) + 2 * len(key) + 2 * len(event_type) + RECORD_OVERHEAD


def id_problem(value: str) -> str | None:
    """What is wrong with a key or an actor id as text, or None."""
    if not value:
        return "is empty"
    if len(value) > MAX_ID_LENGTH:
        return f"has {len(value)} characters; at most {MAX_ID_LENGTH}"
    if NUL in value:
        return NUL_PROBLEM
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            return "is not valid Unicode text (a lone surrogate)"
    return None


def nul_paths(data: Any) -> list[str]:
    """The dotted paths (`items.0.product`) of the strings, and mapping keys, in `data` holding a NUL."""
    found, stack, seen = [], [((), data)], set()
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if NUL in value:
                found.append(".".join(path) or "(data)")
        elif isinstance(value, (dict, list, tuple)) and id(value) not in seen:
            seen.add(id(value))  # emit() takes any Python object: a cycle must not loop forever
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for name, item in items:
                if isinstance(name, str) and NUL in name:
                    found.append(".".join((*path, name)))
                stack.append(((*path, str(name)), item))
    return sorted(found)
