"""The README's table of the apps' settings, made from their declarations.

    .venv/bin/python -m tests.support.settings_table   # prints the table to paste into the README
"""
from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
BEGIN, END = "<!-- settings:begin -->", "<!-- settings:end -->"
ROW = re.compile(r"^\| `(?P<name>[A-Z0-9_]+)` \| (?P<default>.*?) \| (?P<meaning>.*) \|$")


def declared_settings():
    """Every setting, the channels' included (each channel declares its own when imported)."""
    from chesanto_comms.conf import groups
    from consumers.channels import get_channel, names

    for name in names():
        get_channel(name)
    return [(group.title, setting) for group in groups() for setting in group]


def table() -> str:
    lines = []
    for title, setting in declared_settings():
        lines.append(f"| `{setting.name}` | {setting.default_text} | {setting.doc} |")
    return "\n".join(["| setting | default | meaning |", "|---|---|---|", *lines])


def readme_rows() -> dict[str, str]:
    text = README.read_text()
    section = text[text.index(BEGIN) + len(BEGIN):text.index(END)]
    return {m["name"]: m["default"] for line in section.splitlines() if (m := ROW.match(line.strip()))}


if __name__ == "__main__":
    import django

    django.setup()
    print(table())
