"""The message templates' admin: each template's category and preview, and staff's versions of it: a draft
form, a version's page (its preview in each language, its errors, and Activate), going back to the files,
and the history of versions and activations with who and when (consumers/template_versions.py)."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from consumers import template_versions
from consumers.languages import NAMES, Language
from consumers.models import MessageTemplate, MessageTemplateVersion
from consumers.template_catalog import categories
from consumers.template_preview import Preview, languages_of, preview
from consumers.template_store import SUBJECT


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c, c) for c in sorted(set(categories().values()))]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(name__in=[n for n, c in categories().items() if c == self.value()])
        return queryset


def field_name(language: Language, part: str) -> str:
    return f"{language.value}_{part.lstrip('.')}"  # en_subject, sw_html, en_txt


def part_label(language: Language, part: str) -> str:
    return f"{NAMES[language]}: {'subject' if part == SUBJECT else part.lstrip('.') + ' body'}"


class DraftForm(forms.Form):
    """One text area per (language, part) the template has, starting from what it reads now."""

    use_required_attribute = False

    def __init__(self, template: MessageTemplate, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parts = template_versions.editable_parts(template)
        for language, part in self.parts:
            rows = 1 if part == SUBJECT else 14
            self.fields[field_name(language, part)] = forms.CharField(
                label=part_label(language, part), required=False, strip=False,
                initial=template_versions.current_source(template, language, part),
                widget=forms.Textarea(attrs={"rows": rows, "cols": 100, "spellcheck": "false"}))
        self.fields["note"] = forms.CharField(label="What changed", required=False, max_length=255)

    def edited(self) -> dict[tuple[Language, str], str]:
        return {(language, part): self.cleaned_data[field_name(language, part)] for language, part in self.parts}


def previews_html(shown: list[tuple[Language | None, Preview]]):
    """Each language's preview in a section; an English-only template's without one."""
    if len(shown) == 1 and shown[0][0] is None:
        return _preview_html(shown[0][1], "")
    return format_html_join("", '<section id="preview-{}" lang="{}"><h3>{}</h3>{}</section>', (
        (language.value, language.value, NAMES[language],
         _preview_html(result, "" if language.value == "en" else f"-{language.value}"))
        for language, result in shown))


def _preview_html(shown: Preview, suffix: str):
    """One preview; its elements' ids are the channel's (`email-subject`), with `-sw` for Swahili."""
    if shown.error:
        return format_html('<p class="errornote preview-error">{}</p>', shown.error)
    channel, parts = shown.channel + suffix, []
    if shown.untranslated:
        parts.append(format_html('<p class="errornote" id="{}-untranslated">No translation: {}. Customers who '
                                 'read this language get the English message, shown below.</p>',
                                 channel, ", ".join(shown.untranslated)))
    if shown.subject:
        parts.append(format_html('<p><b>Subject:</b> <span id="{}-subject">{}</span></p>', channel, shown.subject))
    if shown.html:
        parts.append(format_html('<iframe id="{}-html" sandbox srcdoc="{}" style="width:640px;height:520px;'
                                 'border:1px solid #ccc"></iframe>', channel, shown.html))
    if shown.text:
        parts.append(format_html('<pre id="{}-text">{}</pre>', channel, shown.text))
    for label, value in shown.facts:
        parts.append(format_html('<p id="{}-{}"><b>{}:</b> {}</p>', channel, label, label, value))
    return format_html_join("", "{}", ((part,) for part in parts))


class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "category", "version", "is_active", "in_force", "updated_at"]
    list_filter = ["type", CategoryFilter, "is_active"]
    list_select_related = ["active_version"]
    search_fields = ["name", "description"]
    # What the files and the code say (migrate keeps it in step); staff edit is_active and versions only.
    readonly_fields = ["name", "type", "category", "subject", "template_path", "description", "version",
                       "required_context", "in_force", "created_at", "updated_at", "history", "rendered_preview"]
    fields = ["name", "type", "category", "is_active", "in_force", "subject", "template_path", "description",
              "version", "required_context", "created_at", "updated_at", "history", "rendered_preview"]

    def has_add_permission(self, request):
        return False  # a template exists because the code sends it (migrate creates its row)

    @admin.display(description="category")
    def category(self, obj):
        return categories().get(obj.name, "—")  # outbox/events/categories.py: what the recipient's preferences name

    @admin.display(description="in force")
    def in_force(self, obj):
        return f"version {obj.active_version.number}" if obj.active_version_id else "the files"

    @admin.display(description="versions (staff's overrides)")
    def history(self, obj):
        draft = reverse("admin:communications_messagetemplate_draft", args=[obj.pk])
        files = reverse("admin:communications_messagetemplate_files", args=[obj.pk])
        rows = format_html_join("", '<tr id="version-{}"><td><a href="{}">version {}</a></td><td>{}</td><td>{}</td>'
                                    '<td>{}</td><td>{}</td></tr>', (
            (v.number, reverse("admin:communications_messagetemplate_version", args=[obj.pk, v.number]), v.number,
             v.created_by or "—", f"{v.created_at:%Y-%m-%d %H:%M:%S}", v.note,
             "in force" if v.pk == obj.active_version_id else "")
            for v in obj.versions.select_related("created_by")))
        activations = format_html_join("", "<li>{} by {}: {}</li>", (
            (f"{a.activated_at:%Y-%m-%d %H:%M:%S}", a.activated_by or "—",
             f"version {a.version.number}" if a.version else "the files")
            for a in obj.activations.select_related("version", "activated_by")))
        return format_html('<p><a class="button" id="new-draft" href="{}">New draft</a> '
                           '<a class="button" id="use-files" href="{}">Use the files again</a></p>'
                           '<table id="versions"><tr><th>version</th><th>by</th><th>at</th><th>note</th><th></th></tr>'
                           '{}</table><p><b>Activations</b></p><ul id="activations">{}</ul>',
                           draft, files, rows, activations or format_html("<li>{}</li>", "none: the files"))

    @admin.display(description="preview (sample data)")
    def rendered_preview(self, obj):
        """The message in force, in each language it is written in (a message to customers: English and Swahili)."""
        return previews_html([(language, preview(obj.name, language)) for language in languages_of(obj.name)])

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/draft/", view(self.draft_view), name="communications_messagetemplate_draft"),
            path("<int:pk>/versions/<int:number>/", view(self.version_view),
                 name="communications_messagetemplate_version"),
            path("<int:pk>/files/", view(self.files_view), name="communications_messagetemplate_files"),
        ] + super().get_urls()

    def _template(self, request, pk: int) -> MessageTemplate:
        template = get_object_or_404(MessageTemplate.objects.select_related("active_version"), pk=pk)
        if not self.has_change_permission(request, template):
            raise PermissionDenied
        return template

    def _context(self, request, template: MessageTemplate, title: str, **extra):
        return {**self.admin_site.each_context(request), "title": title, "template": template,
                "opts": self.model._meta, **extra}

    def draft_view(self, request, pk: int):
        """A new draft from what the template reads now; saved as a version (not in force) and previewed."""
        template = self._template(request, pk)
        form = DraftForm(template, request.POST if request.method == "POST" else None)
        if form.is_valid():
            version = template_versions.save_draft(template, form.edited(), request.user, form.cleaned_data["note"])
            return redirect("admin:communications_messagetemplate_version", template.pk, version.number)
        return TemplateResponse(request, "admin/communications/messagetemplate/draft.html",
                                self._context(request, template, f"New draft of {template.name}", form=form))

    def version_view(self, request, pk: int, number: int):
        """A version's preview in each language, with its errors; Activate puts it in force (refused if it fails)."""
        template = self._template(request, pk)
        version = get_object_or_404(MessageTemplateVersion, template=template, number=number)
        if request.method == "POST":
            try:
                template_versions.activate(template, version, request.user)
            except template_versions.CannotActivate as exc:
                self.message_user(request, str(exc), messages.ERROR)
            else:
                self.message_user(request, f"Version {number} of {template.name} is in force.", messages.SUCCESS)
                return redirect("admin:communications_messagetemplate_change", template.pk)
        shown = template_versions.preview_version(version)
        failed = any(result.error for _, result in shown)
        return TemplateResponse(request, "admin/communications/messagetemplate/version.html", self._context(
            request, template, f"{template.name}, version {number}", version=version, failed=failed,
            previews=previews_html(shown), in_force=template.active_version_id == version.pk,
            parts=[(part_label(Language(lang), part), source)
                   for lang, by_part in version.parts.items() for part, source in by_part.items()]))

    def files_view(self, request, pk: int):
        """Back to the template files: no version in force (recorded, as any activation)."""
        template = self._template(request, pk)
        if request.method == "POST":
            template_versions.activate(template, None, request.user)
            self.message_user(request, f"{template.name} is rendered from its files again.", messages.SUCCESS)
            return redirect("admin:communications_messagetemplate_change", template.pk)
        return TemplateResponse(request, "admin/communications/messagetemplate/files.html",
                                self._context(request, template, f"Use the files for {template.name}"))
