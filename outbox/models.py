"""The outbox table.

Columns `id`, `aggregatetype`, `aggregateid`, `type` and `payload` follow
Debezium's outbox event router, so a CDC connector can replace the relay without
a schema change. The rest is what the relay needs: insertion order (`seq`), the
shard that fixes which relay may publish it, publication state and errors.

A row the relay cannot publish is retried (`attempts`, `retry_at`) and after
RELAY_MAX_ATTEMPTS parked (`parked_at`, `last_error`); later rows of the same
key wait behind a waiting or parked row, every other key flows (docs/relay.md).
"""
import uuid

from django.db import models
from django.db.models import Func, Q, Value
from django.db.models.functions import Now

SEQUENCE = "outbox_event_seq"


class OutboxEvent(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    seq = models.BigIntegerField(editable=False, db_default=Func(Value(SEQUENCE), function="nextval"))
    aggregatetype = models.CharField(max_length=255, help_text="The domain; routes to its topic.")
    aggregateid = models.CharField(max_length=255, help_text="The Kafka record key; order is kept per key.")
    type = models.CharField(max_length=255)
    payload = models.JSONField()
    headers = models.JSONField(default=dict, db_default={}, help_text="actor, traceparent, trace_id, schema version")
    shard = models.SmallIntegerField(default=0, db_default=0)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.IntegerField(default=0, db_default=0)
    retry_at = models.DateTimeField(null=True, blank=True, help_text="Not retried before this time after a failure.")
    parked_at = models.DateTimeField(null=True, blank=True, help_text="Given up on after RELAY_MAX_ATTEMPTS; requeue to retry.")
    last_error = models.TextField(blank=True, default="", db_default="")
    kafka_topic = models.CharField(max_length=255, blank=True, default="", db_default="")
    kafka_partition = models.IntegerField(null=True, blank=True)
    kafka_offset = models.BigIntegerField(null=True, blank=True)
    deliver_at = models.DateTimeField(null=True, blank=True, help_text="The time it was scheduled for, if "
                                      "emitted with deliver_at (held in outbox_scheduled until then).")

    class Meta:
        db_table = "outbox_event"
        ordering = ["-seq"]
        indexes = [
            # The relay's claim query reads only unpublished rows, in order (parked ones are few).
            models.Index(fields=["seq"], name="outbox_unpublished_idx", condition=Q(published_at__isnull=True)),
            # Rows that failed and are not published yet (usually none): what a key waits behind.
            models.Index(fields=["aggregateid", "seq"], name="outbox_failing_idx",
                         condition=Q(published_at__isnull=True, attempts__gt=0)),
            # Purge (oldest first) and the admin's date drill-down. There is deliberately no index
            # on the key: each one costs every emit and every mark a random B-tree insert (the
            # relay's mark rate drops by a third); requeue by key uses outbox_failing_idx.
            models.Index(fields=["created_at"], name="outbox_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregateid} ({self.id})"

    @property
    def status(self) -> str:
        if self.published_at:
            return "published"
        return "parked" if self.parked_at else "pending"


class ScheduledEvent(models.Model):
    """An event emitted with `deliver_at`, held out of `outbox_event` until it is due.

    The relay moves due rows of its shards into `outbox_event` (relay/store.py RELEASE), where they
    take the next `seq`: a scheduled event is ordered by the time it became due, not by the time it
    was emitted. Held apart, a week of scheduled rows costs the claim nothing (its index holds only
    rows to publish now), and cancelling one before it is due deletes it (outbox/scheduled.py).
    """
    id = models.UUIDField(primary_key=True, editable=False)
    seq = models.BigIntegerField(editable=False, db_default=Func(Value(SEQUENCE), function="nextval"),
                                 help_text="Emit order: breaks ties between rows due at the same time.")
    aggregatetype = models.CharField(max_length=255)
    aggregateid = models.CharField(max_length=255)
    type = models.CharField(max_length=255)
    payload = models.JSONField()
    headers = models.JSONField(default=dict)
    shard = models.SmallIntegerField(default=0)
    created_at = models.DateTimeField(db_default=Now(), editable=False)
    deliver_at = models.DateTimeField(help_text="Published when due, at most RELAY_RELEASE_INTERVAL later.")

    class Meta:
        db_table = "outbox_scheduled"
        ordering = ["deliver_at"]
        # The relay's release reads the due rows by time: one index probe per look when none is due.
        indexes = [models.Index(fields=["deliver_at"], name="outbox_scheduled_due_idx")]

    def __str__(self) -> str:
        return f"{self.type} {self.aggregateid} at {self.deliver_at:%Y-%m-%d %H:%M:%S %Z} ({self.id})"
