"""The recipients' preferences and the suppression lists in the admin.

Consent changes are added, never edited or deleted (the history is the consent record): staff record a
change with the wording the recipient agreed to, as `source = admin` and themselves as who. Suppressions are
listed, filtered (channel, reason, active or lifted) and lifted with a reason, through an intermediate page;
staff may also suppress an address by hand. Registered by consumers/admin.py.
"""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.template.response import TemplateResponse

from consumers import consent
from consumers.models import ConsentChange, Suppression
from consumers.suppressions import lift
from outbox.events.categories import Category


def _channel_choices():
    from consumers.channels import names

    return [(name, name) for name in names()]


class ConsentChangeForm(forms.ModelForm):
    channel = forms.ChoiceField(choices=_channel_choices)
    category = forms.ChoiceField(choices=[(c.value, c.value) for c in Category if c != Category.CRITICAL],
                                 help_text="critical messages are always sent: no preference is kept for them")

    class Meta:
        model = ConsentChange
        fields = ["recipient", "category", "channel", "opted_in", "wording", "note"]
        help_texts = {"recipient": "user:<id>, an email address or a phone number",
                      "wording": "what the recipient was shown or told, word for word"}

    def clean_recipient(self):
        try:
            return consent.recipient_key(self.cleaned_data["recipient"])
        except ValueError as exc:
            raise forms.ValidationError(f"not an email address, a phone number or user:<id> ({exc})") from None


class ConsentChangeAdmin(admin.ModelAdmin):
    form = ConsentChangeForm
    list_display = ["created_at", "recipient", "category", "channel", "opted_in", "source", "changed_by", "note"]
    list_filter = ["category", "channel", "opted_in", "source", "created_at"]
    search_fields = ["recipient"]
    date_hierarchy = "created_at"

    def has_change_permission(self, request, obj=None):
        return False  # append-only: a change is a new row

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        obj.source, obj.changed_by = ConsentChange.Source.ADMIN, request.user
        obj.save()


class ActiveFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", "active"), ("lifted", "lifted")]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.filter(lifted_at__isnull=True)
        if self.value() == "lifted":
            return queryset.filter(lifted_at__isnull=False)
        return queryset


class SuppressionForm(forms.ModelForm):
    channel = forms.ChoiceField(choices=_channel_choices)

    class Meta:
        model = Suppression
        fields = ["channel", "address", "reason", "detail"]

    def clean(self):
        data = super().clean()
        if data.get("channel") and data.get("address"):
            data["address"] = consent.address_key(data["address"].strip())
            if Suppression.objects.filter(channel=data["channel"], address=data["address"], lifted_at__isnull=True).exists():
                raise forms.ValidationError(f"{data['address']} is already suppressed on {data['channel']}")
        return data


class LiftForm(forms.Form):
    use_required_attribute = False  # the server says what is missing, on the same page
    lift_reason = forms.CharField(label="Why is it lifted?", widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
                                  help_text="the address works again, the recipient asked to receive again, …")


class SuppressionAdmin(admin.ModelAdmin):
    form = SuppressionForm
    list_display = ["address", "channel", "reason", "source", "created_at", "state"]
    list_filter = [ActiveFilter, "channel", "reason", "created_at"]
    search_fields = ["address"]
    date_hierarchy = "created_at"
    actions = ["lift_selected"]

    def has_change_permission(self, request, obj=None):
        return False  # the rows are a record: lifting is the action below

    def has_delete_permission(self, request, obj=None):
        return False

    def has_lift_permission(self, request):
        return super().has_change_permission(request)

    def save_model(self, request, obj, form, change):
        obj.source, obj.created_by = "admin", request.user
        obj.save()

    @admin.display(description="state")
    def state(self, obj):
        if obj.active:
            return "active"
        return f"lifted {obj.lifted_at:%Y-%m-%d %H:%M} by {obj.lifted_by or 'nobody named'}: {obj.lift_reason}"

    @admin.action(permissions=["lift"], description="Lift selected suppressions (asks why)")
    def lift_selected(self, request, queryset):
        form = LiftForm(request.POST if "lift" in request.POST else None)
        if form.is_valid():
            count = lift(queryset, request.user, form.cleaned_data["lift_reason"])
            self.message_user(request, f"Lifted {count} suppressions.", messages.SUCCESS)
            return None
        context = {**self.admin_site.each_context(request), "title": "Lift suppressions", "form": form,
                   "rows": queryset.filter(lifted_at__isnull=True), "opts": self.model._meta,
                   "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                   "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)}
        return TemplateResponse(request, "admin/communications/suppression/lift.html", context)
