"""The engine's models: message templates, dead letters, the processes that hold log rows, and the recipients'
consent changes and suppressions (consumers/consent.py). Each channel's delivery log lives in its own app.
"""
from django.conf import settings
from django.db import models
from django.utils import timezone

from outbox.events.categories import Category


def template_types() -> list[tuple[str, str]]:
    """One MessageTemplate type per installed channel (EMAIL, SMS, …), from the registry."""
    from consumers.channels import names

    return [(name.upper(), name.upper() if len(name) <= 3 else name.capitalize()) for name in names()]


class MessageTemplate(models.Model):
    """A message template known to the system (its files live under the channels' message_templates/). `migrate`
    syncs the file-derived metadata (type, path, description, version, required context) and creates missing
    rows; `is_active` (False: the notification is not sent, its rows SKIPPED) and the override are staff's."""

    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=30, choices=template_types)  # a channel's name, upper case
    subject = models.CharField(max_length=255, blank=True)
    template_path = models.CharField(max_length=255)
    description = models.TextField(blank=True)

    # Versioning
    version = models.IntegerField(default=1)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Metadata
    required_context = models.JSONField(default=list)

    # Staff's override (consumers/template_versions.py): the version in force, None = the files. The latest
    # TemplateActivation row says the same and who chose it when; this column is what consumers read.
    active_version = models.ForeignKey("MessageTemplateVersion", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+")

    class Meta:
        db_table = "communications_message_template"
        ordering = ["name"]

    def __str__(self):
        return f"{self.name} (v{self.version})"


class DeadLetter(models.Model):
    """A record a channel could not handle (not JSON, unknown type, schema mismatch, render
    error). A copy went to the source topic's dead-letter topic; this row is the audit trail
    and what `dlq_republish` chooses from."""

    channel = models.CharField(max_length=20)
    source_topic = models.CharField(max_length=255)
    partition = models.IntegerField()
    offset = models.BigIntegerField()
    dead_letter_topic = models.CharField(max_length=255)
    key = models.BinaryField(null=True, blank=True)
    value = models.BinaryField(null=True, blank=True)  # the bytes as received (secrets stay sealed)
    headers = models.JSONField(default=dict)  # readable: bytes that are not UTF-8 and NUL escaped
    raw_headers = models.BinaryField(null=True, blank=True)  # exactly as received, for re-publishing (dead_letters.py)
    event_id = models.UUIDField(null=True, blank=True)
    event_type = models.CharField(max_length=255, blank=True)
    error_class = models.CharField(max_length=100)
    error = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    republished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "communications_dead_letter"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "source_topic", "partition", "offset"], name="dead_letter_once"),
        ]

    def __str__(self):
        return f"{self.source_topic}[{self.partition}]@{self.offset}: {self.error_class}"


class DeliveryProcess(models.Model):
    """A process that delivers (a channel consumer, a replay): the lease on the log rows it claims
    (consumers/claims.py). Its claims hold while it beats, and lapse once it stopped or was not seen
    for `lease_seconds`."""

    token = models.CharField(max_length=64, primary_key=True)
    role = models.CharField(max_length=60)  # the channel it delivers, or "replay:<channel>"
    host = models.CharField(max_length=255)
    pid = models.IntegerField()
    started_at = models.DateTimeField()
    seen_at = models.DateTimeField()  # its last heartbeat
    stopped_at = models.DateTimeField(null=True, blank=True)
    lease_seconds = models.FloatField()

    class Meta:
        db_table = "communications_delivery_process"
        ordering = ["-started_at"]

    def __str__(self):
        return self.token


