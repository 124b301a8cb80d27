"""Admin for the message templates (with their category and previews), dead letters, the seed's monitoring
reports, the recipients' consent history and the suppression lists (consumers/recipients_admin.py); each channel app registers its own delivery log's admin (its `admin` module, which
Django's admin discovers like any app's)."""
from confluent_kafka import Producer
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.html import format_html, format_html_join

from chesanto_comms.kafka import client_properties, producer_properties
from consumers.channels import log_models
from consumers.dead_letters import republish
from consumers.holds_admin import HeldMessageAdmin, RecipientProfileAdmin
from consumers.languages import NAMES
from consumers.models import ConsentChange, DeadLetter, HeldMessage, MessageTemplate, RecipientProfile, Suppression
from consumers.recipients_admin import ConsentChangeAdmin, SuppressionAdmin
from consumers.reports import reports_context
from consumers.template_catalog import categories
from consumers.template_preview import languages_of, preview

admin.site.register(ConsentChange, ConsentChangeAdmin)
admin.site.register(Suppression, SuppressionAdmin)
admin.site.register(HeldMessage, HeldMessageAdmin)
admin.site.register(RecipientProfile, RecipientProfileAdmin)


class CategoryFilter(admin.SimpleListFilter):
    title = "category"
    parameter_name = "category"

    def lookups(self, request, model_admin):
        return [(c, c) for c in sorted(set(categories().values()))]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(name__in=[n for n, c in categories().items() if c == self.value()])
        return queryset


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "type", "category", "version", "is_active", "updated_at"]
    list_filter = ["type", CategoryFilter, "is_active"]
    search_fields = ["name", "description"]
    readonly_fields = ["category", "created_at", "updated_at", "rendered_preview"]

    @admin.display(description="category")
    def category(self, obj):
        return categories().get(obj.name, "—")  # outbox/events/categories.py: what the recipient's preferences name

    @admin.display(description="preview (sample data)")
    def rendered_preview(self, obj):
        """The message in each language it is written in (a message to customers: English and Swahili)."""
        languages = languages_of(obj.name)
        if languages == [None]:
            return self._preview_html(preview(obj.name), "")
        return format_html_join("", '<section id="preview-{}" lang="{}"><h3>{}</h3>{}</section>', (
            (language.value, language.value, NAMES[language],
             self._preview_html(preview(obj.name, language), "" if language.value == "en" else f"-{language.value}"))
            for language in languages))

    @staticmethod
    def _preview_html(shown, suffix: str):
        """One preview; its elements' ids are the channel's (`email-subject`), with `-sw` for Swahili."""
        if shown.error:
            return format_html('<p class="errornote">{}</p>', shown.error)
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


@admin.register(DeadLetter)
class DeadLetterAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "source_topic", "partition", "offset", "event_type", "error_class", "republished_at"]
    list_filter = ["channel", "error_class", "event_type", "created_at"]
    search_fields = ["=event_id", "error"]
    date_hierarchy = "created_at"
    actions = ["republish_selected"]
    exclude = ["key", "value"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in DeadLetter._meta.fields if f.name not in ("key", "value")] + ["value_preview"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_urls(self):  # the reports page sits here: dead letters belong to no channel, as the reports don't
        return [
            path("reports/", self.admin_site.admin_view(self.reports_view), name="communications_reports"),
        ] + super().get_urls()

    def reports_view(self, request):
        """The seed's reports, each channel's part only for those who may view that channel's log."""
        visible = [name for name, model in log_models().items()
                   if self.admin_site.is_registered(model)
                   and self.admin_site.get_model_admin(model).has_view_permission(request)]
        if not visible:
            raise PermissionDenied
        context = {**self.admin_site.each_context(request), **reports_context(visible), "title": "Delivery reports"}
        return TemplateResponse(request, "admin/communications/reports.html", context)

    @admin.display(description="value (as received)")
    def value_preview(self, obj):
        return format_html("<pre>{}</pre>", bytes(obj.value or b"").decode("utf-8", "replace")[:5000])

    @admin.action(permissions=["change"], description="Re-publish to the source topic")
    def republish_selected(self, request, queryset):
        count = republish(Producer(producer_properties({"enable.idempotence": "true", **client_properties()})), list(queryset))
        self.message_user(request, f"Re-published {count} dead letters.", messages.SUCCESS)
