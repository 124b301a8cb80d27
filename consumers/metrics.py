"""Prometheus series of the channel consumers and the delivery webhooks."""
from prometheus_client import Counter, Gauge, Histogram

RECORDS = Counter(
    "chesanto_consumer_records_total", "Kafka records handled by a channel consumer",
    ["channel", "topic", "outcome"],  # outcome: delivered, ignored, retry_scheduled, dead_lettered
)
SENDS = Counter(
    "chesanto_sends_total", "Messages handed to a provider, by outcome",
    ["channel", "template", "provider", "outcome"],  # outcome: the log status (SENT, FAILED, …) or "retry"
)
SEND_SECONDS = Histogram(
    "chesanto_send_seconds", "Time a provider took to accept (or refuse) one message",
    ["channel", "provider"], buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
INTERRUPTED = Counter(
    "chesanto_interrupted_sends_total", "Messages whose provider call may or may not have happened (its process "
    "died during it, or it ended in an unexpected error), by the rule applied: resend or hold (UNKNOWN)",
    ["channel", "rule"],
)
WITHHELD = Counter(
    "chesanto_withheld_total", "Messages a policy step kept from the provider (consumers/policy.py), by the log "
    "status and why", ["channel", "status", "reason"],  # reason: expired, opted_out, hard_bounce, complaint, invalid, …
)
QUIET_HOURS = Counter(
    "chesanto_quiet_hours_total", "Messages held by quiet hours, and held messages released when they ended "
    "(consumers/holds.py)", ["channel", "action"],  # action: held, released
)
SUPPRESSIONS = Counter(
    "chesanto_suppressions_total", "Addresses put on a channel's suppression list", ["channel", "reason"],
)
CONSUMER_LAG = Gauge(
    "chesanto_consumer_lag", "Records behind the end of the partition (high watermark - position)",
    ["channel", "topic", "partition"],
)
IN_FLIGHT = Gauge("chesanto_consumer_in_flight", "Records handed to sender threads, not yet done", ["channel"])
SENDERS = Gauge("chesanto_consumer_senders", "Provider connections the consumer may keep open now (grows to "
                "<PREFIX>_CONCURRENCY, drops when the provider refuses one as too many)", ["channel"])
RECIPIENTS_UNRESOLVED = Counter(
    "chesanto_recipients_unresolved_total", "Names in an event (an address, a user id) that stand for no single "
    "active user, so a user channel delivered nothing to them (consumers/recipients.py)",
    ["channel", "reason"],  # reason: no_user, several_users
)
WEBHOOK_CALLBACKS = Counter(
    "chesanto_webhook_callbacks_total", "Delivery-status callbacks received",
    ["provider", "outcome"],  # outcome: applied, duplicate, unknown_message, refused_unsigned, refused_forged, refused_replay, refused_ip
)
