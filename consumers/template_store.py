"""Loading staff's template overrides into this process (consumers/template_overrides.py), once per change.

`refresh()`, called by each batch, asks for the templates' generation (one query: the newest `updated_at` and
the row count of communications_message_template; every activation and every `is_active` change moves it) and
loads the active versions (one more query) only when it moved.
"""
from __future__ import annotations

import threading
from typing import Any

from django.db.models import Count, Max

from consumers import template_overrides
from consumers.languages import Language, translated
from consumers.models import MessageTemplate
from consumers.template_overrides import Overrides

SUBJECT = "subject"  # a version's part holding the subject; the others are named by their file's extension

_loading = threading.Lock()


def refresh() -> Overrides:
    """The process's copy, reloaded if the templates changed since it was loaded (one query when not)."""
    current = generation()
    if current != template_overrides.process_copy().generation:
        with _loading:
            if current != template_overrides.process_copy().generation:
                template_overrides.install(load(current))
    return template_overrides.process_copy()


def generation() -> tuple:
    """What changes whenever a version is activated or a template switched on or off: one cheap query."""
    found = MessageTemplate.objects.aggregate(newest=Max("updated_at"), rows=Count("pk"))
    return found["newest"], found["rows"]


def load(current: Any) -> Overrides:
    """The active versions and the switched-off notifications (one query)."""
    rows = MessageTemplate.objects.filter(active_version__isnull=False) | MessageTemplate.objects.filter(is_active=False)
    active, switched_off = [], set()
    for row in rows.select_related("active_version"):
        if not row.is_active:
            switched_off.add(row.name)
        if row.active_version is not None:
            active.append((row.name, template_file(row), row.active_version.number, row.active_version.parts))
    return build(current, active, switched_off)


def template_file(row: MessageTemplate) -> str:
    """The notification's template path without extension (migrate keeps `template_path` in step with the code)."""
    return row.template_path.rsplit(".", 1)[0]


def overrides_of(template_file: str, parts: dict[str, dict[str, str]]) -> tuple[dict, dict]:
    """A version's parts as (sources by template path, subjects by language code): `template_file` is the
    notification's template path without extension ("emails/sales/invoice")."""
    sources, subjects = {}, {}
    for language_code, by_part in parts.items():
        for part, source in by_part.items():
            if part == SUBJECT:
                subjects[language_code] = source
            else:
                sources[translated(template_file + part, Language(language_code))] = source
    return sources, subjects


def build(generation: Any, active: list[tuple[str, str, int, dict]], switched_off: set[str]) -> Overrides:
    """From (notification name, template path without extension, version number, parts) of each active version."""
    sources, subjects, versions = {}, {}, {}
    for name, file, number, parts in active:
        by_path, by_language = overrides_of(file, parts)
        sources.update(by_path)
        subjects.update({(name, code): source for code, source in by_language.items()})
        versions[name] = number
    return Overrides(generation, sources, subjects, versions, frozenset(switched_off))
