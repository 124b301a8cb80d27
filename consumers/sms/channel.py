"""The SMS channel: one HTTP provider (SMS_PROVIDER) behind the common LoggedChannel sequence."""
from __future__ import annotations

from consumers.consent import KeyKind
from consumers.delivery import LoggedChannel
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.languages import choose
from consumers.notifications import Notification
from consumers.providers import PermanentError, Sent, TransientError
from consumers.sms.compose import RenderedSms, render_sms
from consumers.sms.models import SMSLog
from consumers.sms.notifications import SMS
from consumers.sms.providers import get_provider
from consumers.sms.providers.base import SmsConfigError, SmsProvider
from consumers.sms.settings import sms_settings
from outbox.events.phones import InvalidPhoneNumber, e164, masked_phone

PREVIEW_NUMBER = "+254700000000"


class SMSChannel(LoggedChannel):
    name = "sms"
    consent_key_kind = KeyKind.NUMBER
    label = "SMS"
    settings = sms_settings
    settings_prefix = "SMS"
    template_extensions = (".txt",)
    log_model = SMSLog
    notifications = SMS

    def __init__(self, provider: SmsProvider | None = None):
        # The provider (and its settings check) is made on first send: a channel is also
        # built for routing and for the template catalogue, where no credentials are needed.
        self._provider = provider

    @property
    def provider(self) -> SmsProvider:
        if self._provider is None:
            self._provider = get_provider()  # one provider, one kept-alive HTTP session
        return self._provider

    def check(self) -> None:
        super().check()
        self.provider  # noqa: B018 - builds it: an unknown SMS_PROVIDER or a missing key raises SmsConfigError

    def logged_recipient(self, recipient: str) -> str:
        return masked_phone(recipient)

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"message": "", "provider": self._provider.name if self._provider else sms_settings.SMS_PROVIDER}

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        sms = render_sms(notification, data, choose(notification, data, PREVIEW_NUMBER))
        return Preview(self.name, text=sms.text, facts=(("encoding", str(sms.encoding)),))

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> RenderedSms:
        return render_sms(notification, event.data, choose(notification, event.data, recipient))

    def describe(self, message: RenderedSms, entry: SMSLog) -> None:
        entry.message = message.logged_text
        entry.encoding = message.encoding.encoding
        entry.segments = message.encoding.segments

    def send(self, message: RenderedSms, recipient: str, entry: SMSLog) -> Sent:
        try:
            number = e164(recipient)  # the schemas' rule: a record from another producer may break it
        except InvalidPhoneNumber as exc:
            raise PermanentError(str(exc), status=DeliveryStatus.REJECTED) from None
        try:
            provider = self.provider
        except SmsConfigError as exc:
            # Ours to fix, like a wrong API key: once the settings are right, a retry sends.
            raise TransientError(f"SMS provider not configured: {exc}") from None
        return provider.send(number, message.text)

    def close(self) -> None:
        if self._provider is not None:
            self._provider.close()
