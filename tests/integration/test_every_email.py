"""Every email in the catalogue, through the real pipeline: the message the SMTP server
accepted is exactly what the templates render for the event."""
from __future__ import annotations

from pathlib import Path

import pytest

from consumers.email.compose import render_email
from consumers.email.models import EmailLog
from consumers.email.notifications import EMAILS
from consumers.email.settings import email_settings
from outbox import emit
from outbox.events import get_event_type
from outbox.events.samples import sample
from tests.support.waiting import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RECIPIENT_FIELDS = ("email", "customer_email")
LIST_RECIPIENT_FIELDS = ("recipients",)


def with_unique_recipients(data: dict, unique_email) -> dict:
    for name in RECIPIENT_FIELDS:
        if data.get(name):
            data[name] = unique_email(name)
    for name in LIST_RECIPIENT_FIELDS:
        if data.get(name):
            data[name] = [unique_email(name) for _ in data[name]]
    data.pop("phone", None)  # this module checks email only
    data.pop("phones", None)
    return data


@pytest.mark.parametrize("event_type", sorted(EMAILS))
def test_every_email_is_delivered_as_rendered(pipeline, smtp_sink, unique_email, event_type):
    data = with_unique_recipients(sample(event_type), unique_email)
    if "attachment_path" in data:
        attachment = Path(email_settings.REPORTS_STORAGE_DIR) / data["attachment_path"]
        attachment.parent.mkdir(parents=True, exist_ok=True)
        attachment.write_bytes(b"%PDF-1.4 sample report")
    event_id = emit(event_type, data)

    parsed = get_event_type(event_type).parse(data)
    for notification in EMAILS[event_type]:
        for recipient in notification.recipients(parsed):
            (received,) = smtp_sink.wait_for(lambda r, a=recipient: any(a in e.rcpt_tos for e in r)) and smtp_sink.to(recipient)
            expected = render_email(notification, parsed, recipient)
            assert received.subject == expected.subject
            assert received.body("plain").replace("\r\n", "\n").strip() == expected.text.strip()
            assert received.body("html").replace("\r\n", "\n").strip() == expected.html.replace("\r\n", "\n").strip()
            assert len(list(received.message.iter_attachments())) == len(expected.attachments)
            log = wait_until(lambda a=recipient: EmailLog.objects.filter(event_id=event_id, recipient=a, status="SENT").first(),
                             what=f"{notification.name} to {recipient} logged SENT")
            assert log.template == notification.name and log.subject == expected.subject
