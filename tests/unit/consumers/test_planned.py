"""LoggedChannel.planned: what replay reads from the log, for recipients of any column type."""
from __future__ import annotations

import uuid

from consumers.delivery import LoggedChannel
from consumers.events import InboundEvent
from consumers.notifications import Notification
from outbox.events import get_event_type
from outbox.events.samples import sample


class _Rows:
    def __init__(self, rows):
        self.rows = rows

    def filter(self, **lookups):
        return self

    def values_list(self, *fields):
        return self.rows


class _UserKeyedLog:
    """A log whose recipient column holds user ids: they read back as numbers."""

    RECIPIENT_FIELD = "user_id"
    objects = _Rows([("welcome", 7, "SENT")])


class _UserChannel(LoggedChannel):
    name, label, settings, settings_prefix, template_extensions = "users", "users", None, "USERS", (".txt",)
    log_model = _UserKeyedLog
    notifications = {"auth.account_approved": [
        Notification("welcome", "users/welcome", lambda data: ["7", "8"])]}

    def render(self, notification, event, recipient): ...

    def send(self, message, recipient, entry): ...


def test_a_numeric_recipient_column_matches_recipients_given_as_text():
    data = get_event_type("auth.account_approved").parse(sample("auth.account_approved"))
    event = InboundEvent(id=uuid.uuid4(), type="auth.account_approved", key=data.partition_key(), data=data)
    assert [(n.name, recipient, status) for n, recipient, status in _UserChannel().planned(event)] == [
        ("welcome", "7", "SENT"), ("welcome", "8", None)]