class ConsentChange(models.Model):
    """One change of one recipient's preference for one category on one channel. Append-only: the current
    state is the latest change (or the default, consumers/consent.py); the rows are the consent record."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Staff, in the admin"
        LINK = "link", "The recipient, from a link in a message"
        API = "api", "The bakery's system (preferences.set)"
        STOP = "stop", "The recipient replied STOP"
        IMPORT = "import", "Imported"

    recipient = models.CharField(max_length=255)  # consumers/consent.py: "user:<pk>", an address, an E.164 number
    category = models.CharField(max_length=20, choices=[(c.value, c.value) for c in Category])
    channel = models.CharField(max_length=30)
    opted_in = models.BooleanField()
    source = models.CharField(max_length=10, choices=Source.choices)
    wording = models.TextField(blank=True)  # what the recipient was shown (or told) when it changed
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")  # the staff member or the user; empty: the recipient or a system
    note = models.CharField(max_length=255, blank=True)  # who, when not a user ("STOP from +2547…", "import 2026-03")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "communications_consent_change"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["recipient", "channel", "category", "-created_at"], name="consent_change_latest")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a consent change is never edited: add a new one (consumers/preferences.py)")
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.recipient}: {self.category} by {self.channel} {'in' if self.opted_in else 'out'}"


class Suppression(models.Model):
    """An address (or number, or device token) a channel does not send to, with why and since when. Lifting keeps
    the row (who, when, why); a later suppression of the same address is a new row."""

    class Reason(models.TextChoices):
        HARD_BOUNCE = "hard_bounce", "Hard bounce"
        COMPLAINT = "complaint", "Complaint (marked as spam)"
        INVALID = "invalid", "The provider says it will never work"
        OPTED_OUT = "opted_out", "Opted out of the channel"
        MANUAL = "manual", "Suppressed by staff"

    channel = models.CharField(max_length=30)
    address = models.CharField(max_length=512)  # as the channel's log names the recipient (lower case for email)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    source = models.CharField(max_length=100)  # what said so: "postmark webhook", "twilio at send", "admin"
    detail = models.TextField(blank=True)  # the provider's words
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    lift_reason = models.TextField(blank=True)

    class Meta:
        db_table = "communications_suppression"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["channel", "address"], name="suppression_address")]
        constraints = [
            models.UniqueConstraint(fields=["channel", "address"], condition=models.Q(lifted_at__isnull=True),
                                    name="suppression_active_once"),
        ]

    @property
    def active(self) -> bool:
        return self.lifted_at is None

    def __str__(self):
        return f"{self.channel} {self.address} ({self.reason})"


class RecipientProfile(models.Model):
    """What a recipient chose beyond consent: the time zone their quiet hours are kept in, their own quiet hours,
    the language they read (consumers/profiles.py). Keyed as their preferences are (consumers/consent.py)."""

    key = models.CharField(max_length=255, unique=True)  # "user:<pk>", a lower-case address, an E.164 number
    time_zone = models.CharField(max_length=64, blank=True)  # an IANA name; empty: COMMS_DEFAULT_TIME_ZONE
    quiet_hours = models.CharField(max_length=11, blank=True)  # "22:00-06:00" or "off"; empty: COMMS_QUIET_HOURS
    language = models.CharField(max_length=5, null=True, blank=True)  # consumers/languages.Language; null: not chosen
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "communications_recipient_profile"
        ordering = ["key"]

    def __str__(self):
        return self.key


class HeldMessage(models.Model):
    """A message kept back by quiet hours (consumers/holds.py): the record it came in, so that the same event is
    delivered again when `release_at` comes, with the same log row (event, template, recipient)."""

    channel = models.CharField(max_length=30)
    event_id = models.UUIDField()
    template = models.CharField(max_length=100)
    recipient = models.CharField(max_length=512)  # as the channel's log names it
    recipient_key = models.CharField(max_length=255, blank=True, db_index=True)  # their profile's (consumers/consent.py)
    key = models.CharField(max_length=255, blank=True)  # the record's partition key: released in order per key
    # The record, as read: delivered again from these, signature and sealed fields included
    topic = models.CharField(max_length=255, blank=True)
    partition = models.IntegerField(default=-1)
    offset = models.BigIntegerField(default=-1)
    record_key = models.BinaryField(null=True)
    record_value = models.BinaryField()
    headers = models.JSONField(default=dict)  # decoded, as consumers/events.py reads them
    emitted_at = models.DateTimeField(null=True, blank=True)
    release_at = models.DateTimeField()  # when it goes (while a releaser has it: when another may try again)
    reason = models.CharField(max_length=255, blank=True)  # the window and time zone that held it
    created_at = models.DateTimeField(default=timezone.now)
    released_at = models.DateTimeField(null=True, blank=True)
    release_attempts = models.IntegerField(default=0)

    class Meta:
        db_table = "communications_held_message"
        ordering = ["release_at", "created_at", "pk"]
        indexes = [models.Index(fields=["channel", "release_at", "created_at"], condition=models.Q(released_at__isnull=True),
                                name="held_message_due")]
        constraints = [models.UniqueConstraint(fields=["channel", "event_id", "template", "recipient"],
                                               name="held_message_once")]

    def __str__(self):
        return f"{self.template} to {self.recipient} by {self.channel}, held until {self.release_at:%Y-%m-%d %H:%M} UTC"


class MessageTemplateVersion(models.Model):
    """A database override of a template's files, written by staff: immutable, numbered per template.
    `parts` holds, per language ("en", "sw"), the parts it overrides, each a Jinja2 source: "subject", and one
    per file extension the channel renders (".html", ".txt": the email's HTML and text, the SMS body, …). A
    part left out is the file's. It is rendered in Jinja2's sandbox (consumers/template_overrides.py)."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    parts = models.JSONField(default=dict)  # {"en": {"subject": "…", ".txt": "…"}, "sw": {…}}
    note = models.CharField(max_length=255, blank=True)  # what changed, in the editor's words
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "communications_message_template_version"
        ordering = ["template", "-number"]
        constraints = [models.UniqueConstraint(fields=["template", "number"], name="template_version_once")]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("a template version is never edited: save a new draft (consumers/template_versions.py)")
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.template.name} version {self.number}"


class TemplateActivation(models.Model):
    """Which version of a template is in force from `activated_at`: the latest row says (None: its files).
    Append-only: activating, reverting and going back to the files each add a row, who and when."""

    template = models.ForeignKey(MessageTemplate, on_delete=models.CASCADE, related_name="activations")
    version = models.ForeignKey(MessageTemplateVersion, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="activations")
    activated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    activated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "communications_template_activation"
        ordering = ["-activated_at", "-pk"]

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("an activation is never edited: activate again (consumers/template_versions.py)")
        super().save(*args, **kwargs)

    def __str__(self):
        return f"{self.template.name}: {self.version or 'the files'}"
