"""The email channel's log: the seed's `communications_email_log`, its fields, table and indexes."""
from django.conf import settings
from django.db import models

from consumers.delivery_log import DeliveryLog, DeliveryStatus


class EmailLog(DeliveryLog):
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
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
        SKIPPED = "SKIPPED", "Skipped (the notification is switched off)"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
        HELD = "HELD", "Held for quiet hours (goes when they end)"

    RECIPIENT_FIELD = "recipient"
    PERSONAL_FIELDS = ("cc", "bcc", "subject", "context_data", "error_message")
    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.BOUNCED, Status.REJECTED, Status.COMPLAINED,
             Status.EXPIRED, Status.RENDER_FAILED, Status.SUPPRESSED, Status.SKIPPED, Status.UNKNOWN)
    STATUS_RANK = {
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 1,
        DeliveryStatus.DELIVERED: 2,
        # A bounce or a complaint can follow a delivery (an asynchronous bounce, a spam report).
        DeliveryStatus.COMPLAINED: 3, DeliveryStatus.BOUNCED: 3, DeliveryStatus.REJECTED: 3,
        DeliveryStatus.FAILED: 3, DeliveryStatus.EXPIRED: 3, DeliveryStatus.RENDER_FAILED: 3, DeliveryStatus.SUPPRESSED: 3, DeliveryStatus.SKIPPED: 3,
        DeliveryStatus.UNKNOWN: 0, DeliveryStatus.HELD: 0,
    }

    # Message details
    recipient = models.EmailField(db_index=True)
    cc = models.JSONField(null=True, blank=True)
    bcc = models.JSONField(null=True, blank=True)
    subject = models.CharField(max_length=255)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_emails"
    )
    opened_at = models.DateTimeField(null=True, blank=True)
    clicked_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)

    # Context (for debugging; secrets masked)
    context_data = models.JSONField(null=True, blank=True)

    provider = models.CharField(max_length=50, default="gmail")

    class Meta(DeliveryLog.Meta):
        db_table = "communications_email_log"
        indexes = [
            models.Index(fields=["recipient", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
            models.Index(fields=["template", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "recipient"], name="email_log_once_per_event"),
        ]
