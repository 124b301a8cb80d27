"""A project overrides packaged templates by relative path, and brands them from settings."""
import pytest
from django.core.exceptions import ImproperlyConfigured

from consumers.checks import check_templates
from consumers.email.channel import EmailChannel
from consumers.email.compose import render_email
from consumers.email.notifications import EMAILS
from outbox.events import get_event_type
from outbox.events.samples import sample

OTP = EMAILS["auth.otp_requested"][0]


def otp_email():
    data = get_event_type("auth.otp_requested").parse(sample("auth.otp_requested"))
    return render_email(OTP, data, "wanjiru@example.com")


def test_first_directory_holding_the_path_wins(settings, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for directory, text in ((first, "FIRST"), (second, "SECOND")):
        (directory / "emails" / "components").mkdir(parents=True)
        (directory / "emails" / "components" / "footer.html").write_text(f"<p>{text} footer {{{{ company_name }}}}</p>")
    (second / "emails" / "auth").mkdir(parents=True)
    (second / "emails" / "auth" / "otp.txt").write_text("Code: {{ code }}")
    settings.COMMS_TEMPLATE_DIRS = [first, second]
    email = otp_email()
    assert "FIRST footer Chesanto Bakery" in email.html and "SECOND" not in email.html
    assert email.text == "Code: " + sample("auth.otp_requested")["code"]
    assert "Your verification code" in email.html or "verification" in email.html.lower()  # the rest is packaged


def test_branding_comes_from_settings(settings):
    settings.COMMS_COMPANY_NAME, settings.COMMS_SYSTEM_NAME = "Duka Bakery", "Duka Back Office"
    settings.COMMS_PRIMARY_COLOR, settings.COMMS_LOGO_URL = "#1B4D3E", "https://duka.example/logo.png"
    settings.COMMS_POSTAL_ADDRESS, settings.COMMS_TAGLINE = "P.O. Box 1234-00100, Nairobi", ""
    email = otp_email()
    assert email.subject.endswith("- Duka Bakery")
    assert '<img src="https://duka.example/logo.png" alt="Duka Bakery"' in email.html
    assert "#1B4D3E" in email.html and "#7B3F00" not in email.html
    assert "P.O. Box 1234-00100, Nairobi" in email.html and "P.O. Box 1234-00100, Nairobi" in email.text
    assert "Chesanto" not in email.html + email.text
    assert "Freshly baked" not in email.html


def test_a_missing_template_stops_the_channel_before_it_starts(settings, tmp_path, monkeypatch):
    import consumers.rendering as rendering

    monkeypatch.setattr(rendering, "packaged_template_dirs", lambda: [str(tmp_path / "broken-install")])
    with pytest.raises(ImproperlyConfigured, match=r"emails/auth/otp\.html.*are in none of the template directories"):
        EmailChannel().check()
    found = {(e.id, e.msg) for e in check_templates()}
    assert ("chesanto.E009", "the email channel's template emails/auth/otp.html is in none of the template directories") in found
