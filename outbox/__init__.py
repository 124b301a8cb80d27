"""The transactional outbox: `emit()` writes a notification event in the caller's transaction.

    from outbox import emit
    emit("auth.user_invited", {...}, key=user.email, actor=request.user)
"""
from outbox.errors import EventTooLarge, InvalidEventData, OutboxError, UnknownEventType

__all__ = ["emit", "EventTooLarge", "InvalidEventData", "OutboxError", "UnknownEventType"]


def emit(event_type, data, *, key=None, actor=None, using="default"):
    """Write one outbox row; see `outbox.emitter.emit`."""
    from outbox.emitter import emit as _emit  # imported late: models need the app registry

    return _emit(event_type, data, key=key, actor=actor, using=using)
