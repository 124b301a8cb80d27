"""Staff's template overrides in force in this process, and the notifications staff switched off.

Consumers read them from a per-process copy, `in_force()`. Each batch calls `template_store.refresh()` first: one query
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

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


class Sandboxed(str):
    """A source written by staff (a subject): rendered in the sandbox, never with the files' environment."""


@dataclass(frozen=True)
class Overrides:
    """The overrides in force: what to render instead of which file, and what not to send at all."""

    generation: Any = None  # what `refresh` compares; None: nothing loaded yet
    sources: dict[str, str] = field(default_factory=dict)  # template path -> Jinja2 source
    subjects: dict[tuple[str, str], str] = field(default_factory=dict)  # (notification, language code) -> source
    versions: dict[str, int] = field(default_factory=dict)  # notification -> its active version's number
    switched_off: frozenset[str] = frozenset()  # notifications staff made inactive (MessageTemplate.is_active)

    def subject(self, notification: str, language: str) -> Sandboxed | None:
        source = self.subjects.get((notification, language))
        return None if source is None else Sandboxed(source)


_process = Overrides()  # replaced whole (one assignment), never changed: threads read it without a lock
_draft: ContextVar[Overrides | None] = ContextVar("template_draft", default=None)


def in_force() -> Overrides:
    """What this thread renders with: a draft being previewed here, else the process's copy."""
    return _draft.get() or _process


def process_copy() -> Overrides:
    return _process


def install(overrides: Overrides) -> None:
    """Make `overrides` the process's copy (consumers/template_store.py loads it)."""
    global _process
    _process = overrides


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
