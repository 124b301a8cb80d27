"""The event catalogue. One module per domain; import it here to register its types."""
from outbox.events import auth  # noqa: F401  (registers auth.*)
from outbox.events.base import EventSchema, domains, event_types, get_event_type, register

__all__ = ["EventSchema", "domains", "event_types", "get_event_type", "register"]
