"""The event catalogue. One module per domain; import it here to register its types."""
from outbox.events import auth, dispatch, inventory, production, reports, sales  # noqa: F401  (register)
from outbox.events.base import EventSchema, domains, event_types, get_event_type, register

__all__ = ["EventSchema", "domains", "event_types", "get_event_type", "register"]
