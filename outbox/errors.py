"""Errors a caller of `emit()` can cause; each says what was wrong."""


class OutboxError(Exception):
    """Base class of the outbox's user-facing errors."""


class UnknownEventType(OutboxError, LookupError):
    def __init__(self, event_type: str, known: list[str]):
        self.event_type = event_type
        super().__init__(
            f"unknown event type {event_type!r}; registered types: {', '.join(sorted(known))}"
        )


class InvalidEventData(OutboxError, ValueError):
    """The data does not match the event type's schema. `problems` maps field -> message."""

    def __init__(self, event_type: str, problems: dict[str, str]):
        self.event_type = event_type
        self.problems = problems
        detail = "; ".join(f"{field}: {message}" for field, message in problems.items())
        super().__init__(f"invalid data for {event_type}: {detail}")


class EventTooLarge(OutboxError, ValueError):
    """The event's Kafka record would be larger than OUTBOX_MAX_EVENT_BYTES (the brokers would refuse it)."""

    def __init__(self, event_type: str, size: int, limit: int):
        self.event_type, self.size, self.limit = event_type, size, limit
        super().__init__(
            f"{event_type}: the event is about {size:,} bytes as a Kafka record, over OUTBOX_MAX_EVENT_BYTES="
            f"{limit:,}; pass large content by reference (a stored file, a URL), or raise the setting together "
            "with the brokers' and the relay producer's message.max.bytes")


class ScheduledSendUnsupported(OutboxError):
    """`emit(..., deliver_at=...)` with OUTBOX_PUBLISHER=debezium: the connector publishes every row
    of outbox_event as it is inserted, and nothing would move a held row there when due."""

    def __init__(self, event_type: str):
        self.event_type = event_type
        super().__init__(
            f"{event_type}: deliver_at is not supported with OUTBOX_PUBLISHER=debezium (the connector publishes "
            "each outbox row the moment it is written); emit it when it is due, e.g. from a recurring schedule "
            "(docs/scheduling.md), or publish with the relay")


class NotCancellable(OutboxError):
    """`cancel()` of an event that is no longer held: it came due and is in the outbox (or published)."""

    def __init__(self, event_id, published: bool):
        self.event_id, self.published = event_id, published
        state = "was already published" if published else "is already due and waiting for the relay to publish it"
        super().__init__(f"event {event_id} {state}; it can no longer be cancelled")
