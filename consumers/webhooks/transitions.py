"""Which log changes a callback may make: now `consumers/log_rows.py` (`Change`, `advance`), the module that
owns a log row's life. These names stay for the webhook modules that import them from here."""
from __future__ import annotations

from consumers.log_rows import Change, advance, callback_changes

changes = callback_changes
apply = advance

__all__ = ["Change", "apply", "changes"]
