"""The engine's models: message templates, dead letters and the processes that hold log rows.
Each channel's delivery log lives in its own app (`consumers.email.models.EmailLog`, …).
"""
from django.db import models


def template_types() -> list[tuple[str, str]]:
    """One MessageTemplate type per installed channel (EMAIL, SMS, …), from the registry."""
    from consumers.channels import names

    return [(name.upper(), name.upper() if len(name) <= 3 else name.capitalize()) for name in names()]


class MessageTemplate(models.Model):
    """A message template known to the system (its files live under templates/)."""

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
