"""The WhatsApp channel: Meta's Cloud API behind the common LoggedChannel sequence.

Each message is rendered as its approved template; when the notification allows text and the
customer's 24-hour window is open (window.py), as a text message with that template as its
fallback: should Meta answer that the window has closed (131047), the template goes instead.
"""
from __future__ import annotations

import logging
import re

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

from chesanto_comms.env import SettingError
from consumers.consent import KeyKind
from consumers.delivery import LoggedChannel
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.languages import choose
from consumers.notifications import Notification
from consumers.providers import Sent, TransientError
from consumers.whatsapp import template_config, window
from consumers.whatsapp.client import PROVIDER, CloudApiClient, WhatsAppConfigError
from consumers.whatsapp.compose import WhatsAppMessage, template_message, text_message
from consumers.whatsapp.errors import RE_ENGAGEMENT, MetaRefused
from consumers.whatsapp.models import WhatsAppLog
from consumers.whatsapp.notifications import WHATSAPP
from consumers.whatsapp.settings import whatsapp_settings
from consumers.whatsapp.template_config import TemplateConfig
from outbox.events.phones import masked_phone

log = logging.getLogger(__name__)

E164 = re.compile(r"\+[1-9]\d{7,14}")


class WhatsAppChannel(LoggedChannel):
    name = "whatsapp"
    consent_key_kind = KeyKind.NUMBER
    label = "WhatsApp"
    settings = whatsapp_settings
    settings_prefix = "WHATSAPP"
    template_extensions = (".txt",)
    log_model = WhatsAppLog
    notifications = WHATSAPP

    def __init__(self, client: CloudApiClient | None = None):
        # The client (and its settings check) is made on first send: a channel is also built
        # for routing and for the template catalogue, where no credentials are needed.
        self._client = client

    @property
    def client(self) -> CloudApiClient:
        if self._client is None:
            self._client = CloudApiClient.from_settings()
        return self._client

    def templates(self) -> dict[str, TemplateConfig]:
        """Each notification's template, WHATSAPP_TEMPLATES applied; raises TemplateConfigError."""
        try:
            overrides = whatsapp_settings.WHATSAPP_TEMPLATES  # its validator builds every override
        except SettingError as exc:
            raise ImproperlyConfigured(str(exc)) from None
        return {n.name: template_config.resolve(n, overrides) for ns in self.notifications.values() for n in ns}

    def check(self) -> None:
        super().check()
        configured = self.templates()
        self.client  # noqa: B018 - builds it: a missing token or phone-number id raises WhatsAppConfigError
        if self.client.business_account_id:
            self._check_approved(configured)

    def _check_approved(self, configured: dict[str, TemplateConfig]) -> None:
        try:
            known = self.client.approved_templates()
        except TransientError as exc:  # Meta away: start anyway, a send will say what is wrong
            log.warning("could not read the business account's templates, so their approval is unchecked: %s", exc)
            return
        except MetaRefused as exc:
            raise ImproperlyConfigured(f"WHATSAPP_BUSINESS_ACCOUNT_ID={self.client.business_account_id!r}: "
                                       f"Meta refused to list its templates: {exc}") from None
        problems = []
        for notification, config in configured.items():
            found = known.get((config.name, config.language))
            if found is None:
                problems.append(f"{notification}: template {config.describe()} does not exist in the business account")
            elif found.status != "APPROVED":
                problems.append(f"{notification}: template {config.describe()} is {found.status}, not APPROVED")
            elif found.body_parameters != len(config.body):
                problems.append(f"{notification}: template {config.describe()} takes {found.body_parameters} body "
                                f"parameters, the configuration gives {len(config.body)}")
        if problems:
            raise ImproperlyConfigured("WhatsApp templates not ready to send: " + "; ".join(problems)
                                       + " (submit them as docs/whatsapp.md shows, or fix WHATSAPP_TEMPLATES)")

    def logged_recipient(self, recipient: str) -> str:
        return masked_phone(recipient)

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"message": "", "provider": PROVIDER}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> WhatsAppMessage:
        config = template_config.resolve(notification, whatsapp_settings.WHATSAPP_TEMPLATES)
        as_template = template_message(config, notification, event.data, recipient)
        if notification.options["text_in_window"] and window.is_open(recipient, timezone.now()):
            return text_message(notification, event.data, recipient, fallback=as_template,
                                language=choose(notification, event.data, recipient))
        return as_template

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        config = template_config.resolve(notification, whatsapp_settings.WHATSAPP_TEMPLATES)
        sample_number = "+254700000000"
        as_template = template_message(config, notification, data, sample_number)
        text = text_message(notification, data, sample_number, fallback=as_template,
                            language=choose(notification, data, sample_number))
        return Preview(self.name, text=text.payload["text"]["body"], facts=(
            ("template", f"{config.describe()}, {config.category}"),
            ("parameters", as_template.logged_text.partition(": ")[2] or "none"),
            ("window", "inside the 24-hour window: the text above" if notification.options["text_in_window"]
             else "inside the 24-hour window too: the template"),
        ))

    def describe(self, message: WhatsAppMessage, entry: WhatsAppLog) -> None:
        entry.message = message.logged_text
        entry.message_type = message.kind.value
        entry.whatsapp_template = message.template.name if message.template else ""
        entry.language = message.template.language if message.template else ""

    def send(self, message: WhatsAppMessage, recipient: str, entry: WhatsAppLog) -> Sent:
        if not E164.fullmatch(recipient):
            raise MetaRefused(f"{recipient!r} is not an E.164 phone number (+, country code, number)", status=DeliveryStatus.REJECTED)
        try:
            client = self.client
        except WhatsAppConfigError as exc:
            # Ours to fix, like a wrong token: once the settings are right, a retry sends.
            raise TransientError(f"WhatsApp not configured: {exc}") from None
        try:
            return client.send(message.payload)
        except MetaRefused as exc:
            if exc.code != RE_ENGAGEMENT or message.fallback is None:
                raise
            log.info("the window of %s closed before the text went: sending the template", masked_phone(recipient))
            self.describe(message.fallback, entry)
            return client.send(message.fallback.payload)

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
