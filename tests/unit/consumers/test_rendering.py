import uuid

import pytest
from jinja2 import UndefinedError

from consumers import rendering
from consumers.email.compose import message_id, render_email
from consumers.email.notifications import EMAILS
from outbox.events import get_event_type


def otp(purpose="login", name="Otieno"):
    return get_event_type("auth.otp_requested").parse(
        {"email": "o@example.com", "name": name, "code": "482913", "purpose": purpose, "expiry_minutes": 15}
    )


def test_otp_email_renders_code_expiry_and_purpose():
    (notification,) = EMAILS["auth.otp_requested"]
    email = render_email(notification, otp("password_reset"), "o@example.com")
    assert email.subject == "Your Verification Code - Chesanto Bakery"
    for body in (email.html, email.text):
        assert "482913" in body and "15" in body and "password reset" in body
    assert "<style" in email.html and 'style="' in email.html


def test_html_is_autoescaped_text_is_not():
    (notification,) = EMAILS["auth.otp_requested"]
    email = render_email(notification, otp(name="<script>alert(1)</script>"), "o@example.com")
    assert "<script>alert(1)</script>" not in email.html and "&lt;script&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text


def test_undefined_variable_is_an_error():
    with pytest.raises(UndefinedError):
        rendering.render("emails/auth/otp.txt", {"name": "x"})


def test_message_id_is_derived_from_the_log_key():
    event_id = uuid.uuid4()
    assert message_id(event_id, "auth_otp", "A@example.com") == message_id(event_id, "auth_otp", "a@example.com")
    assert message_id(event_id, "auth_otp", "a@example.com") != message_id(event_id, "auth_otp", "b@example.com")
