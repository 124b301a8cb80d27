"""Admin for what quiet hours keep back (Held messages: what, to whom, until when, released or not) and for the
recipients' profiles (time zone, own quiet hours, language; consumers/profiles.py)."""
from __future__ import annotations

from django import forms
from django.contrib import admin

from consumers import holds, quiet_hours
from consumers.languages import NAMES, Language
from consumers.models import RecipientProfile


class HeldMessageAdmin(admin.ModelAdmin):
    """Read-only: a held message goes by itself when its window ends (consumers/holds.py)."""

    list_display = ("template", "recipient", "channel", "release_at", "released_at", "created_at", "reason")
    list_filter = ("channel", ("released_at", admin.EmptyFieldListFilter), "template")
    search_fields = ("recipient", "template", "=event_id")
    date_hierarchy = "release_at"
    fields = ("channel", "template", "recipient", "event_id", "key", "reason", "created_at", "release_at",
              "released_at", "release_attempts", "topic", "partition", "offset")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class RecipientProfileForm(forms.ModelForm):
    language = forms.TypedChoiceField(choices=[("", "(not chosen)")] + [(item.value, NAMES[item]) for item in Language],
                                      required=False, empty_value=None)

    class Meta:
        model = RecipientProfile
        fields = ("key", "time_zone", "quiet_hours", "language")
        help_texts = {"key": '"user:<pk>", a lower-case email address or an E.164 phone number',
                      "time_zone": "an IANA name (Africa/Nairobi); empty: COMMS_DEFAULT_TIME_ZONE",
                      "quiet_hours": "HH:MM-HH:MM local, or off; empty: COMMS_QUIET_HOURS"}

    def clean_time_zone(self):
        return self._checked("time_zone", quiet_hours.zone)

    def clean_quiet_hours(self):
        return self._checked("quiet_hours", quiet_hours.window)

    def _checked(self, name: str, parse) -> str:
        """The field's text, stripped, when `parse` (consumers/quiet_hours.py) accepts it; its words when not."""
        value = self.cleaned_data[name].strip()
        if value:
            try:
                parse(value)
            except quiet_hours.QuietHoursError as exc:
                raise forms.ValidationError(str(exc)) from None
        return value


class RecipientProfileAdmin(admin.ModelAdmin):
    form = RecipientProfileForm
    list_display = ("key", "time_zone", "quiet_hours", "language", "updated_at")
    list_filter = ("language",)
    search_fields = ("key",)

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if {"time_zone", "quiet_hours"} & set(form.changed_data):  # the policy decides again when each goes
            holds.reschedule(obj.key)
