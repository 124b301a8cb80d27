from django.db import models
from django.utils import timezone


class WebhookReceipt(models.Model):
    """One accepted delivery-status callback: the same callback again finds this row and is
    refused as a replay. Purged after WEBHOOK_REPLAY_WINDOW_DAYS (see replay.py)."""

    provider = models.CharField(max_length=50)
    digest = models.CharField(max_length=64)  # SHA-256 (hex) of what the provider signed / sent
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "communications_webhook_receipt"
        constraints = [models.UniqueConstraint(fields=["provider", "digest"], name="webhook_receipt_once")]

    def __str__(self):
        return f"{self.provider} {self.digest[:12]} at {self.created_at:%Y-%m-%d %H:%M:%S}"
