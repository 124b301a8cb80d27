"""Delivery logs and message templates, with the seed's fields, tables and indexes.

Added to the seed: `event_id` (the outbox event that caused the message) and a
unique constraint on (event_id, template, recipient) that makes delivery
idempotent: a redelivered or replayed Kafka record finds its row and does not send again.
"""
from django.conf import settings
from django.db import models


class EmailLog(models.Model):
    """Track all outgoing emails for audit and debugging"""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        DELIVERED = "DELIVERED", "Delivered"  # the ESP's delivery webhook said so
        FAILED = "FAILED", "Failed"
        BOUNCED = "BOUNCED", "Bounced"
        REJECTED = "REJECTED", "Rejected"
        COMPLAINED = "COMPLAINED", "Complained (marked as spam)"
        EXPIRED = "EXPIRED", "Expired (not sent)"

    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.BOUNCED, Status.REJECTED, Status.COMPLAINED, Status.EXPIRED)

    # Message details
    recipient = models.EmailField(db_index=True)
    cc = models.JSONField(null=True, blank=True)
    bcc = models.JSONField(null=True, blank=True)
    subject = models.CharField(max_length=255)
    template = models.CharField(max_length=100, db_index=True)
    template_version = models.IntegerField(default=1)

    # Tracking
    event_id = models.UUIDField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_emails"
    )
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)

    # Status
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    error_message = models.TextField(blank=True)
    retry_count = models.IntegerField(default=0)

    # Context (for debugging; secrets masked)
    context_data = models.JSONField(null=True, blank=True)

    # Provider metadata
    provider = models.CharField(max_length=50, default="gmail")
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)  # delivery webhooks find the row by it

    class Meta:
        db_table = "communications_email_log"
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["recipient", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
            models.Index(fields=["template", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "recipient"], name="email_log_once_per_event"),
        ]

    def __str__(self):
        return f"{self.template} to {self.recipient} - {self.status}"


class SMSLog(models.Model):
    """Track all outgoing SMS for audit and debugging"""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        DELIVERED = "DELIVERED", "Delivered"
        FAILED = "FAILED", "Failed"
        UNDELIVERED = "UNDELIVERED", "Undelivered"
        REJECTED = "REJECTED", "Rejected"
        EXPIRED = "EXPIRED", "Expired (not sent)"

    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED)

    # Message details
    phone_number = models.CharField(max_length=20, db_index=True)
    message = models.TextField()
    template = models.CharField(max_length=100, db_index=True)
    template_version = models.IntegerField(default=1)

    # Tracking
    event_id = models.UUIDField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_sms"
    )
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    # Status
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    error_message = models.TextField(blank=True)
    retry_count = models.IntegerField(default=0)

    # Provider metadata
    provider = models.CharField(max_length=50)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)  # delivery webhooks find the row by it
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    encoding = models.CharField(max_length=5, blank=True)  # GSM-7 or UCS-2
    segments = models.IntegerField(null=True, blank=True)

    class Meta:
        db_table = "communications_sms_log"
        ordering = ["-sent_at"]
        indexes = [
            models.Index(fields=["phone_number", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "phone_number"], name="sms_log_once_per_event"),
        ]

    def __str__(self):
        return f"SMS to {self.phone_number} - {self.status}"


class MessageTemplate(models.Model):
    """A message template known to the system (its files live under templates/)."""

    class Type(models.TextChoices):
        EMAIL = "EMAIL", "Email"
        SMS = "SMS", "SMS"

    name = models.CharField(max_length=100, unique=True)
    type = models.CharField(max_length=10, choices=Type.choices)
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
