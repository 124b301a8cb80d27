"""Building one email (subject, HTML with inlined CSS, plain text) for one recipient."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from consumers import rendering
from consumers.email.notifications import EmailNotification
from outbox.events.base import EventSchema

MESSAGE_ID_DOMAIN = "chesanto.comms"


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    html: str
    text: str


def render_email(notification: EmailNotification, data: EventSchema) -> RenderedEmail:
    context = {**data.revealed(), **notification.extra_context(data)}
    subject = " ".join(rendering.render_string(notification.subject, context).split())
    return RenderedEmail(
        subject=subject,
        html=rendering.render_html(f"{notification.template}.html", context),
        text=rendering.render(f"{notification.template}.txt", context),
    )


def message_id(event_id: uuid.UUID, template: str, recipient: str) -> str:
    """Derived from the log key, so a rare duplicate send is recognisable downstream."""
    digest = hashlib.sha256(recipient.lower().encode()).hexdigest()[:16]
    return f"<{event_id}.{template}.{digest}@{MESSAGE_ID_DOMAIN}>"


def build_message(rendered: RenderedEmail, recipient: str, msg_id: str, connection) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[recipient],
        headers={"Message-ID": msg_id},
        connection=connection,
    )
    message.attach_alternative(rendered.html, "text/html")
    return message
