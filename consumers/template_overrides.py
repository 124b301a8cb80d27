"""Staff's template overrides in force in this process, and the notifications staff switched off.

Consumers read them from a per-process copy, `in_force()`. Each batch calls `refresh()` first: one query
for the templates' generation (the newest `updated_at` and the row count of communications_message_template,
which every activation and every `is_active` change moves) and, only when that changed, one more to load
the active versions. So a change in the admin reaches every consumer process at its next batch, without a
restart, for one cheap query per batch and none per message.

An override's sources are keyed by the template path the channel renders ("emails/sales/invoice.html",
its Swahili "emails/sales/invoice.sw.html") and its subjects by (notification, language); rendering
(consumers/rendering.py) renders those in Jinja2's sandbox. A draft's preview puts the draft in force for
its own thread only, and a message is rendered with the one copy its row records (`using`).
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from consumers.languages import Language, translated

SUBJECT = "subject"  # a version's part holding the subject; the others are named by their file's extension


class Sandboxed(str):
    """A source written by staff (a subject): rendered in the sandbox, never with the files' environment."""


@dataclass(frozen=True)
class Overrides:
    """The overrides in force: what to render instead of which file, and what not to send at all."""

    generation: Any = None  # what `refresh` compares; None: nothing loaded yet
    sources: dict[str, str] = field(default_factory=dict)  # template path -> Jinja2 source
    subjects: dict[tuple[str, Language], str] = field(default_factory=dict)  # (notification, language) -> source
    versions: dict[str, int] = field(default_factory=dict)  # notification -> its active version's number
    switched_off: frozenset[str] = frozenset()  # notifications staff made inactive (MessageTemplate.is_active)

    def subject(self, notification: str, language: Language) -> Sandboxed | None:
        source = self.subjects.get((notification, language))
        return None if source is None else Sandboxed(source)


def overrides_of(template_file: str, parts: dict[str, dict[str, str]]) -> tuple[dict, dict]:
    """A version's parts as (sources by template path, subjects by language): `template_file` is the
    notification's template path without extension ("emails/sales/invoice")."""
    sources, subjects = {}, {}
    for language_code, by_part in parts.items():
        language = Language(language_code)
        for part, source in by_part.items():
            if part == SUBJECT:
                subjects[language] = source
            else:
                sources[translated(template_file + part, language)] = source
    return sources, subjects


def build(generation: Any, active: list[tuple[str, str, int, dict]], switched_off: set[str]) -> Overrides:
    """From (notification name, template path without extension, version number, parts) of each active version."""
    sources, subjects, versions = {}, {}, {}
    for name, template_file, number, parts in active:
        by_path, by_language = overrides_of(template_file, parts)
        sources.update(by_path)
        subjects.update({(name, language): source for language, source in by_language.items()})
        versions[name] = number
    return Overrides(generation, sources, subjects, versions, frozenset(switched_off))


_process = Overrides()  # replaced whole (one assignment), never changed: threads read it without a lock
_loading = threading.Lock()
_draft: ContextVar[Overrides | None] = ContextVar("template_draft", default=None)


def in_force() -> Overrides:
    """What this thread renders with: a draft being previewed here, else the process's copy."""
    return _draft.get() or _process


def refresh() -> Overrides:
    """The process's copy, reloaded if the templates changed since it was loaded (one query when not)."""
    global _process
    from consumers.template_versions import generation, load

    current = generation()
    if current != _process.generation:
        with _loading:
            if current != _process.generation:
                _process = load(current)
    return _process


@contextmanager
def using(overrides: Overrides) -> Iterator[None]:
    """Render with `overrides` (a draft, or the copy a message was begun with) in this thread only."""
    token = _draft.set(overrides)
    try:
        yield
    finally:
        _draft.reset(token)


def forget() -> None:
    """Drop the process's copy (tests: a database rolled back under it); the next `refresh` loads again."""
    global _process
    _process = Overrides()
