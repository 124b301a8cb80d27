"""The transactional outbox: `emit()` writes a notification event in the caller's transaction.

    from outbox import emit
    emit("auth.user_invited", {...}, key=user.email, actor=request.user)
"""
from outbox.errors import (
    EventTooLarge,
    InvalidEventData,
    NotCancellable,
    OutboxError,
    ScheduledSendUnsupported,
    UnknownEventType,
)

__all__ = ["emit", "cancel", "EventTooLarge", "InvalidEventData", "NotCancellable", "OutboxError",
           "ScheduledSendUnsupported", "UnknownEventType"]


def emit(event_type, data, *, key=None, actor=None, using="default", deliver_at=None):
    """Write one outbox row (or, with `deliver_at`, hold it until then); see `outbox.emitter.emit`."""
    from outbox.emitter import emit as _emit  # imported late: models need the app registry

    return _emit(event_type, data, key=key, actor=actor, using=using, deliver_at=deliver_at)


def cancel(event_id, *, using="default"):
    """Withdraw a scheduled event before it is due; see `outbox.scheduled.cancel`."""
    from outbox.scheduled import cancel as _cancel

    return _cancel(event_id, using=using)
