"""Durations as settings write them: `90s`, `15m`, `6h`, `2d` (a bare number is seconds)."""
from __future__ import annotations

import re
from datetime import timedelta

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> timedelta:
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"{text!r} is not a duration: a number and a unit, e.g. 90s, 15m, 6h, 2d")
    return timedelta(seconds=float(match[1]) * _UNIT[match[2]])


def duration_problem(text: str) -> str | None:
    try:
        parse_duration(text)
    except ValueError as exc:
        return str(exc)
    return None
