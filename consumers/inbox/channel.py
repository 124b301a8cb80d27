"""The in-app inbox channel: its "provider" is the database. Sending puts the log row, which is
the feed item (consumers/inbox/models.py), in its user's feed and wakes their open pages."""
from __future__ import annotations

import psycopg
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError, connections, router

from consumers import rendering
from consumers.consent import KeyKind
from consumers.delivery import LoggedChannel
from consumers.events import InboundEvent
from consumers.inbox import feed
from consumers.inbox.compose import RenderedItem, render_item
from consumers.inbox.models import InboxItem
from consumers.inbox.notifications import INBOX
from consumers.inbox.settings import inbox_settings
from consumers.languages import choose
from consumers.notifications import Notification
from consumers.providers import Sent, TransientError

PROVIDER = "database"


class InboxChannel(LoggedChannel):
    name = "inbox"
    consent_key_kind = KeyKind.USER
    label = "inbox"
    settings = inbox_settings
    settings_prefix = "INBOX"
    template_extensions = (".txt",)
    log_model = InboxItem
    notifications = INBOX
    idempotent_sends = True  # a row enters the feed once (consumers/inbox/feed.py): an interrupted one is resent

    def consent_keys(self, recipients: set[str]) -> dict[str, str]:
        return {recipient: f"user:{recipient}" for recipient in recipients}  # a recipient is a user's id

    def check(self) -> None:
        super().check()
        alias = router.db_for_write(InboxItem)
        if connections[alias].vendor != "postgresql":
            raise ImproperlyConfigured(f"the inbox channel needs PostgreSQL (LISTEN/NOTIFY, sequences); the "
                                       f"{alias!r} database is {connections[alias].vendor}")
        if inbox_settings.INBOX_SSE_HEARTBEAT >= inbox_settings.INBOX_SSE_MAX_SECONDS:
            raise ImproperlyConfigured(
                f"INBOX_SSE_HEARTBEAT={inbox_settings.INBOX_SSE_HEARTBEAT} must be shorter than "
                f"INBOX_SSE_MAX_SECONDS={inbox_settings.INBOX_SSE_MAX_SECONDS}: a stream would end before its "
                "first keep-alive")
        for path in self.template_files():
            template = rendering.environment().get_template(path)
            missing = [block for block in ("title", "body") if block not in template.blocks]
            if missing:
                raise ImproperlyConfigured(f"the inbox template {template.filename} has no "
                                           f"{' and no '.join(missing)} block; see consumers/inbox/compose.py")

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"provider": PROVIDER, "category": notification.options["category"]}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> RenderedItem:
        return render_item(notification, event.data, choose(notification, event.data, recipient))

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        item = render_item(notification, data, choose(notification, data, "(preview)"))
        return Preview(self.name, subject=item.title, text=item.body,
                       facts=(("category", item.category.label), ("link", item.link or "none")))

    def describe(self, message: RenderedItem, entry: InboxItem) -> None:
        entry.title, entry.body, entry.link, entry.category = message.title, message.body, message.link, message.category

    def send(self, message: RenderedItem, recipient: str, entry: InboxItem) -> Sent:
        try:
            seq, _ = feed.enter_feed(entry, message, timeout=self.delivery.timeout)
        except OperationalError as exc:
            if isinstance(exc.__cause__, psycopg.errors.QueryCanceled):  # our statement timeout, not an outage
                raise TransientError(f"the feed write took longer than INBOX_TIMEOUT={self.delivery.timeout}s") from None
            raise  # the database is away: the consume loop waits it out
        entry.feed_seq = seq
        return Sent(provider_message_id=str(seq), provider=PROVIDER)
