"""The bytes of one email, built directly: multipart/alternative (text and HTML, quoted-printable),
wrapped in multipart/mixed when files are attached (base64).

This is what Django's EmailMultiAlternatives(...).message().as_bytes() sends, without the stdlib
generator's per-message work (a MIME boundary invented and checked against the body with a
regular expression, every header folded through the policy machinery): about 1.3 ms per message
there, a few hundredths of a millisecond here (docs/performance-email.md). The encoders are the
C ones (binascii); headers that are not ASCII are RFC 2047 encoded by the stdlib.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import mimetypes
import re
from email.header import Header
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from pathlib import Path

CRLF = b"\r\n"


_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


@lru_cache(maxsize=256)
def address_header(address: str) -> bytes:
    """`Name <addr>` with the name RFC 2047 encoded when it is not ASCII (the sender: computed once)."""
    if _PLAIN_ADDRESS.fullmatch(address):  # a bare address, as every recipient is: nothing to parse
        return address.encode()
    name, addr = parseaddr(address)
    return formataddr((name, addr), charset="utf-8").encode("ascii", "strict")


def header_text(value: str) -> bytes:
    if "\r" in value or "\n" in value:
        raise ValueError(f"a header may not contain a line break: {value[:80]!r}")
    if value.isascii():
        return value.encode()
    return Header(value, "utf-8").encode().encode("ascii")


def _qp(text: str) -> bytes:
    # b2a_qp breaks long lines with bare LF soft breaks unless the input already uses CRLF
    # throughout, so encode LF text and turn every line break into CRLF after.
    encoded = binascii.b2a_qp(text.replace("\r\n", "\n").encode("utf-8"), istext=True)
    return encoded.replace(b"\n", CRLF)


def _part(content_type: str, body: bytes, encoding: str) -> bytes:
    return (b"Content-Type: " + content_type.encode() + CRLF + b"Content-Transfer-Encoding: " + encoding.encode()
            + CRLF + CRLF + body)


def _multipart(subtype: str, boundary: bytes, parts: list[bytes]) -> tuple[bytes, bytes]:
    """(the Content-Type header value, the body) of a multipart entity."""
    body = b"".join(b"--" + boundary + CRLF + part + CRLF for part in parts) + b"--" + boundary + b"--" + CRLF
    return b"multipart/" + subtype.encode() + b'; boundary="' + boundary + b'"', body


def _attachment(path: Path) -> bytes:
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    encoded = base64.encodebytes(path.read_bytes()).replace(b"\n", CRLF)
    return (b"Content-Type: " + content_type.encode() + CRLF + b"Content-Transfer-Encoding: base64" + CRLF
            + b'Content-Disposition: attachment; filename="' + header_text(path.name).replace(b'"', b"") + b'"'
            + CRLF + CRLF + encoded)


def message_bytes(*, from_email: str, to: str, subject: str, text: str, html: str, message_id: str,
                  attachments: list[Path] = (), headers: tuple[tuple[str, str], ...] = ()) -> bytes:
    # The boundary comes from the Message-ID: unique per message, and "=_" cannot occur in
    # quoted-printable or base64 output, so it can never appear in a body.
    boundary = b"=_chesanto_" + hashlib.sha1(message_id.encode()).hexdigest()[:24].encode()
    content_type, body = _multipart("alternative", boundary + b"_alt", [
        _part('text/plain; charset="utf-8"', _qp(text), "quoted-printable"),
        _part('text/html; charset="utf-8"', _qp(html), "quoted-printable"),
    ])
    if attachments:
        content_type, body = _multipart("mixed", boundary, [
            b"Content-Type: " + content_type + CRLF + CRLF + body, *(_attachment(p) for p in attachments)])
    headers = [
        b"From: " + address_header(from_email),
        b"To: " + address_header(to),
        b"Subject: " + header_text(subject),
        b"Date: " + formatdate(localtime=False, usegmt=True).encode(),
        b"Message-ID: " + message_id.encode(),
        *(name.encode() + b": " + header_text(value) for name, value in headers),
        b"MIME-Version: 1.0",
        b"Content-Type: " + content_type,
    ]
    return CRLF.join(headers) + CRLF + CRLF + body
