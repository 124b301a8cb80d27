"""RFC 8058 one-click unsubscribe on every non-critical email, none on a critical one; the footer's link."""
from email import message_from_bytes, policy

import pytest

from consumers import preference_links
from consumers.email import mime
from consumers.email.compose import render_email
from consumers.notifications import Notification
from outbox.events import get_event_type
from outbox.events.samples import sample

pytestmark = pytest.mark.django_db


def rendered(event_type: str, recipient: str):
    from consumers.email.notifications import EMAILS

    notification: Notification = EMAILS[event_type][0]
    return render_email(notification, get_event_type(event_type).model_validate(sample(event_type)), recipient, attach=False)


def sent_headers(email) -> dict:
    data = mime.message_bytes(from_email="no-reply@chesanto.local", to="a@example.com", subject=email.subject,
                              text=email.text, html=email.html, message_id="<m@x>", headers=email.headers)
    return message_from_bytes(data, policy=policy.default)


def test_a_transactional_email_carries_one_click_unsubscribe_and_the_footer_link(settings):
    settings.COMMS_PUBLIC_URL = "https://comms.example"
    settings.COMMS_UNSUBSCRIBE_MAILTO = "unsubscribe@chesanto.example"
    email = rendered("sales.order_confirmed", "Wanjiku@Example.com")
    msg = sent_headers(email)
    assert msg["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    https, mailto = (part.strip(" <>") for part in msg["List-Unsubscribe"].split(","))
    assert mailto == "mailto:unsubscribe@chesanto.example?subject=unsubscribe"
    token = https.removeprefix("https://comms.example/comms/preferences/").removesuffix("/unsubscribe/")
    assert preference_links.read(token) == preference_links.Link("wanjiku@example.com", "email", "transactional")
    page = f"https://comms.example/comms/preferences/{token}/"
    assert page in email.text and f'href="{page}"' in email.html


def test_without_a_mailto_only_the_https_url(settings):
    settings.COMMS_PUBLIC_URL = "https://comms.example"
    (name, value), _ = rendered("sales.order_confirmed", "a@example.com").headers
    assert name == "List-Unsubscribe" and value.startswith("<https://") and "mailto" not in value


def test_a_critical_email_and_an_unset_public_url_carry_none(settings):
    settings.COMMS_PUBLIC_URL = "https://comms.example"
    otp = rendered("auth.otp_requested", "a@example.com")
    assert otp.headers == () and "/comms/preferences/" not in otp.text
    settings.COMMS_PUBLIC_URL = ""
    order = rendered("sales.order_confirmed", "a@example.com")
    assert order.headers == () and "/comms/preferences/" not in order.html
