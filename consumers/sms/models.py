"""The SMS channel's log: the seed's `communications_sms_log`, its fields, table and indexes."""
from django.conf import settings
from django.db import models

from consumers.delivery_log import DeliveryLog, DeliveryStatus


class SMSLog(DeliveryLog):
    """Track all outgoing SMS for audit and debugging"""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        DELIVERED = "DELIVERED", "Delivered"
        FAILED = "FAILED", "Failed"
        UNDELIVERED = "UNDELIVERED", "Undelivered"
        REJECTED = "REJECTED", "Rejected"
        EXPIRED = "EXPIRED", "Expired (not sent)"
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
        SKIPPED = "SKIPPED", "Skipped (the notification is switched off)"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
        HELD = "HELD", "Held for quiet hours (goes when they end)"

    RECIPIENT_FIELD = "phone_number"
    PERSONAL_FIELDS = ("message", "error_message")
    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.UNDELIVERED, Status.REJECTED, Status.EXPIRED,
             Status.RENDER_FAILED, Status.SUPPRESSED, Status.SKIPPED, Status.UNKNOWN)
    STATUS_RANK = {
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 1,
        DeliveryStatus.DELIVERED: 2, DeliveryStatus.UNDELIVERED: 2, DeliveryStatus.FAILED: 2,
        DeliveryStatus.REJECTED: 2, DeliveryStatus.EXPIRED: 2, DeliveryStatus.RENDER_FAILED: 2, DeliveryStatus.SUPPRESSED: 2, DeliveryStatus.SKIPPED: 2,
        DeliveryStatus.UNKNOWN: 0, DeliveryStatus.HELD: 0,
    }

    # Message details
    phone_number = models.CharField(max_length=20, db_index=True)
    message = models.TextField()

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_sms"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)

    # Provider metadata
    cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    encoding = models.CharField(max_length=5, blank=True)  # GSM-7 or UCS-2
    segments = models.IntegerField(null=True, blank=True)

    class Meta(DeliveryLog.Meta):
        db_table = "communications_sms_log"
        indexes = [
            models.Index(fields=["phone_number", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "phone_number"], name="sms_log_once_per_event"),
        ]

    def __str__(self):
        return f"SMS to {self.phone_number} - {self.status}"
