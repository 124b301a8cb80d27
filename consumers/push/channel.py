"""The push channel: Firebase Cloud Messaging's HTTP v1 API behind the common LoggedChannel sequence.

Each recipient is one device token (consumers/push/recipients.py). FCM answering that a token is
dead (UNREGISTERED, or INVALID_ARGUMENT about the token) deletes its device, and its row keeps
that status; a 429 or 5xx is retried after the Retry-After FCM sent.
"""
from __future__ import annotations

import logging
import re

from consumers.consent import KeyKind
from consumers.delivery import LoggedChannel
from consumers.delivery_log import DeliveryStatus
from consumers.events import InboundEvent
from consumers.notifications import Notification
from consumers.providers import PermanentError, Sent, TransientError
from consumers.push.compose import PushMessage, render_push
from consumers.push.credentials import PushConfigError, ServiceAccount, access_tokens
from consumers.push.fcm import FcmClient, TokenRejected
from consumers.push.models import PushDevice, PushLog
from consumers.push.notifications import PUSH
from consumers.push.recipients import unreachable
from consumers.push.settings import push_settings
from consumers.push.tokens import masked

log = logging.getLogger(__name__)

PROJECT_ID = re.compile(r"[a-z][a-z0-9-]{4,28}[a-z0-9]")  # Google Cloud's rule for project ids
PREVIEW_TOKEN = "preview-device-token"


def client_from_settings() -> FcmClient:
    """An FCM client for PUSH_SERVICE_ACCOUNT and PUSH_PROJECT_ID; raises PushConfigError naming what is wrong."""
    account = ServiceAccount.load(push_settings.PUSH_SERVICE_ACCOUNT)
    project = push_settings.PUSH_PROJECT_ID or account.project_id
    if not project:
        raise PushConfigError("PUSH_PROJECT_ID is empty and the service account names no project_id: set it to the "
                              "Firebase project's id (Project settings > General)")
    if not PROJECT_ID.fullmatch(project):
        raise PushConfigError(f"PUSH_PROJECT_ID={project!r} is not a Firebase project id (6-30 lowercase letters, "
                              "digits and hyphens, starting with a letter)")
    timeout = push_settings.PUSH_TIMEOUT
    return FcmClient(access_tokens(account, timeout), project, push_settings.PUSH_API_URL, timeout)


class PushChannel(LoggedChannel):
    name = "push"
    consent_key_kind = KeyKind.USER
    label = "push"
    settings = push_settings
    settings_prefix = "PUSH"
    template_extensions = (".txt",)
    log_model = PushLog
    notifications = PUSH

    def __init__(self, client: FcmClient | None = None):
        # The client (and its settings check) is made on first send: a channel is also built for
        # routing and for the template catalogue, where no credentials are needed.
        self._client = client

    @property
    def client(self) -> FcmClient:
        if self._client is None:
            self._client = client_from_settings()
        return self._client

    def check(self) -> None:
        super().check()
        self.client  # noqa: B018 - builds it: missing or unreadable credentials raise PushConfigError

    def new_log_fields(self, event: InboundEvent, notification: Notification) -> dict:
        return {"provider": FcmClient.name}

    def render(self, notification: Notification, event: InboundEvent, recipient: str) -> PushMessage:
        return render_push(notification, event.data, event_id=str(event.id), event_type=event.type)

    def preview(self, notification: Notification, data):
        from consumers.template_preview import Preview

        push = render_push(notification, data, event_id="(event id)", event_type="(event type)")
        return Preview(self.name, subject=push.title, text=push.body,
                       facts=(("priority", push.priority), ("data", ", ".join(f"{k}={v}" for k, v in push.data.items()))))

    def consent_keys(self, recipients: set[str]) -> dict[str, str]:
        """A device's preferences are its user's (one query for the batch); a row that names nobody keeps its text."""
        owners = dict(PushDevice.objects.filter(token__in=recipients).values_list("token", "user_id"))
        return {r: f"user:{owners[r]}" if r in owners else r for r in recipients}

    def logged_recipient(self, recipient: str) -> str:
        return recipient if unreachable(recipient) else masked(recipient)

    def describe(self, message: PushMessage, entry: PushLog) -> None:
        entry.title = message.title[:255]
        entry.body = message.body

    def send(self, message: PushMessage, recipient: str, entry: PushLog) -> Sent:
        if nobody := unreachable(recipient):
            entry.user_id = nobody.user_id
            raise PermanentError(f"not sent: {nobody.reason}", status=DeliveryStatus.SKIPPED)
        device = PushDevice.objects.filter(token=recipient).first()
        if device is None:  # unregistered by the app since the event's recipients were read
            raise PermanentError("not sent: the device token was unregistered before sending",
                                 status=DeliveryStatus.SKIPPED)
        entry.user_id, entry.platform = device.user_id, device.platform
        try:
            client = self.client
        except PushConfigError as exc:
            # Ours to fix: once the settings are right, a retry sends.
            raise TransientError(f"push not configured: {exc}") from None
        try:
            return client.send(message.payload(recipient))
        except TokenRejected as exc:
            deleted, _ = PushDevice.objects.filter(token=recipient).delete()
            log.warning("FCM refused the %s device token %s of user %s (%s): device %s", device.platform,
                        masked(recipient), device.user_id, exc.status, "deleted" if deleted else "already gone")
            raise

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
