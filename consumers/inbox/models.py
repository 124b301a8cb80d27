"""The in-app inbox's log, which is also the user's feed: `communications_inbox_item`.

The feed item IS the delivery-log row, not a second table written beside it. The log row is
unique per (event, template, user), so a redelivered, replayed or failed-over record finds the
same row and can never make a second item: exactly-once comes from the constraint every channel
already has, with no second write to keep in step with the first (a separate feed table would
need its own unique key, and a crash between the two writes would leave them disagreeing).

A row enters the feed when the channel's send gives it a `feed_seq` (consumers/inbox/feed.py):
title, body, link and category are written, the number drawn and the listeners notified in one
transaction, and only if the row has no number yet. Rows without one (PENDING, EXPIRED,
RENDER_FAILED, …) are log rows only, never shown to the user. `feed_seq` is the item's public id:
it orders the feed (newest first), is the list's cursor and the live stream's event id.
"""
from django.conf import settings
from django.db import models
from django.db.models import Q

from consumers.delivery_log import DeliveryLog, DeliveryStatus


class Category(models.TextChoices):
    SECURITY = "security", "Security"
    APPROVALS = "approvals", "Approvals"
    REMINDERS = "reminders", "Reminders"
    STOCK = "stock", "Stock"
    REPORTS = "reports", "Reports"
    PRODUCTION = "production", "Production"
    SALES = "sales", "Sales"


FEED_SEQUENCE = "communications_inbox_item_feed_seq"  # created by the migration; numbers items as they enter the feed


class InboxItem(DeliveryLog):
    """One notification in one user's in-app inbox (and its delivery log row)."""

    class Status(models.TextChoices):
        PENDING = "PENDING", "Pending"
        SENT = "SENT", "In the feed"
        FAILED = "FAILED", "Failed"
        EXPIRED = "EXPIRED", "Expired (not sent)"
        RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
        SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
        SKIPPED = "SKIPPED", "Skipped (the notification is switched off)"
        UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
        HELD = "HELD", "Held for quiet hours (goes when they end)"

    RECIPIENT_FIELD = "user_id"  # the recipient is a user; notifications name them by id (consumers/recipients.py)
    FINAL = (Status.SENT, Status.FAILED, Status.EXPIRED, Status.RENDER_FAILED, Status.SUPPRESSED, Status.SKIPPED, Status.UNKNOWN)
    STATUS_RANK = {DeliveryStatus.PENDING: 0, DeliveryStatus.SENT: 1, DeliveryStatus.FAILED: 1,
    DeliveryStatus.EXPIRED: 1, DeliveryStatus.RENDER_FAILED: 1, DeliveryStatus.SUPPRESSED: 1, DeliveryStatus.SKIPPED: 1,
                   DeliveryStatus.UNKNOWN: 0, DeliveryStatus.HELD: 0}  # nothing follows SENT

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items")
    title = models.CharField(max_length=200, blank=True)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)  # http(s) URL or a path on this site
    category = models.CharField(max_length=20, choices=Category.choices, blank=True)
    feed_seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    read_at = models.DateTimeField(null=True, blank=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="sent_inbox_items"
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    provider = models.CharField(max_length=50, default="database")

    class Meta(DeliveryLog.Meta):
        db_table = "communications_inbox_item"
        indexes = [
            # The feed, newest first, and the unread count: only rows in the feed.
            models.Index(fields=["user", "-feed_seq"], condition=Q(feed_seq__isnull=False), name="inbox_item_feed"),
            models.Index(fields=["user"], condition=Q(feed_seq__isnull=False, read_at__isnull=True,
                                                      archived_at__isnull=True), name="inbox_item_unread"),
            models.Index(fields=["status", "-sent_at"], name="inbox_item_status"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["event_id", "template", "user"], name="inbox_item_once_per_event"),
        ]

    def __str__(self):
        return f"inbox item for user {self.user_id}: {self.title or self.template} - {self.status}"
