"""Event payloads for tests."""
from __future__ import annotations

from typing import Any

from outbox.events.samples import sample


def by_address(event_type: str, **changes: Any) -> dict[str, Any]:
    """The sample payload of `event_type` naming its people by address only (its user-id fields left
    out, so the inbox and push look the addresses up: consumers/recipients.py), with `changes`."""
    payload = {name: value for name, value in sample(event_type).items()
               if not name.endswith(("user_id", "user_ids"))}
    return {**payload, **changes}
