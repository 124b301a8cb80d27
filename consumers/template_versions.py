"""Staff's versions of a template: saving a draft, previewing it, activating one (or the files again)
(what consumers load: consumers/template_store.py). Every version and every activation is a row that keeps who and when (consumers/models.py);
activating also moves the template's `updated_at`, the generation consumers watch (consumers/template_store.py).
"""
from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from jinja2 import TemplateNotFound

from consumers.languages import Language, translated
from consumers.models import MessageTemplate, MessageTemplateVersion, TemplateActivation
from consumers.template_catalog import entry_for
from consumers.template_overrides import Overrides, in_force, using
from consumers.template_preview import Preview, languages_of, preview
from consumers.template_store import SUBJECT, overrides_of, template_file


class CannotActivate(ValueError):
    """A version whose preview fails (a syntax error, an undefined variable) is never activated."""


# --- what staff edit ------------------------------------------------------------------------------
def editable_parts(template: MessageTemplate) -> list[tuple[Language, str]]:
    """The (language, part) pairs a draft of this template may override: the subject if it has one, and one
    per file the channel renders, in each language it is written in."""
    from consumers.channels import get_channel

    entry = entry_for(template.name)
    if entry is None:
        return []
    extensions = get_channel(entry.channel).template_extensions
    languages = [language or Language.EN for language in languages_of(template.name)]
    subject = [SUBJECT] if entry.notification.subject else []
    return [(language, part) for language in languages for part in [*subject, *extensions]]


def current_source(template: MessageTemplate, language: Language, part: str) -> str:
    """What the part reads now: the active version's, else the file's (or the code's subject)."""
    entry = entry_for(template.name)
    active = template.active_version.parts if template.active_version else {}
    if part in active.get(language.value, {}):
        return active[language.value][part]
    return file_source(entry, language, part)


def file_source(entry, language: Language, part: str) -> str:
    from consumers.rendering import environment

    if part == SUBJECT:
        return entry.notification.subjects.get(language.value, "") if language.value != "en" else entry.notification.subject
    env = environment()
    path = translated(entry.notification.template + part, language)
    try:
        return env.loader.get_source(env, path)[0]
    except TemplateNotFound:  # no translation file: the editor starts from nothing
        return ""


def save_draft(template: MessageTemplate, edited: dict[tuple[Language, str], str], user, note: str = "") \
        -> MessageTemplateVersion:
    """A new version holding the parts that differ from the files (the others stay the files')."""
    entry = entry_for(template.name)
    parts: dict[str, dict[str, str]] = {}
    for (language, part), source in edited.items():
        source = source.replace("\r\n", "\n")
        if source != file_source(entry, language, part):
            parts.setdefault(language.value, {})[part] = source
    with transaction.atomic():
        locked = MessageTemplate.objects.select_for_update().get(pk=template.pk)
        number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        return MessageTemplateVersion.objects.create(template=locked, number=number, parts=parts, note=note,
                                                     created_by=user)


def preview_version(version: MessageTemplateVersion) -> list[tuple[Language | None, Preview]]:
    """The version rendered from the notification's sample data in each language, as it would go out."""
    template = version.template
    sources, subjects = overrides_of(template_file(template), version.parts)
    current = in_force()
    draft = Overrides(("draft", version.pk), {**current.sources, **sources},
                      {**current.subjects, **{(template.name, code): s for code, s in subjects.items()}},
                      {**current.versions, template.name: version.number}, current.switched_off)
    with using(draft):
        return [(language, preview(template.name, language)) for language in languages_of(template.name)]


def activate(template: MessageTemplate, version: MessageTemplateVersion | None, user) -> TemplateActivation:
    """Put `version` in force (None: the files again), recorded with who and when. A version whose preview
    fails is refused (CannotActivate), whatever page asked."""
    if version is not None:
        if version.template_id != template.pk:
            raise CannotActivate(f"version {version.number} belongs to another template")
        if failed := [p.error for _, p in preview_version(version) if p.error]:
            raise CannotActivate(f"version {version.number} cannot be rendered: {failed[0]}")
    with transaction.atomic():
        MessageTemplate.objects.filter(pk=template.pk).update(active_version=version, updated_at=timezone.now())
        return TemplateActivation.objects.create(template=template, version=version, activated_by=user)
