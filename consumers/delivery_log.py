"""The delivery log every channel keeps: one row per (event, template, recipient).

A channel's log model is a concrete subclass in its own package (`consumers/<channel>/models.py`)
that names its recipient column (`RECIPIENT_FIELD`), its statuses and how far each says a message
got (`STATUS_RANK`, which delivery webhooks use to move statuses only forward), and adds its own
columns. The unique constraint on (event_id, template, recipient) makes delivery idempotent: a
redelivered or replayed record finds its row and does not send again.
"""
from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class DeliveryStatus(models.TextChoices):
    """Every status a log row can have, the one vocabulary code names them by. A channel's log model
    declares (as its Status choices and STATUS_RANK) the subset its provider can report. Each member's
    name is its value: an Enum hashes by name, and STATUS_RANK is looked up with members."""

    PENDING = "PENDING", "Pending"
    SENT = "SENT", "Sent"
    DELIVERED = "DELIVERED", "Delivered"
    FAILED = "FAILED", "Failed"
    REJECTED = "REJECTED", "Rejected"
    EXPIRED = "EXPIRED", "Expired (not sent)"
    RENDER_FAILED = "RENDER_FAILED", "Could not be rendered"
    # The recipient opted out of its category, or the address is on the channel's suppression list
    # (consumers/consent.py): not sent; the row's error_message says which.
    SUPPRESSED = "SUPPRESSED", "Suppressed (opted out or on the suppression list)"
    # Its process died during the provider call, and the notification's rule says a second copy costs more
    # than a missed one: held for an operator to decide (the admin's actions; consumers/claims.py).
    UNKNOWN = "UNKNOWN", "Unknown (held for a decision)"
    # Inside the recipient's quiet hours (consumers/quiet_hours.py): kept back, not dropped; its HeldMessage row
    # says when it goes (the row's error_message too), and the releaser sends it then (consumers/holds.py).
    HELD = "HELD", "Held for quiet hours (goes when they end)"
    # Reported by some channels' providers only
    UNDELIVERED = "UNDELIVERED", "Undelivered"  # SMS: the carrier could not deliver it
    BOUNCED = "BOUNCED", "Bounced"  # email
    COMPLAINED = "COMPLAINED", "Complained (marked as spam)"  # email
    UNREGISTERED = "UNREGISTERED", "Token unregistered (device removed)"  # push
    INVALID_TOKEN = "INVALID_TOKEN", "Token invalid (device removed)"  # push
    # Not sent: staff switched the notification off (MessageTemplate.is_active), or (push) the user has no device.
    SKIPPED = "SKIPPED", "Skipped (switched off, or no device to send to)"


class DeliveryLog(models.Model):
    RECIPIENT_FIELD: ClassVar[str]  # the column holding the recipient (an address, a number, a user id)
    # what a data subject's erasure empties besides the recipient (consumers/subjects.py): the message's words
    PERSONAL_FIELDS: ClassVar[tuple[str, ...]] = ("error_message",)
    STATUS_RANK: ClassVar[dict[str, int]]  # how far each status says the message got; finals share the top
    FINAL: ClassVar[tuple[str, ...]]

    template = models.CharField(max_length=100, db_index=True)
    template_version = models.IntegerField(default=1)  # the notification's (its code's) version
    # The staff override it was rendered from (MessageTemplateVersion.number); empty: the template files.
    override_version = models.PositiveIntegerField(null=True, blank=True)

    # Tracking
    event_id = models.UUIDField(null=True, blank=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")  # each channel names its reverse accessor
    sent_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    # Status (each channel declares its choices)
    status = models.CharField(max_length=20, default=DeliveryStatus.PENDING, db_index=True)
    error_message = models.TextField(blank=True)
    retry_count = models.IntegerField(default=0)

    # The attempt (consumers/claims.py): recorded, with the claim, before the provider is called
    attempts = models.IntegerField(default=0)  # times a consumer took the row to send it
    attempted_at = models.DateTimeField(null=True, blank=True)
    attempted_by = models.CharField(max_length=64, blank=True)  # the process: its consumers/claims.py token
    claimed = models.BooleanField(default=False)  # a process holds the row: only it may send it now
    interrupted_by = models.CharField(max_length=64, blank=True)  # the last process whose call was cut short

    # Provider metadata
    provider = models.CharField(max_length=50)
    provider_message_id = models.CharField(max_length=255, blank=True, db_index=True)  # webhooks find the row by it

    class Meta:
        abstract = True
        ordering = ["-sent_at"]

    @property
    def recipient_value(self) -> str:
        return getattr(self, self.RECIPIENT_FIELD)

    def __str__(self):
        return f"{self.template} to {self.recipient_value} - {self.status}"
