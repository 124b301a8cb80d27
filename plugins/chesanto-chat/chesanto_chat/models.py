"""The chat channel's log, `chesanto_chat_log`: one row per (event, notification, room). It names the
room, never its webhook URL (a credential)."""
from django.conf import settings
from django.db import models

from consumers.delivery_log import DeliveryLog


class ChatLog(DeliveryLog):
    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"  # the service took it (an incoming webhook reports nothing further)
        FAILED = "FAILED", "Failed"  # the message was refused, or retried until CHAT_MAX_RETRIES
        REJECTED = "REJECTED", "Rejected (the room's webhook refuses everything)"
        EXPIRED = "EXPIRED", "Expired (not sent)"
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"

    RECIPIENT_FIELD = "room"
    FINAL = (Status.SENT, Status.FAILED, Status.REJECTED, Status.EXPIRED, Status.RENDER_FAILED, Status.UNKNOWN)
    STATUS_RANK = {
        "PENDING": 0, "UNKNOWN": 0,
        "SENT": 1, "FAILED": 1, "REJECTED": 1, "EXPIRED": 1, "RENDER_FAILED": 1,
    }

    room = models.CharField(max_length=100, db_index=True)  # a CHAT_ROOMS name
    service = models.CharField(max_length=20, blank=True)  # slack, teams, google_chat, webhook
    title = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_chat"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)

    class Meta(DeliveryLog.Meta):
        db_table = "chesanto_chat_log"
        verbose_name = "chat log"
        indexes = [models.Index(fields=["room", "-sent_at"]), models.Index(fields=["status", "-sent_at"])]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "room"], name="chat_log_once_per_event"),
        ]

    def __str__(self):
        return f"chat to {self.room} - {self.status}"
