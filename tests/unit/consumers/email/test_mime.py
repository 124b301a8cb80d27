"""The email bytes built directly read back, with the stdlib's own parser, as what was rendered."""
from email import message_from_bytes, policy

import pytest

from consumers.email import mime


def parse(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def text_of(msg) -> str:
    return msg.get_body(("plain",)).get_content().replace("\r\n", "\n")


def build(**changes):
    fields = dict(from_email="Chesanto Bakery <no-reply@chesanto.local>", to="wanjiru@example.com",
                  subject="Your Verification Code - Chesanto Bakery", text="Hello,\n\nYour code is 482913.\n",
                  html="<html><body><p>Your code is <b>482913</b></p></body></html>",
                  message_id="<e1.auth_otp.abc@chesanto.comms>")
    return mime.message_bytes(**{**fields, **changes})


def test_headers_and_both_alternatives_read_back():
    msg = parse(build())
    assert (msg["From"], msg["To"], msg["Subject"]) == (
        "Chesanto Bakery <no-reply@chesanto.local>", "wanjiru@example.com", "Your Verification Code - Chesanto Bakery")
    assert msg["Message-ID"] == "<e1.auth_otp.abc@chesanto.comms>" and msg["MIME-Version"] == "1.0" and msg["Date"]
    assert msg.get_content_type() == "multipart/alternative"
    assert text_of(msg) == "Hello,\n\nYour code is 482913.\n"
    assert msg.get_body(("html",)).get_content().strip() == "<html><body><p>Your code is <b>482913</b></p></body></html>"
    assert msg.defects == [] and all(part.defects == [] for part in msg.walk())


def test_non_ascii_names_and_bodies_are_encoded_and_read_back():
    msg = parse(build(from_email="Mkate Bora Bakery ☕ <no-reply@mkate.example>", subject="Malipo yamepokelewa — KES 1,500",
                      text="Asante sana — ñ, é, 😀\n" + "a" * 500, html="<p>Karibu — 😀</p>"))
    assert msg["Subject"] == "Malipo yamepokelewa — KES 1,500"
    assert msg["From"].addresses[0].display_name == "Mkate Bora Bakery ☕"
    assert text_of(msg) == "Asante sana — ñ, é, 😀\n" + "a" * 500
    assert all(len(line) <= 998 for line in build(text="x" * 5000).split(b"\r\n"))


def test_attachments_wrap_the_alternatives_in_mixed(tmp_path):
    report = tmp_path / "daily-sales.pdf"
    report.write_bytes(b"%PDF-1.4 " + bytes(range(256)) * 40)
    msg = parse(build(attachments=[report]))
    assert msg.get_content_type() == "multipart/mixed"
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_filename() == "daily-sales.pdf" and attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == report.read_bytes()
    assert msg.get_body(("html",)).get_content().startswith("<html>")


def test_a_line_break_in_a_header_is_refused():
    with pytest.raises(ValueError, match="may not contain a line break"):
        build(subject="Hi\r\nBcc: everyone@example.com")
