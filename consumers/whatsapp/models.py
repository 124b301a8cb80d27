"""The WhatsApp channel's log (`communications_whatsapp_log`) and what it knows of each customer's
customer-service window (`communications_whatsapp_contact`)."""
from django.conf import settings
from django.db import models

from consumers.delivery_log import DeliveryLog, DeliveryStatus


class WhatsAppLog(DeliveryLog):
    """Track all outgoing WhatsApp messages for audit and debugging"""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"  # Meta accepted it (and its webhook may say "sent": on WhatsApp's servers)
        DELIVERED = "DELIVERED", "Delivered"  # on the customer's phone (and, with opened_at, read)
        FAILED = "FAILED", "Failed"
        REJECTED = "REJECTED", "Rejected"  # the number cannot get it (no WhatsApp account, ...)
        EXPIRED = "EXPIRED", "Expired (not sent)"
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
        SKIPPED = "SKIPPED", "Skipped (the notification is switched off)"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
        HELD = "HELD", "Held for quiet hours (goes when they end)"

    class MessageType(models.TextChoices):
        TEMPLATE = "template", "Approved template"
        TEXT = "text", "Text (inside the customer-service window)"

    RECIPIENT_FIELD = "phone_number"
    PERSONAL_FIELDS = ("message", "error_message")
    FINAL = (Status.SENT, Status.DELIVERED, Status.FAILED, Status.REJECTED, Status.EXPIRED, Status.RENDER_FAILED, Status.SUPPRESSED, Status.SKIPPED,
             Status.UNKNOWN)
    STATUS_RANK = {
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 1,
        DeliveryStatus.DELIVERED: 2,
        # A failure can still follow a delivery report; a read receipt is opened_at, not a status.
        DeliveryStatus.FAILED: 3, DeliveryStatus.REJECTED: 3, DeliveryStatus.EXPIRED: 3,
        DeliveryStatus.RENDER_FAILED: 3, DeliveryStatus.SUPPRESSED: 3, DeliveryStatus.SKIPPED: 3, DeliveryStatus.UNKNOWN: 0, DeliveryStatus.HELD: 0,
    }

    phone_number = models.CharField(max_length=20, db_index=True)  # E.164
    message = models.TextField(blank=True)  # the text, or the template and its parameters; secrets masked
    message_type = models.CharField(max_length=10, choices=MessageType.choices, blank=True)
    whatsapp_template = models.CharField(max_length=512, blank=True)  # the approved template's name, when one
    language = models.CharField(max_length=15, blank=True)
    # WhatsApp's read receipt (only when the customer has them on); the name is the one the
    # delivery webhooks set for the first open (consumers/log_rows.py, advance).
    opened_at = models.DateTimeField("read at", null=True, blank=True)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_whatsapp"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)

    class Meta(DeliveryLog.Meta):
        db_table = "communications_whatsapp_log"
        verbose_name = "WhatsApp log"
        indexes = [
            models.Index(fields=["phone_number", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "phone_number"],
                                    name="whatsapp_log_once_per_event"),
        ]

    def __str__(self):
        return f"WhatsApp to {self.phone_number} - {self.status}"


class WhatsAppContact(models.Model):
    """When a customer last wrote to the business number: it opens a 24-hour window in which
    free-form text may be sent (consumers/whatsapp/window.py). Written by the webhook."""

    phone_number = models.CharField(max_length=20, unique=True)  # E.164
    last_inbound_at = models.DateTimeField()

    class Meta:
        db_table = "communications_whatsapp_contact"
        verbose_name = "WhatsApp contact"

    def __str__(self):
        return f"{self.phone_number} wrote at {self.last_inbound_at:%Y-%m-%d %H:%M}"
