"""Whole numbers read from text a client sent (ids, offsets, cursors, header values).

`str.isdigit()` is true for "²" and "٣", which `int()` then refuses or reads as a digit of another
script: every id this product parses from outside goes through here, ASCII digits only.
"""
from __future__ import annotations


def is_whole_number(text: str) -> bool:
    """One or more ASCII digits, nothing else."""
    return text.isascii() and text.isdigit()


def whole_number(text: str | None) -> int | None:
    """The number `text` spells in ASCII digits, or None."""
    return int(text) if text is not None and is_whole_number(text) else None
