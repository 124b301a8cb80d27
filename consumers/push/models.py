"""The push channel's tables: the devices the bakery's mobile app registered, and the log.

A user has a device per app install (one FCM registration token each); a push notification to a
user goes to each of their devices, so the log has one row per device: its recipient is the
device's token (the address FCM knows, as a phone number is for SMS). Each device's delivery has
its own outcome (one SENT, another UNREGISTERED), which a row per user could not hold, and the
row still says which token was dropped after its device row is deleted.

A user with no device, an id or address no active user has, or an address several users have (so
it names none of them) gets one SKIPPED row whose recipient says so ("user 42 (no device)",
"x@y.example (no user)", "x@y.example (several users)": consumers/push/recipients.py; a token never
holds a space), so the log answers "why did nobody get a push?".
"""
from django.conf import settings
from django.db import models
from django.utils import timezone

from consumers.delivery_log import DeliveryLog, DeliveryStatus

TOKEN_MAX_LENGTH = 512  # FCM tokens are about 160 characters; the API documents no maximum


class PushDevice(models.Model):
    """One install of the bakery's mobile app (or web app) that can receive push notifications."""

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        WEB = "web", "Web"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_devices")
    token = models.CharField(max_length=TOKEN_MAX_LENGTH, unique=True)  # the FCM registration token
    platform = models.CharField(max_length=10, choices=Platform.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(default=timezone.now)  # the app's latest registration of the token

    class Meta:
        db_table = "communications_push_device"
        ordering = ["user_id", "pk"]

    def __str__(self):
        return f"{self.platform} device of {self.user}"


class PushLog(DeliveryLog):
    """Track all outgoing push notifications for audit and debugging"""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "Sent"
        FAILED = "FAILED", "Failed"
        REJECTED = "REJECTED", "Rejected"
        UNREGISTERED = "UNREGISTERED", "Token unregistered (device removed)"
        INVALID_TOKEN = "INVALID_TOKEN", "Token invalid (device removed)"
        SKIPPED = "SKIPPED", "Skipped (no device to send to, or the notification is switched off)"
        EXPIRED = "EXPIRED", "Expired (not sent)"
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
        HELD = "HELD", "Held for quiet hours (goes when they end)"

    RECIPIENT_FIELD = "recipient"
    PERSONAL_FIELDS = ("user", "title", "body", "error_message")
    FINAL = (Status.SENT, Status.FAILED, Status.REJECTED, Status.UNREGISTERED, Status.INVALID_TOKEN, Status.SKIPPED,
             Status.EXPIRED, Status.RENDER_FAILED, Status.SUPPRESSED, Status.UNKNOWN)
    STATUS_RANK = {  # FCM v1 reports no delivery to the device, so SENT is as far as a push gets
        DeliveryStatus.PENDING: 0,
        DeliveryStatus.SENT: 1, DeliveryStatus.FAILED: 1, DeliveryStatus.REJECTED: 1, DeliveryStatus.UNREGISTERED: 1,
        DeliveryStatus.INVALID_TOKEN: 1, DeliveryStatus.SKIPPED: 1, DeliveryStatus.EXPIRED: 1,
        DeliveryStatus.RENDER_FAILED: 1, DeliveryStatus.SUPPRESSED: 1, DeliveryStatus.UNKNOWN: 0, DeliveryStatus.HELD: 0,
    }

    recipient = models.CharField(max_length=TOKEN_MAX_LENGTH, db_index=True)  # a device token (see above)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="push_logs")
    platform = models.CharField(max_length=10, blank=True)
    title = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_push"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    provider = models.CharField(max_length=50, default="fcm")

    class Meta(DeliveryLog.Meta):
        db_table = "communications_push_log"
        indexes = [
            models.Index(fields=["user", "-sent_at"]),
            models.Index(fields=["status", "-sent_at"]),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "recipient"], name="push_log_once_per_event"),
        ]

    def __str__(self):
        return f"push to {self.recipient[:24]} - {self.status}"
